#!/bin/bash
# lab-extra.sh LABTOOLS DIR: adds to a running lab (tests/lab/labctl) the
# records that only mxdane check's own tests need, then re-signs and reloads.
# Values come from the openssl CLI, never from mxdane.
#   mx14b         A of mx14 + 2 1 1 of the lab CA: the leaf names mx14, not
#                 mx14b, so DANE-TA(2) must fail the name check (RFC 7672 §3.2.2)
#   warn          MX mx30; TLSA also at _25._tcp.warn (never used) and an
#                 MTA-STS TXT next to mx1's self-signed certificate
#   mx30          A of mx1 + only a 3 0 1 record (breaks at every reissue)
#   mx31          A of mx1 + 3 1 1, a 1 1 1, nine records, TTL above a day
#   deadN (1..3)  MX mxdeadN, all at 127.0.1.40 where count_peer.py is silent
#   capN (1..6)   MX mxcapN, all at 127.0.1.41 where count_peer.py counts
#                 connections at a time (check --domains --per-host)
#   mx32          A of mx1 + its 3 1 1 and a stale 3 1 2: digest agility
#                 (RFC 7671 §9) makes senders ignore the 3 1 1
#   tarpitN (1..3) MX mxtarpitN, all at 127.0.1.42 where count_peer.py
#                 greets and then stalls
#   many          MX mxmany1..8, all of preference 10, all at 127.0.1.40:
#                 more addresses than a sender tries (smtp_mx_address_limit)
set -euo pipefail
LABCTL=$1
DIR=$2
# shellcheck disable=SC1091
source "$DIR/lab.env"
spki() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | openssl dgst -sha256 | sed 's/.*= //'; }
cert() { openssl x509 -in "$1" -outform DER | openssl dgst -sha256 | sed 's/.*= //'; }
ca=$(spki "$LAB_TA_CA_CERT")
mx1=$(spki "$LAB_MX1_CERT")
mx1c=$(cert "$LAB_MX1_CERT")
[[ $ca =~ ^[0-9a-f]{64}$ && $mx1 =~ ^[0-9a-f]{64}$ && $mx1c =~ ^[0-9a-f]{64}$ ]] || { echo "lab-extra: openssl failed" >&2; exit 1; }
{
    printf '; added by tests/labtests/lab-extra.sh\n'
    printf 'mx14b\tIN\tA\t127.0.1.14\n_25._tcp.mx14b\tIN\tTLSA\t2 1 1 %s\n' "$ca"
    printf 'warn\tIN\tMX\t10 mx30.secure.test.\n_25._tcp.warn\tIN\tTLSA\t3 1 1 %s\n' "$mx1"
    printf '_mta-sts.warn\tIN\tTXT\t"v=STSv1; id=20261128"\n'
    printf 'mx30\tIN\tA\t127.0.1.1\n_25._tcp.mx30\tIN\tTLSA\t3 0 1 %s\n' "$mx1c"
    printf 'mx31\tIN\tA\t127.0.1.1\n'
    printf '_25._tcp.mx31\t86401\tIN\tTLSA\t3 1 1 %s\n' "$mx1"
    printf '_25._tcp.mx31\t86401\tIN\tTLSA\t1 1 1 %s\n' "$ca"
    for i in 1 2 3 4 5 6 7; do
        printf '_25._tcp.mx31\t86401\tIN\tTLSA\t3 1 1 %s\n' "$(printf 'other %s' "$i" | openssl dgst -sha256 | sed 's/.*= //')"
    done
    for i in 1 2 3; do
        printf 'dead%s\tIN\tMX\t10 mxdead%s.secure.test.\nmxdead%s\tIN\tA\t127.0.1.40\n' "$i" "$i" "$i"
        printf '_25._tcp.mxdead%s\tIN\tTLSA\t3 1 1 %s\n' "$i" "$mx1"
    done
    for i in 1 2 3 4 5 6; do
        printf 'cap%s\tIN\tMX\t10 mxcap%s.secure.test.\nmxcap%s\tIN\tA\t127.0.1.41\n' "$i" "$i" "$i"
        printf '_25._tcp.mxcap%s\tIN\tTLSA\t3 1 1 %s\n' "$i" "$mx1"
    done
    for i in 1 2 3; do
        printf 'tarpit%s\tIN\tMX\t10 mxtarpit%s.secure.test.\nmxtarpit%s\tIN\tA\t127.0.1.42\n' "$i" "$i" "$i"
        printf '_25._tcp.mxtarpit%s\tIN\tTLSA\t3 1 1 %s\n' "$i" "$mx1"
    done
    for i in 1 2 3 4 5 6 7 8; do
        printf 'many\tIN\tMX\t10 mxmany%s.secure.test.\nmxmany%s\tIN\tA\t127.0.1.40\n' "$i" "$i"
        printf '_25._tcp.mxmany%s\tIN\tTLSA\t3 1 1 %s\n' "$i" "$mx1"
    done
    printf 'mx32\tIN\tA\t127.0.1.1\n_25._tcp.mx32\tIN\tTLSA\t3 1 1 %s\n' "$mx1"
    printf '_25._tcp.mx32\tIN\tTLSA\t3 1 2 %s\n' "$(printf 'stale' | openssl dgst -sha512 | sed 's/.*= //')"
} >>"$LAB_ZONES_DIR/secure.test.zone"
LAB_QUIET=1 "$LABCTL" reload-dns "$DIR"
