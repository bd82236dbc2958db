#!/bin/bash
# bench/bulk.sh [N...]: mxdane check --domains against posttls-finger -l dane
# through xargs -P, on a generated list of N mail domains (default 1000 and
# 10000) spread over the lab's MX hosts (tests/lab), and the STARTTLS
# handshake capacity of the lab's Postfix, then the DNS-bound limit (dnsperf
# against NSD and a validating unbound daemon; needs Debian's dnsperf) and,
# with PERF=1, where mxdane's CPU goes (perf record). Not a test: nothing is
# asserted.
#
# Like bench/check.sh it runs in private network + mount namespaces with the
# lab on ports 25/53 and a validating unbound on 127.0.0.53 bind-mounted as
# /etc/resolv.conf (posttls-finger only knows the system resolver).
#   MXDANE=build/test/mxdane bench/bulk.sh 1000 10000
#   JOBS="8 16 32 64" bench/bulk.sh 1000     # the --jobs sweep behind the default
#   MXDANE_B=/tmp/before/mxdane AB_ROUNDS=5 bench/bulk.sh 1000
#       two binaries alternating on one lab (A = MXDANE, B = MXDANE_B, the
#       order swapped every round), then each one's median and B/A; nothing
#       else is measured
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZES=("$@"); [[ ${#SIZES[@]} -gt 0 ]] || SIZES=(1000 10000)
MXDANE=${MXDANE:-$here/build/test/mxdane}
JOBS=${JOBS:-}
PF_P=${PF_P:-"8 16 32"}
[[ -x $MXDANE ]] || { echo "bench: no mxdane binary at $MXDANE (build first or set MXDANE)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }

if [[ -z ${MXDANE_BENCH_OUTER_MNT:-} ]]; then
    MXDANE_BENCH_OUTER_MNT=$(readlink /proc/self/ns/mnt) MXDANE_BENCH_OUTER_NET=$(readlink /proc/self/ns/net) \
        exec unshare -n -m --propagation private "$0" "$@"
fi
mnt=$(readlink /proc/self/ns/mnt); net=$(readlink /proc/self/ns/net)
if [[ -z $mnt || -z $net || $mnt == "$MXDANE_BENCH_OUTER_MNT" || $net == "$MXDANE_BENCH_OUTER_NET" ]]; then
    echo "bench: not in private namespaces (unshare -n -m failed?); refusing to touch /etc/resolv.conf" >&2
    exit 2
fi

ip link set lo up
DIR=$(mktemp -d /tmp/mxdane-bulkbench.XXXXXX)
chmod 755 "$DIR"
LAB_QUIET=1 LAB_FORCE_DNS_PORT=53 LAB_FORCE_SMTP_PORT=25 "$here/tests/lab/labctl" start "$DIR/lab"
cleanup() {
    for pid in "$DIR"/lab/run/unbound.pid "$DIR"/lab/run/unbound-v.pid; do
        [[ -s $pid ]] && kill "$(cat "$pid")" 2>/dev/null
    done
    "$here/tests/lab/labctl" stop "$DIR/lab" >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap cleanup EXIT
# shellcheck disable=SC1091
source "$DIR/lab/lab.env"

# The generated domains: bN.secure.test / bN.bogus.test, each with one MX
# among the lab's Postfix hosts, most on a few of them as at a hosting
# provider. Verdicts: validated (mx1 3 4 9 12 13 14), FAILED (mx2 mismatch),
# no DANE (mx5 NODATA, mx10 NXDOMAIN, mx6 insecure zone), would defer (bogus).
max=0; for n in "${SIZES[@]}"; do ((n > max)) && max=$n; done
hosts=(mx1 mx1 mx1 mx1 mx1 mx1 mx1 mx1 mx3 mx3 mx3 mx2 mx2 mx5 mx5 mx4 mx9 mx12 mx13 mx14 mx10 mx6.insecure.test.)
: >"$DIR/all.txt"
{
    for ((i = 1; i <= max; i++)); do
        if ((i % 20 == 0)); then
            echo "b$i.bogus.test" >>"$DIR/all.txt"
            continue
        fi
        h=${hosts[$((i * 7 % ${#hosts[@]}))]}
        printf 'b%d\tIN\tMX\t10 %s\n' "$i" "$h"
        echo "b$i.secure.test" >>"$DIR/all.txt"
    done
} >>"$LAB_ZONES_DIR/secure.test.zone"
for ((i = 20; i <= max; i += 20)); do printf 'b%d\tIN\tMX\t10 mx7\n' "$i"; done >>"$LAB_ZONES_DIR/bogus.test.zone"
LAB_QUIET=1 "$here/tests/lab/labctl" reload-dns "$DIR/lab"

{
    echo "server:"
    printf '\t%s\n' "interface: 127.0.0.53" "port: 53" 'username: ""' 'chroot: ""' \
        "directory: \"$LAB_DIR\"" "pidfile: \"$LAB_DIR/run/unbound.pid\"" "use-syslog: no" \
        "logfile: \"$LAB_DIR/log/unbound.log\"" "access-control: 127.0.0.0/8 allow" "msg-cache-size: 64m" \
        "rrset-cache-size: 64m" "num-queries-per-thread: 4096"
    sed '1,/^server:/d' "$LAB_UNBOUND_CONF"
} >"$LAB_DIR/unbound-daemon.conf"
unbound -c "$LAB_DIR/unbound-daemon.conf"
for _ in $(seq 100); do
    dig +time=1 +tries=1 @127.0.0.53 SOA test. >/dev/null 2>&1 && break
    sleep 0.05
done
printf 'nameserver 127.0.0.53\noptions trust-ad\n' >"$DIR/resolv.conf"
mount --bind "$DIR/resolv.conf" /etc/resolv.conf # private mount namespace: checked above

stubs=()
for z in $LAB_STUB_ZONES; do stubs+=(--stub "$z=127.0.0.1@$LAB_DNS_PORT"); done

timed() { # OUT CMD...: prints "wall_s rss_kib"
    local out=$1; shift
    local t0=$EPOCHREALTIME
    /usr/bin/time -f %M -o "$DIR/rss" "$@" >"$out" 2>"$out.err" || true
    local t1=$EPOCHREALTIME
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') $(tail -n 1 "$DIR/rss")"
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", n / s }'; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-48s %8s %9s %10s %9s\n' run domains wall_s domains/s rss_kib

mxrun() { # N JOBS LABEL [OPTION...]
    head -n "$1" "$DIR/all.txt" >"$DIR/list.$1"
    read -r wall rss < <(timed "$DIR/mx.out" "$MXDANE" check --trust-anchor "$LAB_TRUST_ANCHOR" "${stubs[@]}" \
        --timeout 10 --jobs "$2" "${@:4}" --domains "$DIR/list.$1")
    printf '%-48s %8d %9s %10s %9s\n' "$3" "$1" "$wall" "$(rate "$1" "$wall")" "$rss"
    grep "^summary:" "$DIR/mx.out.err" | sed "s/^/    /"
}

pfrun() { # N P: posttls-finger per domain, P at a time
    head -n "$1" "$DIR/all.txt" >"$DIR/list.$1"
    read -r wall rss < <(timed "$DIR/pf.out" xargs -P "$2" -I{} env MAIL_CONFIG="$LAB_DIR/postfix/conf" \
        posttls-finger -o dnssec_probe= -l dane -t 10 -T 10 {} <"$DIR/list.$1")
    printf '%-48s %8d %9s %10s %9s\n' "posttls-finger -l dane, xargs -P $2" "$1" "$wall" "$(rate "$1" "$wall")" "-"
}

# Handshake capacity: STARTTLS sessions to one Postfix address at
# saturation (posttls-finger, which does nothing else), 200 sessions.
hsrun() { # P
    seq 200 >"$DIR/hs.list"
    read -r wall _ < <(timed "$DIR/hs.out" xargs -P "$1" -I{} env MAIL_CONFIG="$LAB_DIR/postfix/conf" \
        posttls-finger -o dnssec_probe= -c -l may "[127.0.1.1]" <"$DIR/hs.list")
    printf '%-48s %8s %9s %10s\n' "STARTTLS sessions to 127.0.1.1, -P $1" 200 "$wall" "$(rate 200 "$wall")/s"
}

if [[ -n ${MXDANE_B:-} ]]; then
    [[ -x $MXDANE_B ]] || { echo "bench: no binary at MXDANE_B=$MXDANE_B" >&2; exit 2; }
    A=$MXDANE
    for n in "${SIZES[@]}"; do
        ra=() rb=()
        for ((round = 1; round <= ${AB_ROUNDS:-5}; round++)); do
            order=(A B); ((round % 2)) || order=(B A)
            for which in "${order[@]}"; do
                if [[ $which == A ]]; then MXDANE=$A; else MXDANE=$MXDANE_B; fi
                line=$(mxrun "$n" 8 "$which round $round: $MXDANE")
                echo "$line"
                rate=$(head -n 1 <<<"$line" | awk '{ print $(NF - 1) }')
                if [[ $which == A ]]; then ra+=("$rate"); else rb+=("$rate"); fi
            done
        done
        median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
        ma=$(median "${ra[@]}") mb=$(median "${rb[@]}")
        echo "median domains/s over ${#ra[@]} rounds, $n domains: A $ma, B $mb, B/A $(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.3f", b / a }')"
    done
    echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
    exit 0
fi

for n in "${SIZES[@]}"; do
    if [[ -n $JOBS ]]; then
        for j in $JOBS; do mxrun "$n" "$j" "mxdane check --domains --jobs $j"; done
    fi
done
for n in "${SIZES[@]}"; do
    mxrun "$n" 8 "mxdane check --domains (defaults)"
    mxrun "$n" 8 "mxdane check --domains --dns-threads 1" --dns-threads 1
    if ((n <= 1000)); then
        for p in $PF_P; do pfrun "$n" "$p"; done
        mxrun "$n" 8 "mxdane check --domains (defaults, again)"
    fi
done
for p in 4 16; do hsrun "$p"; done
# The same capacity without a process per session (bench/handshakes.py:
# Python's ssl, P client processes looping for 10 s), and what it allows for
# this list: a run needs one STARTTLS per distinct probe, not per domain.
conns=$(grep -o '[0-9]* SMTP connections' "$DIR/mx.out.err" | grep -o '^[0-9]*')
best=0
for p in 2 4 8; do
    line=$(python3 "$here/bench/handshakes.py" 127.0.1.1 25 10 "$p")
    printf '%-48s %s\n' "STARTTLS handshakes to 127.0.1.1, $p processes" "$line"
    r=${line##* }; r=${r%/s}
    best=$(awk -v a="$r" -v b="$best" 'BEGIN { print (a > b) ? a : b }')
done
n=${SIZES[-1]}
echo "distinct probes needed for these lists: $conns SMTP connections"
echo "handshake-bound limit for $n domains: $best handshakes/s x $n domains / $conns probes = $(awk -v h="$best" -v n="$n" -v c="$conns" 'BEGIN { printf "%.0f", h * n / c }') domains/s"

# The DNS-bound limit: the lookups a domain costs when every answer is
# validated, at saturation. A domain's walk asks MX, then (warnings) TLSA at
# _25._tcp.DOMAIN and TXT at _mta-sts.DOMAIN; its MX host's lookups are
# shared with the other domains on it. dnsperf sends each of these questions
# once (a cold cache, as in a bulk run) to NSD alone and to a validating
# unbound daemon with 1 and 2 threads (the daemon links OpenSSL; Debian's
# libunbound links nettle: the same validator, other signature arithmetic).
if command -v dnsperf >/dev/null; then
    awk '{ print $1, "MX"; print "_25._tcp." $1, "TLSA"; print "_mta-sts." $1, "TXT" }' "$DIR/list.$n" >"$DIR/dnsq"
    nq=$(wc -l <"$DIR/dnsq")
    dnsrate() { # LABEL DNSPERF-OPTIONS...: prints domains/s from the queries/s
        local qps
        qps=$(dnsperf -d "$DIR/dnsq" -n 1 -c 4 -q 500 -t 10 "${@:2}" 2>&1 | awk '/Queries per second/ { print $4 }')
        printf '%-48s %8d %9s %10s\n' "$1" "$n" "${qps%.*} q/s" "$(awk -v q="$qps" 'BEGIN { printf "%.1f", q / 3 }')"
    }
    echo "DNS-bound limit ($nq questions, 3 per domain, each asked once):"
    dnsrate "NSD alone (DO bit, no validation)" -D -s 127.0.0.1 -p "$LAB_DNS_PORT"
    for t in 1 2; do
        sed -e 's/interface: 127.0.0.53/interface: 127.0.0.54/' -e 's#unbound.pid#unbound-v.pid#' \
            -e "s/^server:/server:\n\tnum-threads: $t/" "$LAB_DIR/unbound-daemon.conf" >"$LAB_DIR/unbound-v.conf"
        unbound -c "$LAB_DIR/unbound-v.conf"
        for _ in $(seq 100); do dig +time=1 +tries=1 @127.0.0.54 SOA test. >/dev/null 2>&1 && break; sleep 0.05; done
        dnsrate "validating unbound daemon, $t thread(s), cold" -s 127.0.0.54 -p 53
        kill "$(cat "$LAB_DIR/run/unbound-v.pid")"
        for _ in $(seq 100); do [[ -e $LAB_DIR/run/unbound-v.pid ]] || break; sleep 0.05; done
    done
else
    echo "DNS-bound limit: not measured (apt-get install dnsperf)"
fi

# Where mxdane's CPU goes (PERF=1): per thread and per library.
if [[ ${PERF:-0} == 1 ]] && command -v perf >/dev/null; then
    perf record -q -e task-clock -F 999 -o "$DIR/perf.data" -- "$MXDANE" check --trust-anchor "$LAB_TRUST_ANCHOR" \
        "${stubs[@]}" --timeout 10 --domains "$DIR/list.$n" >/dev/null 2>&1 || true
    echo "perf: mxdane's CPU per thread (the busiest first)"
    perf report -i "$DIR/perf.data" --sort pid --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -4
    echo "perf: mxdane's CPU per library"
    perf report -i "$DIR/perf.data" --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -6
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
