#!/bin/sh
# role-image.sh REPOSITORY "PACKAGES": build (once per recipe) this scenario's Debian 12 systemd image (build-image.sh)
# plus PACKAGES from the Debian mirror, locally: no registry. The tag is a hash of the base image and the packages,
# so podman's image store is the cache; the image is also tagged REPOSITORY:current for molecule.yml. Used by the
# director scenarios' dependency step (their containers run without podman's network, so the role finds its packages
# installed). Prints the image reference.
set -eu
repository=$1
packages=$2
here=$(cd "$(dirname "$0")" && pwd)
base=$("$here/build-image.sh")
image=$repository:$(printf '%s\n' "$base" "$packages" | sha256sum | cut -c1-12)
builder=lvs-image-build-$$
lockdir=/var/cache/lvs-cluster/podman
mkdir -p "$lockdir"
exec 9>"$lockdir/$(basename "$repository").lock"
flock -w 900 9
if ! podman image exists "$image"; then
    echo "building $image ($packages on $base)" >&2
    trap 'podman rm -f "$builder" >/dev/null 2>&1 || true' EXIT
    # $packages is this scenario's fixed list, split into words on purpose
    # shellcheck disable=SC2086
    podman run --name "$builder" --runtime runc --ulimit nofile=1024:4096 --ulimit nproc=4096:4096 "$base" \
        sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null' \
        sh $packages >&2
    podman commit -q --change 'CMD ["/sbin/init"]' "$builder" "$image" >/dev/null
fi
podman tag "$image" "$repository:current"
echo "$image"
