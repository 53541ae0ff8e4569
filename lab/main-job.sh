#!/usr/bin/env bash
# main-job.sh: the lvs.cluster main job on the built-in lab (`make lab`, `make lab BACKEND=heartbeat_ldirectord`).
#
# On a fresh machine: installs what it needs (make deps), checks that the lab network (lab/labctl NET_PREFIX) overlaps
# no route of this host, builds or reuses the guest image, boots two directors and two
# real servers (lab/labctl), deploys the cluster with site.yml, checks that a second site.yml run changes nothing, serves
# the seed's test pages (playbooks/lab_webservers.yml), runs the seed's section 11.6 tests (playbooks/verify_cluster.yml:
# director failover and failback, balancing, real-server removal and return), then two lab-only tests:
#   - power cut: hard-kill the director holding the VIP (labctl kill), measure until the VIP answers from the other one,
#     boot it again and measure until the VIP is back where the configuration says (preempt / auto_failback);
#   - scale-out: boot rs3 and re-run site.yml with inventories/lab_scaleout added while a client polls the VIP
#     (5 requests/s); every request must succeed.
# With --day2 (`make lab-day2`), the operator playbooks of issue 8 run after the seed's tests, each with its numbers:
#   - status:         playbooks/status.yml must pass; notes which director is MASTER;
#   - drain:          a client sends requests to the VIP (5/s) while playbooks/drain_realserver.yml drains rs1; none may
#                     fail, and the MAIN_JOB_DAY2_REQUESTS (20) sent after the drain must all be answered by rs2; then
#                     playbooks/enable_realserver.yml puts rs1 back and as many requests must split evenly (rr, +-1);
#   - rolling-update: playbooks/rolling_update.yml with a changed lvs_notification_email (a reload handler must run on
#                     each director) and its client probe: requests, failed requests (must be 0), duration;
#   - failover-drill: playbooks/failover_drill.yml --limit web_directors: both switch times; the VIP ends on the primary.
# Prints a report with the time of every stage and every measured number; exits non-zero when anything failed.
# The lab is always taken down at the end (also after a failure or Ctrl-C) unless --keep is given.
#
#   lab/main-job.sh [--backend keepalived|heartbeat_ldirectord] [--keep] [--skip-kill] [--skip-scaleout] [--day2]
#
# Locking: the VM lab is exclusive. `make lab` runs this under `flock /run/lvs-lab.lock`; labctl sees that lock and
# uses it. Run directly, labctl takes the lock itself while the guests are up. This script never takes it.
#
# Environment: MAIN_JOB_OUT (report directory, default lab/run/main-job, with --day2 lab/run/main-job-day2),
#   MAIN_JOB_POLL_RATE (requests/s of the scale-out client, 5), MAIN_JOB_DAY2_REQUESTS (requests counted after the
#   drain and after the enable, 20), bounds in seconds (keepalived / heartbeat_ldirectord defaults): MAIN_JOB_FAILOVER_MAX (30/25)
#   and MAIN_JOB_FAILBACK_MAX (60/35) for verify_cluster.yml, MAIN_JOB_KILL_MAX (60/30: power cut until the VIP
#   answers), MAIN_JOB_BACK_MAX (120/45: killed director booted until the VIP is back), LAB_* (see lab/labctl).
# Functions run through `stage` and traps (shellcheck cannot see those calls).
# shellcheck disable=SC2317
set -euo pipefail

REPO=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
LABCTL=$REPO/lab/labctl
BACKEND=keepalived
KEEP=0
DO_KILL=1
DO_SCALEOUT=1
DAY2=0
POLL_RATE=${MAIN_JOB_POLL_RATE:-5}
NS=${LAB_NETNS:-lvslab}
VIP=203.0.113.100
HOSTS=(dr1 dr2 rs1 rs2)

usage() { sed -n '2,/^# Functions run/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit "${1:-2}"; }
while (($#)); do
    case "$1" in
        --backend) BACKEND=${2:-}; shift 2 ;;
        --backend=*) BACKEND=${1#*=}; shift ;;
        --keep) KEEP=1; shift ;;
        --skip-kill) DO_KILL=0; shift ;;
        --skip-scaleout) DO_SCALEOUT=0; shift ;;
        --day2) DAY2=1; shift ;;
        -h | --help) usage 0 ;;
        *) echo "main-job: unknown argument '$1'" >&2; usage 2 ;;
    esac
done
case "$BACKEND" in
    keepalived | heartbeat_ldirectord) ;;
    *) echo "main-job: --backend must be keepalived or heartbeat_ldirectord (got '$BACKEND')" >&2; exit 2 ;;
esac
# (an if, not `((DAY2)) && ...`: under set -e a false test inside an assignment's $(...) ends the script)
if ((DAY2)); then OUT=${MAIN_JOB_OUT:-$REPO/lab/run/main-job-day2}; else OUT=${MAIN_JOB_OUT:-$REPO/lab/run/main-job}; fi
DAY2_N=${MAIN_JOB_DAY2_REQUESTS:-20}
[[ $DAY2_N =~ ^[1-9][0-9]{0,3}$ ]] || { echo "main-job: MAIN_JOB_DAY2_REQUESTS must be 1-9999 (got '$DAY2_N')" >&2; exit 2; }
# Bounds of the lab's failover tests (seconds). heartbeat_ldirectord, measured in the TCG lab: heartbeat's own
# takeover scripts (~3 s), ldirectord's Perl start and first checks (~5 s, the VIP waits for them), deadtime 4 s on a
# power cut: failover ~12 s, failback ~18 s, power cut ~13 s on a lab that has the machine to itself; guests starved
# by other jobs (load 6 on the two cores) took 35 s and more (see the README of roles/director_heartbeat_ldirectord).
case "$BACKEND" in
    keepalived) d_fo=30 d_fb=60 d_kill=60 d_back=120 ;;
    heartbeat_ldirectord) d_fo=25 d_fb=35 d_kill=30 d_back=45 ;;
esac
FAILOVER_MAX=${MAIN_JOB_FAILOVER_MAX:-$d_fo}
FAILBACK_MAX=${MAIN_JOB_FAILBACK_MAX:-$d_fb}
KILL_MAX=${MAIN_JOB_KILL_MAX:-$d_kill}
BACK_MAX=${MAIN_JOB_BACK_MAX:-$d_back}
[[ $(id -u) -eq 0 ]] || { echo "main-job: must run as root (the lab uses network namespaces, taps and qemu)" >&2; exit 2; }

log() { printf '\n[main-job %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- report bookkeeping
declare -A STAGE_S=() STAGE_RC=()
STAGES=()
FAILED=()
JOB_T0=$(date +%s)
LAB_STARTED=0

# note KEY VALUE: a measured number for the report (kept in a file: stages run in subshells)
note() { printf '%s\t%s\n' "$1" "$2" >> "$OUT/numbers.tsv"; }

fail() { FAILED+=("$*"); log "FAILED: $*"; }

# stage NAME CMD...: run CMD, time it, keep its output in $OUT/NAME.log; a failing stage ends the job.
stage() {
    local name=$1 t0 rc=0
    shift
    STAGES+=("$name")
    log "stage $name: $*"
    t0=$(date +%s)
    set +e
    (
        set -e
        "$@"
    ) 2>&1 | tee "$OUT/$name.log"
    rc=${PIPESTATUS[0]}
    set -e
    STAGE_S[$name]=$(($(date +%s) - t0))
    STAGE_RC[$name]=$rc
    if ((rc != 0)); then
        fail "stage $name exited $rc (log: $OUT/$name.log)"
        exit 1
    fi
}

in_ns() { ip netns exec "$NS" "$@"; }

# Ansible inside the lab namespace, with the lab's generated connection variables.
ap() {
    in_ns env ANSIBLE_CONFIG="$REPO/ansible.cfg" ANSIBLE_FORCE_COLOR=0 PY_COLORS=0 ANSIBLE_NOCOLOR=1 \
        "$REPO/.venv/bin/ansible-playbook" -e "@$CONNECTION" -e "lab_backend=$BACKEND" "$@"
}

# The client of the lab-only tests (runs inside the namespace): bounded in requests and time.
PROBE_PY=$(cat << 'EOF'
import json, os, subprocess, sys, time, urllib.request
A = json.loads(sys.argv[1])
VIP, MODE = A['vip'], A['mode']


def get():
    try:
        with urllib.request.urlopen('http://%s/' % VIP, timeout=A.get('timeout', 1)) as r:
            return r.status == 200, r.read(4096).decode('utf-8', 'replace').strip()
    except Exception as e:  # any failure counts as a failed request
        return False, type(e).__name__


def mac():
    with open('/proc/net/arp') as f:
        for line in f.read().splitlines()[1:]:
            p = line.split()
            if p[0] == VIP and p[2] != '0x0':
                return p[3].lower()
    return None


res = {'mode': MODE, 'requests': 0, 'failed': 0, 'by_page': {}}
since = float(A.get('since') or time.time())
deadline = since + float(A['max_seconds'])
if MODE == 'wait':
    # until the VIP answers with a MAC in `macs` (the director expected to serve it)
    res.update(met=False, seconds=None)
    while time.time() < deadline and res['requests'] < 100000:
        t = time.time()
        ok, page = get()
        res['requests'] += 1
        res['failed'] += 0 if ok else 1
        if ok and mac() in A['macs']:
            res.update(met=True, seconds=round(time.time() - since, 2), mac=mac(), page=page)
            break
        time.sleep(max(0.0, float(A['interval']) - (time.time() - t)))
elif MODE == 'poll':
    # fixed rate until the stop file appears, `count` requests were sent (if given) or max_seconds: count sent / failed,
    # pages seen. With `mark` (a file) and `after` (a number): the requests sent once the mark file exists are also
    # counted apart (res['after']), and the client ends after `after` of them.
    res['failures'] = []
    count, mark, after = int(A.get('count') or 0), A.get('mark'), None
    while time.time() < deadline and not (A.get('stop') and os.path.exists(A['stop'])) and not (count and res['requests'] >= count):
        if mark and after is None and os.path.exists(mark):
            after = res['after'] = {'requests': 0, 'failed': 0, 'by_page': {}, 'mark_seconds': round(time.time() - since, 1)}
        if after is not None and after['requests'] >= int(A['after']):
            break
        t = time.time()
        ok, page = get()
        for r in [res] + ([after] if after is not None else []):
            r['requests'] += 1
            if ok:
                r['by_page'][page] = r['by_page'].get(page, 0) + 1
            else:
                r['failed'] += 1
        if not ok and len(res['failures']) < 20:
            res['failures'].append('%.1fs %s' % (t - since, page))
        time.sleep(max(0.0, 1.0 / float(A['rate']) - (time.time() - t)))
    res['seconds'] = round(time.time() - since, 1)
print(json.dumps(res, sort_keys=True))
EOF
)
client() { in_ns python3 -c "$PROBE_PY" "$1"; }
jget() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, {"d": d}))' "$1"; }

# MAC of a guest's eth0 and whether it holds the VIP.
guest_mac() { "$LABCTL" ssh "$1" cat /sys/class/net/eth0/address | tr -d '\r\n'; }
holds_vip() { "$LABCTL" ssh "$1" ip -o addr show | grep -qF " inet $VIP/"; }
vip_holders() {
    local h out=()
    for h in dr1 dr2; do
        if "$LABCTL" ssh "$h" true 2> /dev/null && holds_vip "$h"; then out+=("$h"); fi
    done
    echo "${out[*]}"
}

# ---------------------------------------------------------------- the report (always printed)
report() {
    local rc=$1 s n
    echo
    echo "=================== lvs.cluster main job: backend $BACKEND$( ((DAY2)) && echo ', day-2 playbooks') ==================="
    printf '%-28s %8s  %s\n' "stage" "seconds" "result"
    for s in "${STAGES[@]}"; do
        printf '%-28s %8s  %s\n' "$s" "${STAGE_S[$s]:-?}" "$( ((${STAGE_RC[$s]:-1} == 0)) && echo ok || echo "FAILED (rc ${STAGE_RC[$s]:-?})")"
    done
    printf '%-28s %8s\n' "total" "$(($(date +%s) - JOB_T0))"
    if [[ -s $OUT/numbers.tsv ]]; then
        echo "--- measured"
        while IFS=$'\t' read -r s n; do printf '  %-52s %s\n' "$s" "$n"; done < "$OUT/numbers.tsv"
    fi
    if [[ -f $OUT/verify.json ]]; then
        echo "--- verify_cluster.yml checks ($OUT/verify.json)"
        python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
for c in d["clusters"]:
    for k in c["checks"]:
        print("  [%s] %s: %s" % ("PASS" if k["ok"] else "FAIL", k["name"], k["msg"]))' "$OUT/verify.json" || true
    fi
    if ((${#FAILED[@]})); then
        echo "--- FAILED"
        for s in "${FAILED[@]}"; do echo "  $s"; done
    fi
    echo "result: $( ((rc == 0 && ${#FAILED[@]} == 0)) && echo PASSED || echo FAILED)  (logs and JSON in $OUT)"
    echo "=============================================================================="
}

# The numbers of verify_cluster.yml's JSON report, into the job's report (also when the verify stage failed).
add_verify_numbers() {
    [[ -f $OUT/verify.json && ! -f $OUT/verify.numbers ]] || return 0
    python3 - "$OUT/verify.json" > "$OUT/verify.numbers" << 'EOF'
import json, sys
c = json.load(open(sys.argv[1]))['clusters'][0]
out = [('balance: requests / failed', '%s / %s' % (c['balance']['requests'], c['balance']['failed'])),
       ('balance: per real server', ' '.join('%s=%s' % kv for kv in sorted(c['balance']['counts'].items())))]
ha, rs = c.get('ha'), c.get('realserver')
if ha:
    out += [('failover: %s stopped on %s, VIP answers (s)' % (ha['daemon'], ha['director_stopped']), ha['failover']['seconds']),
            ('failover: failed requests meanwhile', '%s of %s' % (ha['failover']['failed'], ha['failover']['requests'])),
            ('failback: %s, VIP back and answering (s)' % ('expected' if ha['failback_expected'] else 'not expected'),
             ha['failback']['seconds'] if ha['failback_expected'] else 'stayed on ' + ','.join(ha['holders_after_failback'])),
            ('failback: VIP on %s again, seen there (s)' % ha['director_stopped'], ha.get('vip_back_on_director_seconds'))]
if rs:
    out += [('real server: %s stopped on %s, removed (s)' % (rs['service'], rs['host']), rs['removal']['seconds']),
            ('real server: failed requests until removed', '%s of %s' % (rs['removal']['failed'], rs['removal']['requests'])),
            ('real server: %s back in rotation (s)' % rs['host'], rs['return']['seconds'])]
for k, v in out:
    print('%s\t%s' % (k, v))
EOF
    cat "$OUT/verify.numbers" >> "$OUT/numbers.tsv"
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if ((!LAB_STARTED)); then
        :
    elif ((KEEP)); then
        log "--keep: the lab stays up (lab/labctl status; lab/labctl down when done)"
    else
        STAGES+=("lab down")
        local t0
        t0=$(date +%s)
        "$LABCTL" down || fail "labctl down failed"
        STAGE_S["lab down"]=$(($(date +%s) - t0))
        STAGE_RC["lab down"]=0
    fi
    ((${#FAILED[@]} == 0)) || ((rc != 0)) || rc=1
    add_verify_numbers || true
    report "$rc" | tee "$OUT/report.txt"
    exit "$rc"
}

mkdir -p "$OUT"
rm -f "$OUT"/*.log "$OUT"/*.json "$OUT/report.txt" "$OUT/numbers.tsv" "$OUT/verify.numbers"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- 1. dependencies, lab network and image
if [[ -z ${MAKELEVEL:-} || ! -x $REPO/.venv/bin/ansible-playbook ]]; then
    stage deps make -C "$REPO" deps
fi
# The lab network must overlap no route of this host (labctl up checks it too; here it fails before the image build).
stage lab-network "$LABCTL" check-net
note "lab network" "$(sed -n 's/^lab network //p' "$OUT/lab-network.log" | tail -n 1)"
if "$REPO/lab/build-image.sh" --check; then note "image" "cached (recipe $("$REPO/lab/build-image.sh" --print-key | cut -c1-12))"; else note "image" "built now"; fi
stage image "$REPO/lab/build-image.sh"

# ---------------------------------------------------------------- 2. boot
if [[ -e /run/netns/$NS ]]; then
    # Under `make lab` this job holds the lab lock, so a lab found now is a leftover of a crashed run.
    if [[ -n ${MAKELEVEL:-} ]] || flock -n "${LAB_LOCK:-/run/lvs-lab.lock}" true; then
        log "a leftover lab is up in namespace $NS: taking it down first"
        "$LABCTL" down
    else
        fail "a lab is up in namespace $NS and its lock is held: wait for its owner, or run lab/labctl down if it is yours"
        exit 1
    fi
fi
LAB_STARTED=1
stage boot "$LABCTL" up "${HOSTS[@]}"
CONNECTION=$("$LABCTL" inventory)

# ---------------------------------------------------------------- 3. converge, pages, idempotence
cd "$REPO"
stage converge ap site.yml -i inventories/lab
stage webservers ap playbooks/lab_webservers.yml -i inventories/lab
stage idempotence ap site.yml -i inventories/lab
if ! python3 - "$OUT/idempotence.log" << 'EOF'
import re, sys
recap = re.findall(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', open(sys.argv[1]).read(), re.M)
bad = [h for h, c, u, f in recap if (c, u, f) != ('0', '0', '0')]
print('idempotence: %d hosts in the recap, not clean: %s' % (len(recap), ', '.join(bad) or 'none'))
sys.exit(1 if bad or not recap else 0)
EOF
then
    fail "idempotence: the second site.yml run changed something (see the PLAY RECAP in $OUT/idempotence.log)"
    exit 1
fi
note "idempotence (second site.yml)" "changed=0 on every host"

# ---------------------------------------------------------------- 4. the seed's tests (section 11.6)
stage verify ap playbooks/verify_cluster.yml -i inventories/lab -e "verify_report_file=$OUT/verify.json" \
    -e "verify_failover_max_seconds=$FAILOVER_MAX" -e "verify_failback_max_seconds=$FAILBACK_MAX"
add_verify_numbers

# ---------------------------------------------------------------- 5. --day2: the operator playbooks (issue 8)
# ap with every result on one JSON line and the set_stats data printed ("RUN: {...}"): the stages read their numbers there.
apj() { ANSIBLE_CALLBACK_RESULT_FORMAT=json ANSIBLE_SHOW_CUSTOM_STATS=true ap "$@"; }
# run_stats LOG: the set_stats data of a run (JSON), {} when it printed none
run_stats() {
    python3 -c 'import json, re, sys
m = re.findall(r"^\s*RUN: (\{.*\})\s*$", open(sys.argv[1]).read(), re.M)
print(json.dumps(json.loads(m[-1]) if m else {}))' "$1"
}
# pages: a client result on stdin -> "rs1=N rs2=M" (the lab pages say "This is real server<N>", playbooks/lab_webservers.yml)
pages() { jget '" ".join("%s=%s" % ("rs" + k.rsplit("server", 1)[1] if "server" in k else k, v) for k, v in sorted(d["by_page"].items())) or "none"'; }
# served RS: a client result on stdin -> the number of requests the real server rs<N> answered
served() { jget "sum(v for k, v in d['by_page'].items() if k.endswith('server${1#rs}'))"; }
# ipvs_weight DIRECTOR ADDRESS: the IPVS weight of a real server of the VIP's service on the director ("absent" if none)
ipvs_weight() {
    "$LABCTL" ssh "$1" ipvsadm -Ln -t "$VIP:80" | awk -v a="$2:80" '$1 == "->" && $2 == a { w = $4 } END { print (w == "" ? "absent" : w) }'
}

day2_status() {
    local log=$OUT/status.ansible.log master holders
    apj playbooks/status.yml -i inventories/lab 2>&1 | tee "$log"
    master=$(python3 -c 'import re, sys
t = open(sys.argv[1]).read()
print(" ".join(sorted(set(re.findall(r"\"\s*(\S+)\s+\S+\s+\S+\s+prio \d+: MASTER, holds ", t)))))' "$log")
    holders=$(vip_holders)
    note "status: MASTER (status.yml) / VIP on (ip addr)" "${master:-none} / ${holders:-none}"
    note "status: problems" "$(grep -oE 'problems: [^"]*' "$log" | tail -1 | cut -d' ' -f2-)"
    [[ -n $master && $master == "$holders" ]] || { echo "status.yml names MASTER '$master', the VIP is on '$holders'"; return 1; }
}

day2_drain() {
    local stop=$OUT/drain.stop mark=$OUT/drain.mark r a pid rc=0 master t0 w
    master=$(vip_holders)
    [[ $master == dr1 || $master == dr2 ]] || { echo "expected exactly one director with the VIP, found: '$master'"; return 1; }
    rm -f "$stop" "$mark"
    echo "client: 5 requests/s to http://$VIP/ during the drain of rs1, then $DAY2_N more once it is done"
    client "{\"mode\": \"poll\", \"vip\": \"$VIP\", \"rate\": 5, \"max_seconds\": 600, \"stop\": \"$stop\", \"mark\": \"$mark\", \"after\": $DAY2_N}" \
        > "$OUT/drain-poll.json" &
    pid=$!
    trap 'touch "$OUT/drain.stop"' EXIT # the client stops whatever happens
    sleep 2
    t0=$(date +%s)
    ap playbooks/drain_realserver.yml -i inventories/lab -e lvs_drain_realserver=rs1 -e lvs_drain_timeout=20 \
        -e lvs_drain_poll=2 -e lvs_drain_fail_on_timeout=true || rc=$?
    note "drain: drain_realserver.yml rs1 on $master (s)" "$(($(date +%s) - t0))"
    if ((rc == 0)); then touch "$mark"; else touch "$stop"; fi
    w=$(ipvs_weight "$master" 203.0.113.21)
    wait "$pid" || true
    r=$(cat "$OUT/drain-poll.json")
    echo "$r"
    ((rc == 0)) || { echo "drain_realserver.yml failed (rc $rc)"; return 1; }
    [[ $(jget '"after" in d' <<< "$r") == True ]] || { echo "the client ended before the drain was done"; return 1; }
    note "drain: rs1 IPVS weight on $master after the drain" "$w"
    note "drain: requests during the drain / failed" "$(jget '"%s / %s" % (d["requests"] - d["after"]["requests"], d["failed"] - d["after"]["failed"])' <<< "$r")"
    a=$(jget '__import__("json").dumps(d["after"])' <<< "$r")
    note "drain: requests after it / failed" "$(jget '"%s / %s" % (d["requests"], d["failed"])' <<< "$a")"
    note "drain: after it, answered by" "$(pages <<< "$a")"
    [[ $w == 0 ]] || { echo "rs1 has IPVS weight '$w' on $master after the drain, expected 0"; return 1; }
    [[ $(jget 'd["failed"]' <<< "$r") == 0 ]] || { echo "requests failed: $(jget 'd["failures"]' <<< "$r")"; return 1; }
    [[ $(jget 'd["requests"]' <<< "$a") == "$DAY2_N" ]] || { echo "the client sent $(jget 'd["requests"]' <<< "$a") requests after the drain, expected $DAY2_N"; return 1; }
    [[ $(served rs2 <<< "$a") == "$DAY2_N" && $(served rs1 <<< "$a") == 0 ]] || { echo "after the drain: $(pages <<< "$a"), expected rs2=$DAY2_N only"; return 1; }

    t0=$(date +%s)
    ap playbooks/enable_realserver.yml -i inventories/lab -e lvs_enable_realserver=rs1
    note "enable: enable_realserver.yml rs1 (s)" "$(($(date +%s) - t0))"
    w=$(ipvs_weight "$master" 203.0.113.21)
    note "enable: rs1 IPVS weight on $master" "$w"
    r=$(client "{\"mode\": \"poll\", \"vip\": \"$VIP\", \"rate\": 10, \"count\": $DAY2_N, \"max_seconds\": 120}")
    echo "$r" | tee "$OUT/enable-poll.json"
    note "enable: requests / failed" "$(jget '"%s / %s" % (d["requests"], d["failed"])' <<< "$r")"
    note "enable: answered by" "$(pages <<< "$r")"
    [[ $w != 0 && $w != absent ]] || { echo "rs1 has IPVS weight '$w' on $master after the enable"; return 1; }
    [[ $(jget 'd["failed"]' <<< "$r") == 0 && $(jget 'd["requests"]' <<< "$r") == "$DAY2_N" ]] || { echo "after the enable: $r"; return 1; }
    local n1 n2
    n1=$(served rs1 <<< "$r")
    n2=$(served rs2 <<< "$r")
    ((n1 + n2 == DAY2_N && n1 - n2 <= 1 && n2 - n1 <= 1)) || { echo "after the enable: rs1=$n1 rs2=$n2, expected an even split (rr)"; return 1; }
}

day2_rolling_update() {
    local log=$OUT/rolling-update.ansible.log rc=0 t0
    t0=$(date +%s)
    # a changed lvs_notification_email changes keepalived.conf / ldirectord.cf: every director reloads
    apj playbooks/rolling_update.yml -i inventories/lab -e '{"lvs_notification_email": ["lab-day2@example.org"]}' \
        -e lvs_rolling_probe=true 2>&1 | tee "$log" || rc=$?
    note "rolling update: duration (s)" "$(($(date +%s) - t0))"
    # numbers into the report (also after a failure), then the checks
    python3 - "$log" "$(run_stats "$log")" "$rc" "$OUT/numbers.tsv" << 'EOF'
import json, re, sys
t, stats, rc = open(sys.argv[1]).read(), json.loads(sys.argv[2]), int(sys.argv[3])
order = re.findall(r'Directors, in this order: ([^;]+);', t)
probe = re.findall(r'"(\d+) requests in ([\d.]+) s, (\d+) failed"', t)
# director -> reload / restart handlers that ran there: "changed", or "ok" when the daemon had nothing to reload
# (heartbeat_ldirectord: ldirectord runs on the active director only, the standby reads its new file at takeover)
handlers, handler = {}, None
for line in t.splitlines():
    m = re.match(r"RUNNING HANDLER \[(?:[^\]]*: )?((?:Reload|Restart) [^\]]+)\]", line)
    if m or re.match(r'(TASK|PLAY|RUNNING HANDLER) \[', line):
        handler = m.group(1) if m else None
        continue
    m = re.match(r'(changed|ok): \[([^\]\s]+)\]', line)
    if handler and m:
        handlers.setdefault(m.group(2), []).append('%s (%s)' % (handler.lower(), m.group(1)))
notes = [('rolling update: order', order[0] if order else '?')]
if probe:
    notes += [('rolling update: client probe requests / failed', '%s / %s' % (probe[-1][0], probe[-1][2])),
              ('rolling update: client probe duration (s)', probe[-1][1])]
notes += [('rolling update: set_stats requests / failed',
           '%s / %s' % (stats.get('lvs_rolling_requests'), stats.get('lvs_rolling_failed_requests'))),
          ('rolling update: handlers run', '; '.join('%s: %s' % (h, ', '.join(v)) for h, v in sorted(handlers.items())) or 'none')]
with open(sys.argv[4], 'a') as f:
    f.writelines('%s\t%s\n' % n for n in notes)
err = ['rolling_update.yml failed (rc %d)' % rc] if rc else []
if len(probe) != 1:
    err.append('expected one client probe report in the output, found %d' % len(probe))
elif int(probe[0][0]) == 0 or int(probe[0][2]) != 0:
    err.append('client probe: %s requests, %s failed (goal: more than 0 requests, 0 failed)' % (probe[0][0], probe[0][2]))
if str(stats.get('lvs_rolling_failed_requests')) != '0':
    err.append('set_stats lvs_rolling_failed_requests = %r, expected 0' % stats.get('lvs_rolling_failed_requests'))
for d in ('dr1', 'dr2'):
    if not any(h.startswith('reload ') for h in handlers.get(d, [])):
        err.append('no reload handler ran on %s (the changed configuration notifies one)' % d)
print('\n'.join(err) or 'rolling update: checks passed')
sys.exit(1 if err else 0)
EOF
}

day2_failover_drill() {
    local log=$OUT/failover-drill.ansible.log rc=0 t0 holders
    t0=$(date +%s)
    apj playbooks/failover_drill.yml -i inventories/lab --limit web_directors 2>&1 | tee "$log" || rc=$?
    note "failover drill: duration (s)" "$(($(date +%s) - t0))"
    python3 - "$log" "$(run_stats "$log")" >> "$OUT/numbers.tsv" << 'EOF'
import json, re, sys
t, stats = open(sys.argv[1]).read(), json.loads(sys.argv[2])
fwd = re.findall(r'([^\s"]+) -> (\S+): ([\d.]+) s until the backup answered for every VIP \(\'([^\']+)\' took ([\d.]+) s', t)
back = re.findall(r'([^\s"]+) -> (\S+): ([\d.]+) s \(measured on ([^\s,]+), (.+?) took ([\d.]+) s of it', t)
for a, b, s, label, trig in fwd:
    print('failover drill: %s -> %s, VIPs moved (s)\t%s (%s: %s s of it)' % (a, b, s, label, trig))
for a, b, s, on, label, trig in back:
    print('failover drill: %s -> %s, VIPs back (s)\t%s (measured on %s; %s: %s s of it)' % (a, b, s, on, label, trig))
print('failover drill: set_stats\t%s' % json.dumps(stats.get('lvs_drill'), sort_keys=True))
EOF
    ((rc == 0)) || { echo "failover_drill.yml failed (rc $rc)"; return 1; }
    holders=$(vip_holders)
    note "failover drill: VIP on after the drill" "${holders:-none}"
    python3 -c 'import json, sys
d = json.loads(sys.argv[1]).get("lvs_drill") or {}
ok = d and all(isinstance(c.get(k), (int, float)) and c[k] > 0 for c in d.values() for k in ("to_backup_seconds", "to_primary_seconds"))
print("failover drill: both switches measured" if ok else "failover drill: switch times missing in set_stats: %r" % d)
sys.exit(0 if ok else 1)' "$(run_stats "$log")"
    [[ $holders == dr1 ]] || { echo "the VIP should be back on the primary dr1, holders: '$holders'"; return 1; }
}

if ((DAY2)); then
    stage status day2_status
    stage drain day2_drain
    stage rolling-update day2_rolling_update
    stage failover-drill day2_failover_drill
fi

# ---------------------------------------------------------------- 6. lab only: power cut of the director holding the VIP
power_cut() {
    local holder other t0 r back_expected
    holder=$(vip_holders)
    [[ $holder == dr1 || $holder == dr2 ]] || { echo "expected exactly one director with the VIP, found: '${holder}'"; return 1; }
    other=$([[ $holder == dr1 ]] && echo dr2 || echo dr1)
    local mac_holder mac_other
    mac_holder=$(guest_mac "$holder")
    mac_other=$(guest_mac "$other")
    echo "VIP on $holder ($mac_holder); killing its VM; expecting $other ($mac_other) to serve the VIP"
    t0=$(date +%s.%N)
    "$LABCTL" kill "$holder"
    r=$(client "{\"mode\": \"wait\", \"vip\": \"$VIP\", \"since\": $t0, \"max_seconds\": $KILL_MAX, \"interval\": 0.25, \"macs\": [\"$mac_other\"]}")
    echo "$r" | tee "$OUT/kill-failover.json"
    note "power cut: $holder killed, VIP answers from $other (s)" "$(jget 'd["seconds"]' <<< "$r")"
    note "power cut: failed requests meanwhile" "$(jget '"%s of %s" % (d["failed"], d["requests"])' <<< "$r")"
    [[ $(jget 'd["met"]' <<< "$r") == True ]] || { echo "the VIP did not answer from $other within ${KILL_MAX}s"; return 1; }

    t0=$(date +%s)
    "$LABCTL" start "$holder"
    note "power cut: $holder boot to SSH (s)" "$(($(date +%s) - t0))"
    # keepalived preempt / heartbeat auto_failback, as verify_cluster.yml read them from the model
    back_expected=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["clusters"][0]["ha"]["failback_expected"])' \
        "$OUT/verify.json" 2> /dev/null || echo True)
    t0=$(date +%s.%N)
    if [[ $back_expected == True ]]; then
        r=$(client "{\"mode\": \"wait\", \"vip\": \"$VIP\", \"since\": $t0, \"max_seconds\": $BACK_MAX, \"interval\": 0.25, \"macs\": [\"$mac_holder\"]}")
        echo "$r" | tee "$OUT/kill-failback.json"
        note "power cut: VIP back on $holder after its SSH is up (s)" "$(jget 'd["seconds"]' <<< "$r")"
        note "power cut: failed requests during the return" "$(jget '"%s of %s" % (d["failed"], d["requests"])' <<< "$r")"
        [[ $(jget 'd["met"]' <<< "$r") == True ]] || { echo "the VIP did not come back to $holder within ${BACK_MAX}s"; return 1; }
    else
        sleep 15
        [[ $(vip_holders) == "$other" ]] || { echo "the VIP should have stayed on $other (no failback), holders: $(vip_holders)"; return 1; }
        note "power cut: VIP stays on $other (no failback)" "yes"
    fi
    [[ $(vip_holders) == "$holder" || $back_expected != True ]] || { echo "VIP holders after the return: '$(vip_holders)'"; return 1; }
}
if ((DO_KILL)); then stage power-cut power_cut; fi

# ---------------------------------------------------------------- 7. issue 5: scale-out under load, zero failed requests
POLL_STOP=$OUT/poll.stop
scale_out() {
    local stop=$POLL_STOP r rc=0
    rm -f "$stop"
    t0=$(date +%s)
    "$LABCTL" up rs3
    note "scale-out: rs3 boot to SSH (s)" "$(($(date +%s) - t0))"
    ap playbooks/lab_webservers.yml -i inventories/lab -i inventories/lab_scaleout --limit rs3
    echo "client polling http://$VIP/ at $POLL_RATE requests/s during site.yml with rs3 added"
    client "{\"mode\": \"poll\", \"vip\": \"$VIP\", \"rate\": $POLL_RATE, \"max_seconds\": 1800, \"stop\": \"$stop\"}" > "$OUT/scaleout-poll.json" &
    POLL_PID=$!
    trap 'touch "$POLL_STOP"' EXIT # the client stops whatever happens
    sleep 2
    t0=$(date +%s)
    ap site.yml -i inventories/lab -i inventories/lab_scaleout || rc=$?
    note "scale-out: site.yml with rs3 (s)" "$(($(date +%s) - t0))"
    sleep 10 # let the health checks take rs3 in, still polling
    touch "$stop"
    wait "$POLL_PID" || true
    r=$(cat "$OUT/scaleout-poll.json")
    echo "$r"
    note "scale-out: requests sent / failed" "$(jget '"%s / %s" % (d["requests"], d["failed"])' <<< "$r")"
    note "scale-out: answers per page" "$(jget '" ".join("%s=%s" % (k.split()[-1], v) for k, v in sorted(d["by_page"].items()))' <<< "$r")"
    ((rc == 0)) || { echo "site.yml with rs3 failed (rc $rc)"; return 1; }
    [[ $(jget 'd["failed"]' <<< "$r") == 0 ]] || { echo "requests failed during the scale-out: $(jget 'd["failures"]' <<< "$r")"; return 1; }
    [[ $(jget 'd["requests"]' <<< "$r") -gt 0 ]] || { echo "the client sent no request"; return 1; }
    # rs3 must now be in rotation: 12 requests (rr over 3) must reach it
    r=$(client "{\"mode\": \"poll\", \"vip\": \"$VIP\", \"rate\": 10, \"max_seconds\": 1.15, \"stop\": \"$stop.none\"}")
    note "scale-out: after the run, answers per page" "$(jget '" ".join("%s=%s" % (k.split()[-1], v) for k, v in sorted(d["by_page"].items()))' <<< "$r")"
    grep -q "server3" <<< "$r" || { echo "rs3 does not answer through the VIP after the scale-out: $r"; return 1; }
}
if ((DO_SCALEOUT)); then stage scale-out scale_out; fi

exit 0
