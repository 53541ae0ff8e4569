#!/usr/bin/env bash
# Build (or reuse) the lvs.cluster lab guest image: Debian 12 with Debian's kernel (IPVS as modules),
# systemd, sshd with a generated root key, python3 and every package the collection's roles install.
#
# The image is cached under $LAB_CACHE_DIR/<key>/ where <key> is the sha256 of the recipe: every file under
# lab/image/ (build-rootfs.sh does the building; packages.txt, python-requirements.txt, the files copied into the
# image). It is rebuilt only when the recipe changes. This script only caches, locks and prunes.
#
# Usage: lab/build-image.sh [--force] [--print-key] [--check] [--prune]
#   (no option)  build the image if it is not cached; print its directory on stdout
#   --force      rebuild even if a cached image exists
#   --print-key  print the cache key of the current recipe and exit
#   --check      exit 0 if the image of the current recipe is cached, 1 if not
#   --prune      remove cached images of other recipes (except those a running lab uses) and exit
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

log() { printf '[build-image %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

recipe_key() {
    # Hash of the recipe: relative path + content of every recipe file, in a stable order.
    (
        cd "$LAB_DIR"
        find image -type f -o -type l | LC_ALL=C sort | while read -r f; do
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
    # build-rootfs.sh downloads the guests' wheels with the pip of python3 on PATH, else the system's.
    python3 -m pip --version > /dev/null 2>&1 || /usr/bin/python3 -m pip --version > /dev/null 2>&1 || missing+=(python3-pip)
    if ((${#missing[@]})); then
        log "installing build tools: ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
}

# Is a file of directory $1 open (a running guest's base image)?
in_use() {
    local fd
    for fd in /proc/[0-9]*/fd/*; do
        if [[ $(readlink "$fd" 2> /dev/null) == "$1"/* ]]; then return 0; fi
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
            if in_use "$d"; then
                log "keeping old image $d: a running guest uses it"
            else
                log "pruning old image $d"
                rm -rf -- "$d"
            fi
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
STAGE=$WORK/out
mkdir -p "$STAGE" "$CACHE_ROOT/debs"

log "recipe key $KEY"
log "generating the root SSH key pair"
ssh-keygen -q -t ed25519 -N '' -C "lvs-cluster-lab-$KEY" -f "$STAGE/id_ed25519"

WORK=$WORK STAGE=$STAGE DEBS=$CACHE_ROOT/debs MIRROR=$MIRROR SECURITY_MIRROR=$SECURITY_MIRROR IMAGE_SIZE=$IMAGE_SIZE \
    bash "$RECIPE_DIR/build-rootfs.sh"

{
    echo "key=$KEY"
    echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "seconds_total=$(($(date +%s) - T0))"
    cat "$STAGE/manifest.body"
} > "$STAGE/manifest.txt"
rm -f "$STAGE/manifest.body"

if [[ -d $OUT ]]; then
    in_use "$OUT" && die "$OUT is in use by running guests: take the lab down before --force"
    rm -rf -- "$OUT"
fi
mv "$STAGE" "$OUT"
prune "$CACHE_KEEP"
T_END=$(date +%s)
log "image ready in $((T_END - T0))s: $OUT"
echo "$OUT"
