#!/usr/bin/env bash
# Makes tests/data/corpus/: keys, certificates, a chain, a CSR, odd files,
# and the TLSA records independent tools compute for them (issue #3). Only
# the openssl CLI makes material; expected records come from openssl
# pipelines, GnuTLS danetool, ldns-dane and hash-slinger's tlsa. mxdane is
# never run here. The output is committed; rerun to regenerate (new keys).
#   tests/data/make-corpus.sh [DIR]      (default: tests/data/corpus)
set -euo pipefail
exec 3>&2 2> >(grep -v "^[.+*]*$" >&3) # hide genpkey progress dots
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here/corpus}
rm -rf "$out"
mkdir -p "$out/expected"
cd "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
host=mx1.example.net

# A self-signed MX certificate in the keygen profile (CA:FALSE).
selfsign() { # key out [subj-host] [extra openssl args...]
    local key=$1 cert=$2 name=${3:-$host}
    shift 3 || shift $#
    openssl req -new -x509 -key "$key" -out "$cert" -days 3650 -subj "/CN=$name" \
        -addext "subjectAltName=DNS:$name" -addext "basicConstraints=critical,CA:FALSE" \
        -addext "keyUsage=critical,digitalSignature,keyEncipherment" -addext "extendedKeyUsage=serverAuth" "$@"
}

# --- keys: every type and encoding the loader must read --------------------
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/rsa2048.p8"
openssl pkey -in "$tmp/rsa2048.p8" -traditional -out rsa2048.pkcs1.key       # "RSA PRIVATE KEY"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out rsa3072.key # PKCS#8 PEM
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -outform DER -out rsa4096.key.der
openssl ecparam -name prime256v1 -genkey -out p256.ec.key                     # EC PARAMETERS + EC PRIVATE KEY
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out p521.key
openssl genpkey -algorithm ED25519 -out ed25519.key

# --- certificates ----------------------------------------------------------
selfsign rsa2048.pkcs1.key rsa2048.pem
selfsign rsa3072.key "$tmp/rsa3072.pem" && openssl x509 -in "$tmp/rsa3072.pem" -outform DER -out rsa3072.der
openssl pkey -inform DER -in rsa4096.key.der -out "$tmp/rsa4096.pem.key"
selfsign "$tmp/rsa4096.pem.key" rsa4096.pem
selfsign p256.ec.key p256.pem
selfsign p384.key p384.pem
selfsign p521.key p521.pem
openssl req -new -x509 -key ed25519.key -out ed25519.pem -days 3650 -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host"
# Public keys (SubjectPublicKeyInfo), PEM and DER, and a CSR.
openssl pkey -in p256.ec.key -pubout -out p256.pub.pem
openssl pkey -in rsa2048.pkcs1.key -pubout -outform DER -out rsa2048.pub.der
openssl req -new -key p384.key -subj "/CN=$host" -out p384.csr.pem
openssl req -in p384.csr.pem -outform DER -out p384.csr.der
# Reissued: same RSA-2048 key, new certificate (3 1 1 stays, 3 0 1 changes).
selfsign rsa2048.pkcs1.key rsa2048-reissued.pem "$host" -set_serial 4242
# Wrong name: the P-256 key in a certificate for another host.
selfsign p256.ec.key p256-wrongname.pem other.example.org
# Several SANs with an IP address and an e-mail among them (the dNSNames,
# in order, are what counts), and a CSR asking for the same.
many_sans="subjectAltName=DNS:$host,IP:192.0.2.25,DNS:mx2.example.net,email:postmaster@example.net,DNS:*.example.org"
openssl req -new -x509 -key p384.key -out p384-many-sans.pem -days 3650 -subj "/CN=$host" -addext "$many_sans"
openssl req -new -key p384.key -subj "/CN=$host" -addext "$many_sans" -out p384-many-sans.csr.pem
# CA:TRUE on a server certificate (what `openssl req -x509` does by default).
openssl req -new -x509 -key p384.key -out p384-ca-true.pem -days 3650 -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host"
# SHA-1 signature.
selfsign rsa3072.key rsa3072-sha1.pem "$host" -sha1
# Expired: valid 2020-01-01 to 2021-01-01, via openssl ca (x509/req cannot
# set past dates in OpenSSL 3.0).
mkdir -p "$tmp/ca" && : >"$tmp/ca/index.txt" && echo 01 >"$tmp/ca/serial"
cat >"$tmp/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $tmp/ca/index.txt
serial = $tmp/ca/serial
new_certs_dir = $tmp/ca
default_md = sha256
policy = p
copy_extensions = copy
unique_subject = no
[p]
commonName = supplied
CNF
openssl req -new -key rsa2048.pkcs1.key -subj "/CN=$host" -addext "subjectAltName=DNS:$host" -out "$tmp/exp.csr"
openssl ca -batch -notext -config "$tmp/ca.cnf" -selfsign -keyfile rsa2048.pkcs1.key -in "$tmp/exp.csr" \
    -startdate 20200101000000Z -enddate 20210101000000Z -out rsa2048-expired.pem 2>/dev/null

# A chain: root CA (P-256) -> intermediate CA (P-256) -> leaf (P-384 key).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/root.key"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/inter.key"
openssl req -new -x509 -key "$tmp/root.key" -out root.pem -days 3650 -subj "/CN=Example Root CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -new -key "$tmp/inter.key" -subj "/CN=Example Intermediate CA" -out "$tmp/inter.csr"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$tmp/inter.ext"
openssl x509 -req -in "$tmp/inter.csr" -CA root.pem -CAkey "$tmp/root.key" -set_serial 0x$(openssl rand -hex 8) -days 3650 \
    -extfile "$tmp/inter.ext" -out "$tmp/inter.pem" 2>/dev/null
openssl req -new -key p384.key -subj "/CN=$host" -out "$tmp/leaf.csr"
printf 'subjectAltName=DNS:%s\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' "$host" \
    >"$tmp/leaf.ext"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/inter.pem" -CAkey "$tmp/inter.key" -set_serial 0x$(openssl rand -hex 8) -days 3650 \
    -extfile "$tmp/leaf.ext" -out leaf.pem 2>/dev/null
cat leaf.pem "$tmp/inter.pem" root.pem >chain.pem
cp "$tmp/inter.pem" intermediate.pem

# Odd files: an encrypted key (PEM and DER), garbage, an empty file.
openssl pkey -in p256.ec.key -aes128 -passout pass:secret -out p256.encrypted.key
openssl pkcs8 -topk8 -in p384.key -v2 aes128 -passout pass:secret -outform DER -out p384.encrypted.key.der
printf 'this is not a certificate\n' >garbage.txt
: >empty.txt

# --- expected records from independent tools ------------------------------
# Format of every expected/*.txt: "FILE USAGE SELECTOR MTYPE HEX" (lowercase).
certs_pem=(rsa2048.pem rsa4096.pem p256.pem p384.pem p521.pem ed25519.pem rsa2048-reissued.pem
           p256-wrongname.pem p384-ca-true.pem rsa3072-sha1.pem rsa2048-expired.pem leaf.pem chain.pem root.pem)
certs_all=("${certs_pem[@]}" rsa3072.der)
dgst() { openssl dgst "-$1" -r | cut -d' ' -f1; }
hexdump_() { od -An -v -tx1 | tr -d ' \n'; }

# openssl: selector 1 = the certificate's SPKI, selector 0 = the DER cert.
for f in "${certs_all[@]}"; do
    form=PEM; [[ $f == *.der ]] && form=DER
    spki() { openssl x509 -inform "$form" -in "$f" -noout -pubkey | openssl pkey -pubin -outform DER; }
    full() { openssl x509 -inform "$form" -in "$f" -outform DER; }
    echo "$f 3 1 1 $(spki | dgst sha256)"
    echo "$f 3 1 2 $(spki | dgst sha512)"
    echo "$f 3 0 1 $(full | dgst sha256)"
    echo "$f 3 0 2 $(full | dgst sha512)"
    echo "$f 3 1 0 $(spki | hexdump_)"
done >expected/openssl.txt
# Keys, public keys and CSRs: their SPKI as openssl serialises it.
for f in rsa2048.pkcs1.key rsa3072.key p256.ec.key p384.key p521.key ed25519.key; do
    echo "$f 3 1 1 $(openssl pkey -in "$f" -pubout -outform DER | dgst sha256)"
done >>expected/openssl.txt
echo "rsa4096.key.der 3 1 1 $(openssl pkey -inform DER -in rsa4096.key.der -pubout -outform DER | dgst sha256)" \
    >>expected/openssl.txt
echo "p256.pub.pem 3 1 1 $(openssl pkey -pubin -in p256.pub.pem -outform DER | dgst sha256)" >>expected/openssl.txt
echo "rsa2048.pub.der 3 1 1 $(openssl pkey -pubin -inform DER -in rsa2048.pub.der -outform DER | dgst sha256)" \
    >>expected/openssl.txt
for f in p384.csr.pem p384.csr.der; do
    form=PEM; [[ $f == *.der ]] && form=DER
    echo "$f 3 1 1 $(openssl req -inform "$form" -in "$f" -noout -pubkey | openssl pkey -pubin -outform DER |
        dgst sha256)"
done >>expected/openssl.txt
# Usage 2 from the chain: the trust anchor is the last certificate (root).
echo "chain.pem 2 1 1 $(openssl x509 -in root.pem -noout -pubkey | openssl pkey -pubin -outform DER | dgst sha256)" \
    >>expected/openssl.txt
echo "chain.pem 2 0 1 $(openssl x509 -in root.pem -outform DER | dgst sha256)" >>expected/openssl.txt

# GnuTLS danetool prints "_25._tcp.HOST. IN TLSA ( 03 01 01 HEX )".
danetool_rr() { # file usage-args...
    local f=$1
    shift
    danetool --tlsa-rr --host "$host" --port 25 "$@" |
        sed -n 's/.*( *0\([0-3]\) 0\([01]\) 0\([0-2]\) \([0-9a-fA-F]*\) *).*/\1 \2 \3 \4/p' | sed "s|^|$f |"
}
for f in "${certs_pem[@]}"; do
    danetool_rr "$f" --load-certificate "$f"
    danetool_rr "$f" --load-certificate "$f" --hash sha512
    danetool_rr "$f" --load-certificate "$f" --x509
done >expected/danetool.txt
danetool_rr p256.pub.pem --load-pubkey p256.pub.pem >>expected/danetool.txt
danetool_rr rsa2048.pub.der --load-pubkey rsa2048.pub.der --inder >>expected/danetool.txt
# (danetool 3.7.9 cannot load a DER certificate: "--inder" only works for
# keys here, "No certificate was found"; DER certificates are covered by the
# openssl pipeline.)

# ldns-dane create (offline with -c): "_25._tcp.HOST. 3600 IN TLSA 3 1 1 HEX".
for f in "${certs_pem[@]}"; do
    [[ $f == chain.pem ]] && continue
    for p in "3 1 1" "3 1 2" "3 0 1"; do
        # shellcheck disable=SC2086 # usage selector mtype are three words
        ldns-dane -n -c "$f" create "$host" 25 $p | awk -v f="$f" '$4 == "TLSA" {print f, $5, $6, $7, tolower($8)}'
    done
done >expected/ldns-dane.txt
# For a chain ldns-dane creates a DANE-TA record from the last certificate.
ldns-dane -n -c chain.pem create "$host" 25 2 1 1 | awk '$4 == "TLSA" {print "chain.pem", $5, $6, $7, tolower($8)}' \
    >>expected/ldns-dane.txt

# hash-slinger: "tlsa --create --certificate F" works offline.
for f in "${certs_pem[@]}"; do
    [[ $f == chain.pem ]] && continue
    for p in "1 1" "1 2" "0 1"; do
        read -r s m <<<"$p"
        tlsa --create --certificate "$f" --port 25 --usage 3 --selector "$s" --mtype "$m" "$host" |
            awk -v f="$f" '$3 == "TLSA" || $4 == "TLSA" {n = NF; print f, $(n-3), $(n-2), $(n-1), tolower($n)}'
    done
done >expected/hash-slinger.txt
ls -la "$out" >/dev/null
echo "corpus written to $out" >&2
