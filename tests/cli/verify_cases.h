// Shared by the verify CLI tests (test_verify_cli.cpp: the table;
// test_verify_input_cli.cpp: inputs and errors): placeholders for the
// records independent tools computed (tests/data/make-corpus.sh), and a
// dig answer as admins paste it.
#pragma once

#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "corpus.h"

namespace mxdane::test {

/// {H} etc. in a case's text, from expected/openssl.txt.
inline std::string expand(std::string text) {
    const std::vector<std::pair<std::string, std::string>> vars{
        {"{H}", openssl_hex("rsa2048.pem", "3 1 1")},          // the RSA-2048 key (also reissued, expired)
        {"{H512}", openssl_hex("rsa2048.pem", "3 1 2")},       // its SHA-512
        {"{H0}", openssl_hex("rsa2048.pem", "3 1 0")},         // its whole SPKI
        {"{F}", openssl_hex("rsa2048.pem", "3 0 1")},          // the first certificate
        {"{FX}", openssl_hex("rsa2048-expired.pem", "3 0 1")}, // the expired certificate
        {"{NEXT}", openssl_hex("p384.pem", "3 1 1")},          // another key (the "next" one)
        {"{P256}", openssl_hex("p256.pem", "3 1 1")},          // P-256 key (also the wrong-name cert)
        {"{TA}", openssl_hex("chain.pem", "2 1 1")},           // the chain's root SPKI
        {"{TA0}", openssl_hex("chain.pem", "2 0 1")},          // the chain's root certificate
        {"{HU}",
         [] { // dig style: uppercase, split in chunks
             std::string h = openssl_hex("rsa2048.pem", "3 1 1");
             for (auto& c : h) {
                 c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
             }
             return h.substr(0, 56) + " " + h.substr(56);
         }()},
        {"{HMIX}",
         [] { // mixed case, odd chunks
             std::string h = openssl_hex("rsa2048.pem", "3 1 1");
             for (std::size_t i = 0; i < h.size(); i += 3) {
                 h[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(h[i])));
             }
             return h.substr(0, 10) + " " + h.substr(10, 21) + "\t" + h.substr(31);
         }()},
        {"{ZERO}", std::string(64, '0')},
        {"{ZERO512}", std::string(128, '0')},
    };
    for (const auto& [k, v] : vars) {
        for (auto pos = text.find(k); pos != std::string::npos; pos = text.find(k, pos + v.size())) {
            text.replace(pos, k.size(), v);
        }
    }
    return text;
}

/// `dig +dnssec tlsa` output; {HU} is the RSA-2048 key's 3 1 1 hex, dig style.
inline const std::string dig_output = R"(
; <<>> DiG 9.18.28-1~deb12u2-Debian <<>> +dnssec tlsa _25._tcp.mx1.example.net
;; global options: +cmd
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 4242
;; flags: qr rd ra ad; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1

;; QUESTION SECTION:
;_25._tcp.mx1.example.net.	IN	TLSA

;; ANSWER SECTION:
_25._tcp.mx1.example.net. 3600	IN	TLSA	3 1 1 {HU}
_25._tcp.mx1.example.net. 3600	IN	RRSIG	TLSA 13 5 3600 20261201000000 20261101000000 4242 example.net. AAAA

;; Query time: 12 msec
)";

} // namespace mxdane::test
