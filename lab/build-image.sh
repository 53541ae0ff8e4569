#!/usr/bin/env bash
# Single-quoted "$1" in mmdebstrap hooks and ${Package} in dpkg-query formats are expanded later, on purpose.
# shellcheck disable=SC2016
# Build (or reuse) the lvs.cluster lab guest image: Debian 12 with Debian's kernel (IPVS as modules),
# systemd, sshd with a generated root key, python3 and every package the collection's roles install.
#
# The image is cached under $LAB_CACHE_DIR/<key>/ where <key> is the sha256 of the recipe files
# (this script and everything under lab/image/). It is rebuilt only when the recipe changes.
#
# Usage: lab/build-image.sh [--force] [--print-key] [--check] [--prune]
#   (no option)  build the image if it is not cached; print its directory on stdout
#   --force      rebuild even if a cached image exists
#   --print-key  print the cache key of the current recipe and exit
#   --check      exit 0 if the image of the current recipe is cached, 1 if not
#   --prune      remove cached images of other recipes and exit
#
# Output directory content: rootfs.raw (ext4, sparse), vmlinuz, initrd.img, id_ed25519(.pub), manifest.txt
#
# Environment: LAB_CACHE_DIR (default /var/cache/lvs-cluster/lab), LAB_MIRROR (default http://deb.debian.org/debian),
#   LAB_SECURITY_MIRROR (default http://deb.debian.org/debian-security), LAB_IMAGE_SIZE (default 3G),
#   LAB_CACHE_KEEP (how many cached images to keep, default 3).
set -euo pipefail

LAB_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
RECIPE_DIR=$LAB_DIR/image
CACHE_ROOT=${LAB_CACHE_DIR:-/var/cache/lvs-cluster/lab}
MIRROR=${LAB_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${LAB_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
IMAGE_SIZE=${LAB_IMAGE_SIZE:-3G}
CACHE_KEEP=${LAB_CACHE_KEEP:-3}
SUITE=bookworm
# Fixed timestamps in the image (files, filesystem) so two builds of one recipe differ only by package updates.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}

log() { printf '[build-image %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

recipe_key() {
    # Hash of the recipe: relative path + content of every recipe file, in a stable order.
    (
        cd "$LAB_DIR"
        { echo build-image.sh; find image -type f -o -type l; } | LC_ALL=C sort | while read -r f; do
            printf '%s %s %s\n' "$f" "$(stat -c %a "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
        done
    ) | sha256sum | cut -d' ' -f1
}

ensure_tools() {
    local missing=() pair
    for pair in mmdebstrap:mmdebstrap mkfs.ext4:e2fsprogs qemu-img:qemu-utils qemu-system-x86_64:qemu-system-x86 \
        ssh-keygen:openssh-client python3:python3 flock:util-linux; do
        command -v "${pair%%:*}" > /dev/null 2>&1 || missing+=("${pair#*:}")
    done
    [[ -r /usr/share/keyrings/debian-archive-keyring.gpg ]] || missing+=(debian-archive-keyring)
    find_pip > /dev/null || missing+=(python3-pip)
    if ((${#missing[@]})); then
        log "installing build tools: ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
}

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

prune() {
    local keep=$1 n=0 d
    # Newest first; keep the current key and the newest others up to CACHE_KEEP in total.
    while read -r d; do
        [[ -n $d ]] || continue
        if [[ $(basename "$d") == "$KEY" ]]; then continue; fi
        n=$((n + 1))
        if ((n >= keep)); then
            log "pruning old image $d"
            rm -rf -- "$d"
        fi
    done < <(find "$CACHE_ROOT" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended \
        -regex '.*/[0-9a-f]{64}' -printf '%T@ %p\n' 2>/dev/null | sort -rn | cut -d' ' -f2-)
}

[[ $(id -u) -eq 0 ]] || die "must run as root (mmdebstrap --mode=root, mkfs, loop-free ext4 population)"

KEY=$(recipe_key)
OUT=$CACHE_ROOT/$KEY
FORCE=0
case "${1:-}" in
    --print-key) echo "$KEY"; exit 0 ;;
    --check) [[ -f $OUT/manifest.txt ]] && exit 0 || exit 1 ;;
    --prune) prune 1; exit 0 ;;
    --force) FORCE=1 ;;
    "") ;;
    *) die "unknown option '$1' (see the header of $0)" ;;
esac

if [[ $FORCE -eq 0 && -f $OUT/manifest.txt ]]; then
    log "cached image $OUT (recipe unchanged)"
    echo "$OUT"
    exit 0
fi

ensure_tools
mkdir -p "$CACHE_ROOT"
# One build at a time per cache directory (not the VM lab lock: building boots no VM).
exec 8> "$CACHE_ROOT/.build.lock"
if ! flock -n 8; then
    log "another build is running, waiting for it (up to 15 min)"
    flock -w 900 8 || die "timed out waiting for $CACHE_ROOT/.build.lock"
fi
if [[ $FORCE -eq 0 && -f $OUT/manifest.txt ]]; then
    log "cached image $OUT (built meanwhile by another process)"
    echo "$OUT"
    exit 0
fi

T0=$(date +%s)
WORK=$(mktemp -d "$CACHE_ROOT/.build-$KEY.XXXXXX")
cleanup() {
    local rc=$? m
    # mmdebstrap unmounts what it mounted in the chroot; if it was killed half-way, do it here, and never let
    # rm cross into a mount (--one-file-system).
    while read -r m; do
        umount -l "$m" 2> /dev/null || true
    done < <(findmnt -rn -o TARGET | grep -F "$WORK/" | sort -r)
    rm -rf --one-file-system -- "$WORK"
    ((rc == 0)) || log "build failed (rc=$rc); nothing was cached"
}
trap cleanup EXIT
ROOT=$WORK/rootfs
STAGE=$WORK/out
mkdir -p "$STAGE" "$CACHE_ROOT/debs"

log "recipe key $KEY"
log "generating the root SSH key pair"
ssh-keygen -q -t ed25519 -N '' -C "lvs-cluster-lab-$KEY" -f "$STAGE/id_ed25519"

log "downloading Python wheels (pure python, hash-checked)"
mkdir -p "$WORK/wheels"
PIP_PYTHON=$(find_pip) || die "no pip found (apt-get install python3-pip)"
"$PIP_PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r "$RECIPE_DIR/python-requirements.txt" -d "$WORK/wheels" >&2
T_WHEELS=$(date +%s)

mapfile -t PACKAGES < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$RECIPE_DIR/packages.txt")
INCLUDE=$(IFS=,; echo "${PACKAGES[*]}")

log "mmdebstrap $SUITE: ${#PACKAGES[@]} packages (+ dependencies); downloaded .debs are reused from $CACHE_ROOT/debs"
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
    --skip=cleanup/apt/lists \
    --setup-hook='mkdir -p "$1/var/cache/apt/archives"' \
    --setup-hook="sync-in '$CACHE_ROOT/debs' /var/cache/apt/archives/" \
    --setup-hook="cp -a '$RECIPE_DIR/initramfs/.' \"\$1/\"" \
    --customize-hook="find '$CACHE_ROOT/debs' -maxdepth 1 -name '*.deb' -delete" \
    --customize-hook="sync-out /var/cache/apt/archives '$CACHE_ROOT/debs'" \
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

# Units: the roles enable the daemons they manage; nothing of the cluster starts by itself.
# nginx is there for the lab's real servers (playbooks/lab_webservers.yml writes their page and starts it).
# ipvsadm (rule restore at boot) and logd (heartbeat's log daemon) are sysv/LSB units the roles may enable too.
chroot "$ROOT" systemctl disable --quiet keepalived.service heartbeat.service ldirectord.service nginx.service \
    ipvsadm.service logd.service systemd-pstore.service 2> /dev/null
chroot "$ROOT" systemctl enable --quiet lvslab-boot.service
for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service \
    fstrim.timer man-db.timer getty@tty1.service getty-static.service systemd-networkd-wait-online.service \
    systemd-binfmt.service proc-sys-fs-binfmt_misc.automount; do
    chroot "$ROOT" systemctl mask --quiet "$unit"
done
for unit in keepalived heartbeat ldirectord nginx ipvsadm logd; do
    state=$(chroot "$ROOT" systemctl is-enabled "$unit.service" 2>/dev/null || true)
    [[ $state == disabled ]] || die "$unit.service is '$state' in the image, expected disabled"
done

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
    echo "key=$KEY"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "suite=$SUITE"
    echo "kernel=$KVER"
    echo "pyroute2=$PYROUTE2"
    echo "image_size=$IMAGE_SIZE"
    echo "rootfs_used=$(du -sh --apparent-size "$ROOT" | cut -f1)"
    echo "seconds_total=$((T_MKFS - T0))"
    echo "--- packages"
    chroot "$ROOT" dpkg-query -W -f '${Package} ${Version}\n' "${PACKAGES[@]}"
} > "$STAGE/manifest.txt"

rm -rf -- "$OUT"
mv "$STAGE" "$OUT"
prune "$CACHE_KEEP"
T_END=$(date +%s)
log "timings: wheels $((T_WHEELS - T0))s, mmdebstrap $((T_DEBOOTSTRAP - T_WHEELS))s, customize $((T_CUSTOMIZE - T_DEBOOTSTRAP))s, mkfs $((T_MKFS - T_CUSTOMIZE))s, total $((T_END - T0))s"
log "image ready: $OUT (kernel $KVER, pyroute2 $PYROUTE2)"
echo "$OUT"
