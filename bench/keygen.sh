#!/usr/bin/env bash
# mxdane keygen against the seed script's openssl pipeline, side by side.
#   bench/keygen.sh [N]       N runs of each, per key type (default 20)
# Environment: MXDANE=path/to/mxdane (default: the ./mxdane wrapper's build),
# TYPES="rsa3072 p256" (key types to run).
# Prints the median wall time and the median CPU time (user+sys, children
# included) of one complete run of each, and the ratio mxdane/openssl.
set -euo pipefail
n=${1:-20}
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "error: N must be a positive integer, not '$n'" >&2; exit 64; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
types=${TYPES:-rsa3072 p256}
if [[ -z "${MXDANE:-}" ]]; then
    "$here/mxdane" --version >/dev/null # builds build/tool on first use
    MXDANE="$here/build/tool/mxdane"
fi
host=mx1.example.net
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The seed's configuration for `req -x509`: the same profile mxdane writes.
cnf() { # $1: key type
    local ku=digitalSignature
    [[ $1 == rsa* ]] && ku="digitalSignature,keyEncipherment"
    cat <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $host
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,$ku
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
subjectAltName = DNS:$host,DNS:example.net
CNF
}

run_mxdane() { # $1 key type, $2 dir
    "$MXDANE" keygen --key "$1" --out "$2" "$host" example.net >"$2.out" 2>/dev/null
}

run_openssl() { # $1 key type, $2 dir
    local d=$2 md=sha256
    mkdir -m 700 "$d"
    case $1 in
        rsa*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${1#rsa}" -out "$d/k" 2>/dev/null ;;
        p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/k" ;;
        p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$d/k"; md=sha384 ;;
    esac
    openssl req -new -config "$work/$1.cnf" -key "$d/k" -out "$d/csr"
    openssl req -x509 -config "$work/$1.cnf" -extensions ext -in "$d/csr" -key "$d/k" -days 1096 "-$md" \
        -set_serial "0x$(openssl rand -hex 20 | sed 's/^./4/')" -out "$d/crt"
    {
        echo "_25._tcp.$host. IN TLSA 3 1 1 $(openssl x509 -in "$d/crt" -pubkey -noout |
            openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)"
        echo "_25._tcp.$host. IN TLSA 3 0 1 $(openssl x509 -in "$d/crt" -outform DER |
            openssl dgst -sha256 -r | cut -d' ' -f1)"
    } >"$d.out"
}

# One timed run: appends "wall cpu" (seconds) to $3.
timed() { # $1 function, $2 key type, $3 result file, $4 dir
    local TIMEFORMAT='%R %U %S' t
    t=$( { time "$1" "$2" "$4" 2>/dev/null; } 2>&1 )
    if [[ $(grep -c ' IN TLSA 3 [01] 1 [0-9a-f]\{64\}$' "$4.out") != 2 ]]; then
        echo "error: $1 $2 did not print two TLSA records" >&2
        exit 2
    fi
    read -r wall user sys <<<"$t"
    awk -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN { printf "%s %.3f\n", w, u + s }' >>"$3"
}

median() { # $1 file, $2 column
    sort -n -k"$2","$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END {
        if (NR % 2) { m = v[(NR + 1) / 2] } else { m = (v[NR / 2] + v[NR / 2 + 1]) / 2 }
        printf "%.4f", m }'
}

echo "mxdane: $MXDANE ($("$MXDANE" --version)); $(openssl version); N=$n per tool and key type"
echo "host: $(nproc) CPUs, $(uname -sr); load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-8s %12s %12s\n' type tool "wall(med,s)" "cpu(med,s)"
for t in $types; do
    cnf "$t" >"$work/$t.cnf"
    : >"$work/$t.mxdane" && : >"$work/$t.openssl"
    for ((i = 0; i < n; i++)); do
        # Alternate which goes first so that drift in machine load hits both.
        if ((i % 2 == 0)); then
            timed run_mxdane "$t" "$work/$t.mxdane" "$work/m$t$i"
            timed run_openssl "$t" "$work/$t.openssl" "$work/o$t$i"
        else
            timed run_openssl "$t" "$work/$t.openssl" "$work/o$t$i"
            timed run_mxdane "$t" "$work/$t.mxdane" "$work/m$t$i"
        fi
        rm -rf "$work/m$t$i" "$work/o$t$i" "$work/m$t$i.out" "$work/o$t$i.out"
    done
    mw=$(median "$work/$t.mxdane" 1) mc=$(median "$work/$t.mxdane" 2)
    ow=$(median "$work/$t.openssl" 1) oc=$(median "$work/$t.openssl" 2)
    printf '%-8s %-8s %12s %12s\n' "$t" mxdane "$mw" "$mc"
    printf '%-8s %-8s %12s %12s\n' "$t" openssl "$ow" "$oc"
    awk -v t="$t" -v mw="$mw" -v ow="$ow" -v mc="$mc" -v oc="$oc" \
        'BEGIN { printf "%-8s %-8s %12.2f %12.2f\n", t, "ratio", mw / ow, mc / oc }' 
done
