#!/usr/bin/env bash
# Single-quoted "$1" in mmdebstrap hooks and ${Package} in dpkg-query formats are expanded later, on purpose.
# shellcheck disable=SC2016
# The lab guest image recipe, run by lab/build-image.sh (which caches the result by the sha256 of lab/image/):
# Debian 12 root filesystem with mmdebstrap, customized with lab/image/overlay, and turned into
#   $STAGE/rootfs.raw (ext4, sparse), $STAGE/vmlinuz, $STAGE/initrd.img, $STAGE/manifest.body
# Inputs (environment): WORK (scratch directory), STAGE (output directory, holds id_ed25519.pub),
#   DEBS (directory of .debs kept between builds), MIRROR, SECURITY_MIRROR, IMAGE_SIZE.
set -euo pipefail

RECIPE_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
SUITE=bookworm
: "${WORK:?}" "${STAGE:?}" "${DEBS:?}" "${MIRROR:?}" "${SECURITY_MIRROR:?}" "${IMAGE_SIZE:?}"
ROOT=$WORK/rootfs
T0=$(date +%s)
# Fixed timestamps in the image (files, filesystem) so two builds of one recipe differ only by package updates.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}

log() { printf '[build-image %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# A pip that can download wheels: the one of the python3 on PATH, else the system's (Debian's python3-pip).
find_pip() {
    local py
    for py in python3 /usr/bin/python3; do
        if "$py" -m pip --version > /dev/null 2>&1; then
            echo "$py"
            return 0
        fi
    done
    return 1
}

log "downloading Python wheels (pure python, hash-checked)"
mkdir -p "$WORK/wheels"
PIP_PYTHON=$(find_pip) || die "no pip found (apt-get install python3-pip)"
"$PIP_PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r "$RECIPE_DIR/python-requirements.txt" -d "$WORK/wheels" >&2
T_WHEELS=$(date +%s)

mapfile -t PACKAGES < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$RECIPE_DIR/packages.txt")
INCLUDE=$(IFS=,; echo "${PACKAGES[*]}")

log "mmdebstrap $SUITE: ${#PACKAGES[@]} packages (+ dependencies); downloaded .debs are reused from $DEBS"
# Hooks run on the host with $1 = the root directory being built.
mmdebstrap --mode=root --variant=apt --format=directory \
    --aptopt='Acquire::Languages "none"' \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --include="$INCLUDE" \
    --skip=essential/unlink \
    --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
    --setup-hook="sync-in '$DEBS' /var/cache/apt/archives/" \
    --setup-hook="cp -a '$RECIPE_DIR/initramfs/.' \"\$1/\"" \
    --customize-hook="find '$DEBS' -maxdepth 1 -name '*.deb' -delete" \
    --customize-hook="sync-out /var/cache/apt/archives '$DEBS'" \
    --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
    "$SUITE" "$ROOT" \
    "deb $MIRROR $SUITE main" \
    "deb $MIRROR $SUITE-updates main" \
    "deb $SECURITY_MIRROR $SUITE-security main" >&2
T_DEBOOTSTRAP=$(date +%s)

log "customizing the root filesystem"
cp -a "$RECIPE_DIR/overlay/." "$ROOT/"
install -d -m 0700 "$ROOT/root/.ssh"
install -m 0600 "$STAGE/id_ed25519.pub" "$ROOT/root/.ssh/authorized_keys"
# A fixed, valid machine-id avoids systemd's first-boot logic (which could prompt on the console);
# lab/labctl gives every guest its own id with systemd.machine_id= on the kernel command line.
echo 4c56534c41424c56534c41424d414348 > "$ROOT/etc/machine-id"
rm -f "$ROOT/etc/resolv.conf"
: > "$ROOT/etc/resolv.conf"

# pyroute2 from the wheel into the system's site directory (the wheel is pure python: unzip it).
PYVER=$(chroot "$ROOT" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
SITE=$ROOT/usr/local/lib/python$PYVER/dist-packages
mkdir -p "$SITE"
for whl in "$WORK"/wheels/*.whl; do
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$whl" "$SITE"
done
chroot "$ROOT" python3 -m compileall -q "/usr/local/lib/python$PYVER/dist-packages" > /dev/null
PYROUTE2=$(chroot "$ROOT" python3 -c 'import pyroute2; print(pyroute2.__version__)')

# Units: the roles enable the daemons they manage; nothing of the cluster starts by itself. Units for hardware and
# features the guests lack are masked (each costs seconds of boot under TCG).
# nginx is the lab real servers' web application, running from boot as an application would before lvs.cluster
# prepares its host: enabled, started only with lvslab.page=N on the kernel command line (the real servers; the
# drop-in overlay/etc/systemd/system/nginx.service.d/lvslab.conf), serving the page lvslab-boot writes.
# ipvsadm (rule restore at boot) and logd (heartbeat's log daemon) are sysv/LSB units the roles may enable too.
chroot "$ROOT" systemctl disable --quiet keepalived.service heartbeat.service ldirectord.service \
    ipvsadm.service logd.service systemd-pstore.service 2> /dev/null
chroot "$ROOT" systemctl enable --quiet nginx.service
chroot "$ROOT" systemctl enable --quiet lvslab-boot.service
for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service \
    fstrim.timer man-db.timer getty@tty1.service getty-static.service systemd-networkd-wait-online.service \
    systemd-binfmt.service proc-sys-fs-binfmt_misc.automount sys-fs-fuse-connections.mount sys-kernel-config.mount \
    modprobe@drm.service modprobe@efi_pstore.service modprobe@fuse.service modprobe@loop.service \
    modprobe@dm_mod.service; do
    chroot "$ROOT" systemctl mask --quiet "$unit"
done
mkdir -p "$ROOT/run/sshd"
chroot "$ROOT" /usr/sbin/sshd -t || die "sshd -t fails on the image's sshd configuration"
rmdir "$ROOT/run/sshd"
for unit in keepalived heartbeat ldirectord ipvsadm logd; do
    state=$(chroot "$ROOT" systemctl is-enabled "$unit.service" 2>/dev/null || true)
    [[ $state == disabled ]] || die "$unit.service is '$state' in the image, expected disabled"
done
[[ $(chroot "$ROOT" systemctl is-enabled nginx.service 2>/dev/null) == enabled ]] || die "nginx.service is not enabled in the image"
[[ -z $(find "$ROOT/var/lib/apt/lists" -name '*_Packages' -print -quit) ]] \
    || die "the image keeps apt's package lists (package tasks read them all: slower, and the lab has no mirror)"

KVER=$(basename "$(find "$ROOT/boot" -maxdepth 1 -name 'vmlinuz-*' | LC_ALL=C sort | tail -n1)")
KVER=${KVER#vmlinuz-}
[[ -n $KVER && -f $ROOT/boot/initrd.img-$KVER ]] || die "no kernel/initrd found in $ROOT/boot"
[[ -d $ROOT/lib/modules/$KVER/kernel/net/netfilter/ipvs ]] || die "kernel $KVER has no IPVS modules"
cp "$ROOT/boot/vmlinuz-$KVER" "$STAGE/vmlinuz"
cp "$ROOT/boot/initrd.img-$KVER" "$STAGE/initrd.img"
T_CUSTOMIZE=$(date +%s)

log "creating the ext4 image ($IMAGE_SIZE, sparse)"
mkfs.ext4 -q -F -L lvslab-root -U 4c56534c-4142-4c56-534c-414246530001 -E hash_seed=4c56534c-4142-4c56-534c-414248534431 \
    -d "$ROOT" "$STAGE/rootfs.raw" "$IMAGE_SIZE" >&2
T_MKFS=$(date +%s)

{
    echo "suite=$SUITE"
    echo "kernel=$KVER"
    echo "pyroute2=$PYROUTE2"
    echo "image_size=$IMAGE_SIZE"
    echo "rootfs_used=$(du -sh --apparent-size "$ROOT" | cut -f1)"
    echo "--- packages"
    chroot "$ROOT" dpkg-query -W -f '${Package} ${Version}\n' "${PACKAGES[@]}"
} > "$STAGE/manifest.body"
log "recipe timings: wheels $((T_WHEELS - T0))s, mmdebstrap $((T_DEBOOTSTRAP - T_WHEELS))s, customize $((T_CUSTOMIZE - T_DEBOOTSTRAP))s, mkfs $((T_MKFS - T_CUSTOMIZE))s"
log "image built: kernel $KVER, pyroute2 $PYROUTE2"

