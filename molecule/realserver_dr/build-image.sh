#!/bin/sh
# Build (once per recipe) the Debian 12 systemd image used by this scenario, locally: no registry.
# The tag is a hash of the recipe (suite, packages, hooks), so changing the recipe builds a new image; podman's
# image store is the cache. The image is also tagged :current for molecule.yml. Prints the image reference.
set -eu
suite=bookworm
mirror=${LVS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=systemd-sysv,dbus,python3,python3-apt,iproute2,iputils-arping,procps,kmod,ca-certificates
# The hooks' "$1" is the chroot directory, expanded by mmdebstrap when it runs them: single quotes on purpose.
# shellcheck disable=SC2016
hook1='chroot "$1" systemctl mask getty@tty1.service console-getty.service systemd-logind.service >/dev/null 2>&1 || true'
# shellcheck disable=SC2016
hook2='rm -f "$1"/etc/machine-id && touch "$1"/etc/machine-id'
recipe_hash=$(printf '%s\n' "$suite" "$packages" "$hook1" "$hook2" | sha256sum | cut -c1-12)
image=localhost/lvs-debian12-rs:$recipe_hash
current=localhost/lvs-debian12-rs:current
lockdir=/var/cache/lvs-cluster/podman
mkdir -p "$lockdir"
exec 9>"$lockdir/lvs-debian12-rs.lock"
flock -w 600 9
if ! podman image exists "$image"; then
    echo "building $image (mmdebstrap $suite: $packages)" >&2
    mmdebstrap --quiet --variant=apt --include="$packages" --customize-hook="$hook1" --customize-hook="$hook2" \
        "$suite" - "$mirror" \
        | podman import --change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3' - "$image" >&2
fi
podman tag "$image" "$current"
echo "$image"
