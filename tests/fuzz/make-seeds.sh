#!/usr/bin/env bash
# Makes the seed corpora in tests/fuzz/seeds/<target> (committed; run again
# only to change them). Where a real tool writes the format, the seed comes
# from it: ldns-read-zone (TLSA texts, RDATA through libldns' encoder),
# keymgr (Knot's TSIG key), openssl (secrets), libldns' TSIG signer (UPDATE
# replies, make_seeds.cpp) and mxdane itself for the state file it writes
# (MXDANE=path/to/mxdane; skipped when unset). SMTP transcripts are written
# out below in the form Postfix 3.7 and the lab peers (tests/lab/smtppeers.py)
# send them.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
seeds="$here/seeds"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in fuzz_rrset fuzz_rdata fuzz_smtp_reply fuzz_update_reply fuzz_tsig_key fuzz_state; do
    rm -rf "${seeds:?}/$t"
    mkdir -p "$seeds/$t"
done

# ---------------------------------------------------------------- TLSA text
i=0
for f in "$here"/../data/corpus/expected/*.txt; do
    while read -r _ u s m h; do
        i=$((i + 1))
        printf '_25._tcp.mx1.example.net. 3600 IN TLSA %s %s %s %s\n' "$u" "$s" "$m" "$h" >"$seeds/fuzz_rrset/corpus-$i"
        [[ $i -ge 12 ]] && break 2
    done <"$f"
done
cat >"$tmp/zone" <<'ZONE'
$ORIGIN example.net.
$TTL 3600
@       IN SOA ns1 hostmaster 1 7200 3600 1209600 300
        IN NS  ns1
        IN MX  10 mx1
ns1     IN A   192.0.2.53
mx1     IN A   192.0.2.25
        IN AAAA 2001:db8::25
_25._tcp.mx1 IN TLSA 3 1 1 ( 8d02536c887482bc34ff54e41d2ba659
                              bf85b341a0a20afadb5813dcfbcf286d ) ; current
_25._tcp.mx1 300 IN TLSA \# 35 0200012e8d6e7e8d0e3b3e2b6d3c0b7bc3c8a1a5ac8c38d7f0d3bb4f0f22b6ac0e2df7
_25._tcp.mx1 IN TYPE52 \# 5 0301020a0b
ZONE
ldns-read-zone "$tmp/zone" >"$seeds/fuzz_rrset/ldns-read-zone"
cp "$tmp/zone" "$seeds/fuzz_rrset/zone-file"
printf ';; ANSWER SECTION:\n_25._tcp.mx1.example.net. 300 IN TLSA 3 1 1 8D02536C887482BC34FF54E41D2BA659BF85B341A0A20AFADB5813DCFBCF286D\n' \
    >"$seeds/fuzz_rrset/dig"
printf '_25._tcp.mx1.example.net. 300 IN TLSA ( DANE-EE SPKI SHA2-256\n 8D02536C887482BC ) ; dig +multiline\n' \
    >"$seeds/fuzz_rrset/multiline-mnemonic"
printf '3 1 1 8d02536c887482bc34ff54e41d2ba659bf85b341a0a20afadb5813dcfbcf286d\n\\# 4 03010100\n' \
    >"$seeds/fuzz_rrset/bare"

# -------------------------------------------------------------- RDATA wire
clang++ -std=c++20 -O1 -I"$here/../../include" "$here/make_seeds.cpp" -o "$tmp/make_seeds" -lldns
cat >"$tmp/rr" <<'ZONE'
$ORIGIN example.net.
mx1 IN A 192.0.2.25
mx1 IN AAAA 2001:db8::25
mail IN CNAME mx1
@ IN MX 10 mx1
@ IN MX 0 .
@ IN TXT "v=spf1 mx -all" "second string"
_25._tcp.mx1 IN TLSA 3 1 1 8d02536c887482bc34ff54e41d2ba659bf85b341a0a20afadb5813dcfbcf286d
_25._tcp.mx1 IN TLSA 2 0 2 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40
ZONE
ldns-read-zone "$tmp/rr" | "$tmp/make_seeds" rdata "$seeds/fuzz_rdata"
# The text formats (byte 0 picks the parser: 6 server, 7 stub, 8 option, 9 anchors).
printf '\x06127.0.0.1@5353' >"$seeds/fuzz_rdata/server"
printf '\x06::1' >"$seeds/fuzz_rdata/server6"
printf '\x07example.net=127.0.0.1@53' >"$seeds/fuzz_rdata/stub"
printf '\x08do-ip6: no' >"$seeds/fuzz_rdata/option"
{ printf '\x09'; head -c 2000 /usr/share/dns/root.key; } >"$seeds/fuzz_rdata/root-anchor"

# ------------------------------------------------------------ SMTP replies
printf '220 mx1.example.net ESMTP Postfix (Debian/GNU)\r\n' >"$seeds/fuzz_smtp_reply/banner"
printf '250-mx1.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n' \
    >"$seeds/fuzz_smtp_reply/ehlo"
printf '220 2.0.0 Ready to start TLS\r\n' >"$seeds/fuzz_smtp_reply/starttls"
printf '220 mx1.example.net ESMTP\r\n250-mx1.example.net\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n250-injected.invalid says hello\r\n250 INJECTED\r\n' \
    >"$seeds/fuzz_smtp_reply/session"
printf '421 4.3.2 Service shutting down\r\n554 5.7.1 <unknown>: Client host rejected: Access denied\r\n221 2.0.0 Bye\r\n' \
    >"$seeds/fuzz_smtp_reply/refusals"
printf '250-a\r\n251 b\r\n' >"$seeds/fuzz_smtp_reply/code-change"
printf '220 bare newlines\n250\n' >"$seeds/fuzz_smtp_reply/lf"

# ----------------------------------------------------------- UPDATE replies
"$tmp/make_seeds" update "$seeds/fuzz_update_reply"

# ------------------------------------------------------------- TSIG keys
keymgr -t upd-key hmac-sha256 >"$seeds/fuzz_tsig_key/keymgr"
sed -n 's/^# //p' "$seeds/fuzz_tsig_key/keymgr" >"$seeds/fuzz_tsig_key/one-line"
s=$(openssl rand -base64 64 | tr -d '\n')
# BIND's tsig-keygen layout (as tests/lab/updlab writes it).
printf 'key "upd-key.example.net" {\n\talgorithm hmac-sha512;\n\tsecret "%s";\n};\n' "$s" >"$seeds/fuzz_tsig_key/tsig-keygen"
printf '# comment\n// comment\n/* comment */ key upd-key { algorithm "HMAC-MD5"; secret "%s"; };\n' \
    "$(openssl rand -base64 16)" >"$seeds/fuzz_tsig_key/comments"
printf 'upd-key:%s\n' "$(openssl rand -base64 32)" >"$seeds/fuzz_tsig_key/no-algorithm"

# ---------------------------------------------------- state and settings
printf '# /etc/mxdane/mx1.example.net.conf\nissuer = command\nissue-command = /etc/mxdane/issue-certbot\nrenew-before = 30\nreload = "postfix reload" # quoted\n' \
    >"$seeds/fuzz_state/settings"
if [[ -n ${MXDANE:-} ]]; then
    "$MXDANE" keygen --key p256 --out "$tmp/keys" mx1.example.net >/dev/null 2>&1
    "$MXDANE" rollover init --out "$tmp/keys" --state-dir "$tmp/state" mx1.example.net >/dev/null 2>&1
    "$MXDANE" rollover stage --out "$tmp/keys" --state-dir "$tmp/state" mx1.example.net >/dev/null 2>&1 || true
    for f in "$tmp"/state/*.json; do cp "$f" "$seeds/fuzz_state/state-$(basename "$f")"; done
fi
echo "seeds: $(find "$seeds" -type f | wc -l) files in $seeds" >&2
