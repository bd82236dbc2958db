#!/bin/bash
# bench/check.sh [N] [DOMAIN]: one full `mxdane check DOMAIN` against Postfix's
# `posttls-finger -l dane DOMAIN`, alternating, N times (default 20), on the
# test lab (tests/lab). Prints the median wall time, the median peak RSS and
# the ratios. Not a test: nothing is asserted.
#
# posttls-finger uses the system resolver and looks TLSA up at _<port>._tcp,
# so both run inside a private network + mount namespace (as in
# tests/lab/pf-netns): the lab on the real ports 25 and 53, a validating
# unbound daemon on 127.0.0.53 bind-mounted as /etc/resolv.conf.
# mxdane is measured twice: through that same daemon (--forward, still
# validating itself; the fair comparison, both with a warm cache) and on its
# own from a cold libunbound cache (--stub per lab zone, what a one-shot
# check really costs).
#   MXDANE=path/to/mxdane bench/check.sh 20 good.secure.test
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${1:-20}
DOMAIN=${2:-good.secure.test}
MXDANE=${MXDANE:-$here/build/test/mxdane}
[[ -x $MXDANE ]] || { echo "bench: no mxdane binary at $MXDANE (build first or set MXDANE)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }

# Re-run in fresh network and mount namespaces, and prove we are in them by
# comparing with the namespaces we came from (not with /proc/1, which may be
# unreadable: then it reads as "" and looks "different", and the bind mount
# below would land on the machine's real /etc/resolv.conf).
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
DIR=$(mktemp -d /tmp/mxdane-bench.XXXXXX)
chmod 755 "$DIR"
LAB_QUIET=1 LAB_FORCE_DNS_PORT=53 LAB_FORCE_SMTP_PORT=25 "$here/tests/lab/labctl" start "$DIR/lab"
cleanup() {
    [[ -s $DIR/lab/run/unbound.pid ]] && kill "$(cat "$DIR/lab/run/unbound.pid")" 2>/dev/null
    "$here/tests/lab/labctl" stop "$DIR/lab" >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap cleanup EXIT
# shellcheck disable=SC1091
source "$DIR/lab/lab.env"
{
    echo "server:"
    printf '\t%s\n' "interface: 127.0.0.53" "port: 53" 'username: ""' 'chroot: ""' \
        "directory: \"$LAB_DIR\"" "pidfile: \"$LAB_DIR/run/unbound.pid\"" "use-syslog: no" \
        "logfile: \"$LAB_DIR/log/unbound.log\"" "access-control: 127.0.0.0/8 allow"
    sed '1,/^server:/d' "$LAB_UNBOUND_CONF"
} >"$LAB_DIR/unbound-daemon.conf"
unbound -c "$LAB_DIR/unbound-daemon.conf"
for _ in $(seq 100); do
    dig +time=1 +tries=1 @127.0.0.53 SOA test. >/dev/null 2>&1 && break
    sleep 0.05
done
printf 'nameserver 127.0.0.53\noptions trust-ad\n' >"$DIR/resolv.conf"
mount --bind "$DIR/resolv.conf" /etc/resolv.conf  # private mount namespace: checked above

stubs=()
for z in $LAB_STUB_ZONES; do stubs+=(--stub "$z=127.0.0.1@$LAB_DNS_PORT"); done
mx_fwd=("$MXDANE" check --trust-anchor "$LAB_TRUST_ANCHOR" --forward 127.0.0.53 --timeout 10 "$DOMAIN")
mx_cold=("$MXDANE" check --trust-anchor "$LAB_TRUST_ANCHOR" "${stubs[@]}" --timeout 10 "$DOMAIN")
pf=(env MAIL_CONFIG="$LAB_DIR/postfix/conf" posttls-finger -o dnssec_probe= -l dane -t 10 -T 10 "$DOMAIN")

# CPU time (task-clock of the process and its children, from perf stat
# when installed: Debian's linux-perf) is printed beside the wall time: on
# a loaded machine the wall time mostly measures the scheduler, the CPU
# time what each tool costs.
cpu=()
command -v perf >/dev/null && perf stat -x, -e task-clock true >/dev/null 2>&1 &&
    cpu=(perf stat -x, -e task-clock -o "$DIR/cpu")
run() { # NAME CMD...: appends "wall_ms rss_kib cpu_ms" to $DIR/NAME
    local name=$1; shift
    local t0=$EPOCHREALTIME
    "${cpu[@]}" /usr/bin/time -f %M -o "$DIR/rss" "$@" >"$DIR/out.$name" 2>&1 || true
    local t1=$EPOCHREALTIME
    local ms=-
    [[ ${#cpu[@]} -gt 0 ]] && ms=$(awk -F, '$3 == "task-clock" { printf "%.1f", $1 }' "$DIR/cpu")
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }') $(tail -n 1 "$DIR/rss") $ms" >>"$DIR/$name"
}

# One warm-up each (and a sanity check of what they say).
run mxdane "${mx_fwd[@]}"; run cold "${mx_cold[@]}"; run pf "${pf[@]}"
grep -q dane-validated "$DIR/out.mxdane" || { cat "$DIR/out.mxdane" >&2; echo "bench: mxdane did not validate" >&2; }
grep -q "Verified TLS" "$DIR/out.pf" || { cat "$DIR/out.pf" >&2; echo "bench: posttls-finger did not verify" >&2; }
rm -f "$DIR/mxdane" "$DIR/cold" "$DIR/pf"
for ((i = 0; i < N; i++)); do
    run mxdane "${mx_fwd[@]}"
    run pf "${pf[@]}"
    run cold "${mx_cold[@]}"
done

median() { # FILE COLUMN
    awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
pf_ms=$(median "$DIR/pf" 1); pf_kb=$(median "$DIR/pf" 2); pf_cpu=$(median "$DIR/pf" 3)
printf '%s check of %s, %d runs each, alternating (medians: wall ms, peak RSS KiB, CPU ms), load %s\n' \
    "$(basename "$MXDANE")" "$DOMAIN" "$N" "$(cut -d' ' -f1 /proc/loadavg)"
printf '%-40s %9s %9s %9s %9s %9s %9s\n' tool wall_ms rss_kib cpu_ms time_x rss_x cpu_x
for name in mxdane cold pf; do
    case $name in
    mxdane) label="mxdane check (--forward, warm unbound)" ;;
    cold) label="mxdane check (--stub, cold libunbound)" ;;
    pf) label="posttls-finger -l dane (warm unbound)" ;;
    esac
    ms=$(median "$DIR/$name" 1); kb=$(median "$DIR/$name" 2); c=$(median "$DIR/$name" 3)
    printf '%-40s %9s %9s %9s %9s %9s %9s\n' "$label" "$ms" "$kb" "$c" \
        "$(awk -v a="$ms" -v b="$pf_ms" 'BEGIN { printf "%.2f", a / b }')" \
        "$(awk -v a="$kb" -v b="$pf_kb" 'BEGIN { printf "%.2f", a / b }')" \
        "$(awk -v a="$c" -v b="$pf_cpu" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
done
