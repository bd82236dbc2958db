#!/usr/bin/env bash
# mxdane tlsa on many certificates in one call, against the per-file tools
# people use today: the openssl pipeline, GnuTLS danetool --tlsa-rr and
# hash-slinger's tlsa --create. Not a test: it prints rates and ratios.
#   bench/tlsa.sh [N]            N certificates (default 10000)
# Environment: MXDANE=path/to/mxdane (default: the ./mxdane wrapper's build),
# SAMPLE=500 (files timed for openssl and danetool), HS_SAMPLE=200 (for
# hash-slinger, a Python start-up per file), CACHE=dir (default
# /tmp/mxdane-bench-tlsa-N: the certificates are made once and reused).
# The per-file tools are timed on the first SAMPLE files and their rate
# scaled to N (they do the same work per file); every sampled record is
# checked against mxdane's, so a fast wrong answer cannot win.
set -euo pipefail
n=${1:-10000}
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "error: N must be a positive integer, not '$n'" >&2; exit 64; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sample=${SAMPLE:-500}
hs_sample=${HS_SAMPLE:-200}
((sample > n)) && sample=$n
((hs_sample > n)) && hs_sample=$n
if [[ -z "${MXDANE:-}" ]]; then
    "$here/mxdane" --version >/dev/null # builds build/tool on first use
    MXDANE="$here/build/tool/mxdane"
fi
cache=${CACHE:-/tmp/mxdane-bench-tlsa-$n}
host=mx1.example.net

# --- the certificates: 50 keys of mixed types, N certificates signed by one
# CA in a single `openssl ca` process (fast: no process per certificate).
if [[ ! -f "$cache/done" ]]; then
    echo "making $n certificates under $cache (once)..." >&2
    rm -rf "$cache"
    mkdir -p "$cache/keys" "$cache/certs" "$cache/db"
    cd "$cache"
    for i in $(seq 1 50); do
        case $((i % 4)) in
        0) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "keys/$i.key" 2>/dev/null ;;
        1) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "keys/$i.key" ;;
        2) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "keys/$i.key" ;;
        3) openssl genpkey -algorithm ED25519 -out "keys/$i.key" ;;
        esac
        openssl req -new -key "keys/$i.key" -subj "/CN=$host" -out "keys/$i.csr"
    done
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
    openssl req -new -x509 -key ca.key -subj "/CN=Bench CA" -days 3650 -out ca.pem
    : >db/index.txt
    echo 1000 >db/serial
    cat >ca.cnf <<CNF
[ca]
default_ca = d
[d]
database = db/index.txt
serial = db/serial
new_certs_dir = certs
default_md = sha256
default_days = 365
policy = p
unique_subject = no
[p]
commonName = supplied
CNF
    infiles=()
    for i in $(seq 1 "$n"); do infiles+=("keys/$(((i - 1) % 50 + 1)).csr"); done
    openssl ca -batch -notext -config ca.cnf -cert ca.pem -keyfile ca.key -infiles "${infiles[@]}" \
        >/dev/null 2>&1
    touch done
    cd - >/dev/null
fi
mapfile -t files < <(find "$cache/certs" -name '*.pem' | sort)
[[ ${#files[@]} -eq $n ]] || { echo "error: expected $n certificates in $cache/certs, found ${#files[@]}" >&2; exit 2; }

now() { date +%s.%N; }
rate() { awk -v c="$1" -v s="$2" 'BEGIN { printf "%.1f", c / s }'; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "mxdane: $MXDANE ($("$MXDANE" --version)); $(openssl version); N=$n, sample $sample (hash-slinger $hs_sample)" >&2
echo "host: $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# mxdane: all N in one process.
t0=$(now)
"$MXDANE" tlsa --format rdata "${files[@]}" >"$work/mxdane.txt"
t1=$(now)
mx_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
[[ $(wc -l <"$work/mxdane.txt") -eq $n ]] || { echo "error: mxdane printed the wrong number of records" >&2; exit 2; }
mx_rate=$(rate "$n" "$mx_secs")

check() { # tool file-with-hex-per-line count
    if ! diff -q <(cut -d' ' -f4 "$work/mxdane.txt" | head -n "$3") "$2" >/dev/null; then
        echo "error: $1 disagrees with mxdane on the sample" >&2
        exit 2
    fi
}

t0=$(now)
for f in "${files[@]:0:sample}"; do
    openssl x509 -in "$f" -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1
done >"$work/openssl.txt"
t1=$(now)
os_rate=$(rate "$sample" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
check openssl "$work/openssl.txt" "$sample"

t0=$(now)
for f in "${files[@]:0:sample}"; do
    danetool --tlsa-rr --load-certificate "$f" --host "$host" --port 25 |
        sed -n 's/.*( *03 01 01 \([0-9a-f]*\) *).*/\1/p'
done >"$work/danetool.txt"
t1=$(now)
dt_rate=$(rate "$sample" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
check danetool "$work/danetool.txt" "$sample"

t0=$(now)
for f in "${files[@]:0:hs_sample}"; do
    tlsa --create --certificate "$f" --port 25 --usage 3 --selector 1 --mtype 1 "$host" |
        awk '/TLSA/ { print tolower($NF) }'
done >"$work/hs.txt"
t1=$(now)
hs_rate=$(rate "$hs_sample" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
check hash-slinger "$work/hs.txt" "$hs_sample"

printf '%-14s %12s %14s %10s\n' tool "certs/s" "time for N (s)" "mxdane is"
row() { # name rate
    printf '%-14s %12s %14.1f %9.1fx\n' "$1" "$2" "$(awk -v n="$n" -v r="$2" 'BEGIN { print n / r }')" \
        "$(awk -v m="$mx_rate" -v r="$2" 'BEGIN { print m / r }')"
}
row mxdane "$mx_rate"
row openssl "$os_rate"
row danetool "$dt_rate"
row hash-slinger "$hs_rate"
echo "(openssl, danetool: $sample files timed, hash-slinger: $hs_sample, scaled to N; all sampled records equal mxdane's)" >&2
