#!/bin/sh
# Makes the keys of the one weak-key rule (x509::key_weakness) with the
# openssl CLI alone. RSA keys with e = 1 or an even e cannot be generated, so
# their SubjectPublicKeyInfo is written from an ASN.1 template around the
# modulus of a real 2048-bit key (openssl asn1parse -genconf). Run from this
# directory; the output is committed.
set -eu
umask 022
rm -f ./*.pem ./*.key ./*.tmp

# Weak: too short, a degenerate or even exponent, curves senders do not
# offer, explicit curve parameters, an algorithm that is no TLS server key.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key 2>/dev/null
openssl req -x509 -new -key rsa1024.key -subj /CN=mx1.example.net -days 3650 -out rsa1024.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out modulus.tmp 2>/dev/null
n=$(openssl rsa -in modulus.tmp -noout -modulus | cut -d= -f2)
for e in 1 65536; do
    cat > spki.tmp <<TEMPLATE
asn1=SEQUENCE:spki
[spki]
alg=SEQUENCE:alg
key=BITWRAP,SEQUENCE:rsakey
[alg]
oid=OID:rsaEncryption
null=NULL
[rsakey]
n=INTEGER:0x$n
e=INTEGER:$e
TEMPLATE
    openssl asn1parse -genconf spki.tmp -noout -out der.tmp
    openssl pkey -pubin -inform DER -in der.tmp -out "rsa2048-e$e.pub.pem"
done
cat > spki.tmp <<TEMPLATE
asn1=SEQUENCE:spki
[spki]
alg=SEQUENCE:alg
key=BITWRAP,SEQUENCE:rsakey
[alg]
oid=OID:rsaEncryption
null=NULL
[rsakey]
n=INTEGER:187
e=INTEGER:3
TEMPLATE
openssl asn1parse -genconf spki.tmp -noout -out der.tmp
openssl pkey -pubin -inform DER -in der.tmp -out rsa8.pub.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out secp256k1.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:brainpoolP256r1 -out brainpoolP256r1.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:explicit -out p256-explicit.key
openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out dsa.tmp 2>/dev/null
openssl genpkey -paramfile dsa.tmp -out dsa2048.key

# Strong: the limits themselves (2048 bits, e = 3) and Ed448.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 -out rsa2048-e3.key 2>/dev/null
openssl genpkey -algorithm ED448 -out ed448.key
rm -f ./*.tmp
