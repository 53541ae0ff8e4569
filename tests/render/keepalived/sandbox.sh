#!/bin/sh
# Run `keepalived -t -l -f CONF` in throw-away namespaces (started by check.py with
# `unshare --mount --net --pid --fork`): private network with the interfaces and addresses the fixtures use,
# the script user keepalived_script and root-owned scripts under /etc/keepalived, all bind-mounted so the host
# is left untouched. keepalived runs as PID 1 of the new PID namespace, which also sidesteps the 2.2.7 config-test
# self-kill with a non-root script_user (acassen/keepalived#2587), exactly like the role's validate command.
set -eu
work=$1
conf=$2
mount --make-rprivate /
mount --bind "$work/passwd" /etc/passwd
mount --bind "$work/group" /etc/group
mount --bind "$work/etc-keepalived" /etc/keepalived
ip link set lo up
ip link add eth0 type veth peer name eth1
ip link set eth0 up
ip link set eth1 up
ip addr add 203.0.113.11/24 dev eth0
ip addr add 203.0.113.12/24 dev eth0
ip -6 addr add 2001:db8::11/64 dev eth0 nodad
ip addr add 198.51.100.2/24 dev eth1
exec keepalived -t -l -f "$conf"
