# shellcheck shell=sh disable=SC2034,SC2154
# (SC2034/SC2154: the variables are the caller's, set before or read after sourcing)
# Helpers shared by the checks that run a role against a podman systemd container (keepalived-container.sh,
# keepalived-firewalld.sh). Sourced, never run: `make checks` runs tests/checks/*.sh only.
# The caller sets: repo (repository root), bin (the venv's bin directory), name (the container), work (a temp
# directory holding hosts.yml and play.yml). It gets: fail (0 until `bad`), ok, bad, in_ct, run_play, changed,
# role_image, start_director_container (sets $address).
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
in_ct() { podman exec "$name" sh -c "$1"; }
run_play() {
    # run_play LOG [ansible-playbook args...]; prints the recap line of the container
    log=$1
    shift
    rc=0
    ANSIBLE_CONFIG=$repo/ansible.cfg ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 \
        timeout 240 "$bin/ansible-playbook" -i "$work/hosts.yml" "$work/play.yml" "$@" > "$work/$log" 2>&1 || rc=$?
    grep -E "^$name +: ok=" "$work/$log" | tail -1
    return $rc
}
changed() { sed -n 's/.*changed=\([0-9]*\).*/\1/p'; }
# role_image REPOSITORY "PACKAGES": sets $image to the realserver_dr scenario's Debian 12 image plus PACKAGES from
# the Debian mirror, built once and cached by podman under a tag derived from both.
role_image() {
    base=$("$repo/molecule/realserver_dr/build-image.sh")
    image=$1:$(printf '%s\n' "$base" "$2" | sha256sum | cut -c1-12)
    if ! podman image exists "$image"; then
        podman rm -f "$name-build" >/dev/null 2>&1 || true
        podman run --name "$name-build" --runtime runc --ulimit nofile=1024:4096 --ulimit nproc=4096:4096 "$base" \
            sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $2 >/dev/null"
        podman commit -q "$name-build" "$image" >/dev/null
        podman rm -f "$name-build" >/dev/null
    fi
}
# start_director_container WAIT_STEPS: (re)start container $name from $image with systemd as init, set $address,
# wait up to WAIT_STEPS x 0.2 s for systemd, then prepare it as a director without IPVS (the host kernel has none):
# keepalived runs its VRRP part only (--vrrp). The container has no network of podman's (--network none: ansible
# reaches it through `podman exec`), so nothing it sends (unicast VRRP to the inventory's peers, 203.0.113.0/24)
# can leave it: eth0 (203.0.113.11/24, the cluster segment) and eth1 (198.51.100.2/24, the NAT inside segment) are
# veth pairs whose both ends stay in the container's own network namespace, with no default route.
start_director_container() {
    podman rm -f "$name" >/dev/null 2>&1 || true
    podman run -d --name "$name" --hostname "$name" --runtime runc --privileged --systemd always --network none \
        --ulimit nofile=1024:4096 --ulimit nproc=4096:4096 "$image" /sbin/init >/dev/null
    address=203.0.113.11
    in_ct "for i in \$(seq $1); do s=\$(systemctl is-system-running 2>/dev/null); case \$s in running|degraded) exit 0;; esac; sleep 0.2; done; exit 1"
    in_ct 'echo "DAEMON_ARGS=\"--vrrp\"" > /etc/default/keepalived
           ip link add eth0 type veth peer name eth0p && ip link set eth0 up && ip link set eth0p up
           ip addr add 203.0.113.11/24 dev eth0
           ip link add eth1 type veth peer name eth1p && ip link set eth1 up && ip link set eth1p up
           ip addr add 198.51.100.2/24 dev eth1'
}
