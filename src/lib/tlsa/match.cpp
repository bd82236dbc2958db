// Offline matching (issue #3). Certificates go through OpenSSL's DANE engine
// exactly as a TLS handshake would use it, minus the connection: an SSL
// object that never connects carries the TLSA records, and an
// X509_STORE_CTX with that DANE state verifies the chain.
#include <array>
#include <map>

#include <openssl/err.h>

#include "mxdane/tlsa_match.h"

namespace mxdane::tlsa {
namespace {

constexpr std::uint8_t usage_ta = static_cast<std::uint8_t>(Usage::dane_ta);
constexpr std::uint8_t usage_ee = static_cast<std::uint8_t>(Usage::dane_ee);

/// Digest preference for RFC 7671 §9 (as OpenSSL orders them); Full (0) is
/// not a digest and never loses to one.
int digest_ordinal(std::uint8_t mtype) {
    return mtype == static_cast<std::uint8_t>(MatchingType::sha512)   ? 2
           : mtype == static_cast<std::uint8_t>(MatchingType::sha256) ? 1
                                                                      : 0;
}

std::string mtype_name(std::uint8_t mtype) {
    return mtype == 2 ? "SHA2-512" : mtype == 1 ? "SHA2-256" : "Full";
}

std::string selector_what(std::uint8_t selector) {
    return selector == 0 ? "whole certificate" : "public key (SubjectPublicKeyInfo)";
}

/// What this certificate would publish under the record's parameters.
std::string would_be(const Record& rec, X509& leaf) {
    const Record mine = for_certificate(static_cast<Usage>(rec.usage), static_cast<Selector>(rec.selector),
                                        static_cast<MatchingType>(rec.mtype), leaf);
    const std::string hex = to_hex(mine.data);
    return rdata_text(Record{rec.usage, rec.selector, rec.mtype, {}}) +
           (hex.size() > 128 ? hex.substr(0, 64) + "..." : hex);
}

bool self_issued(X509& cert) {
    return X509_check_issued(&cert, &cert) == X509_V_OK;
}

Verdict verdict_of(const std::vector<RecordResult>& results) {
    bool any_usable = false;
    for (const auto& r : results) {
        if (r.outcome == Outcome::match) {
            return Verdict::authenticated;
        }
        any_usable = any_usable || r.outcome != Outcome::unusable;
    }
    return any_usable ? Verdict::not_authenticated : Verdict::no_usable_records;
}

std::string verdict_reason(Verdict v, const std::string& subject) {
    switch (v) {
    case Verdict::authenticated:
        return "a usable TLSA record matches the " + subject;
    case Verdict::not_authenticated:
        return "no usable TLSA record matches the " + subject +
               ": a DANE sender would defer mail to this server (RFC 7672 §2.2)";
    case Verdict::no_usable_records:
        return "the RRset has no usable TLSA record: RFC 7672 §2.2 makes TLS mandatory but unauthenticated, "
               "senders check no certificate";
    }
    return {};
}

/// Verifies the chain against one record. Returns the outcome and reason.
RecordResult verify_one(SSL_CTX& ctx, const Record& rec, const CertCheck& check) {
    X509& leaf = *check.chain.front();
    const ossl::SslPtr ssl(ossl::check(SSL_new(&ctx), "making an SSL object for DANE"));
    ossl::check(SSL_dane_enable(ssl.get(), check.host ? check.host->c_str() : nullptr), "enabling DANE");
    // RFC 7672 §3.1.1: DANE-EE binds the key, not a name.
    SSL_dane_set_flags(ssl.get(), DANE_FLAG_NO_DANE_EE_NAMECHECKS);
    ERR_clear_error();
    const int added =
        SSL_dane_tlsa_add(ssl.get(), rec.usage, rec.selector, rec.mtype, rec.data.data(), rec.data.size());
    if (added < 0) {
        throw ossl::failure("adding a TLSA record to OpenSSL's DANE state");
    }
    if (added == 0) {
        const std::string why = ossl::drain_errors();
        return {rec, Outcome::unusable,
                rec.mtype == 0 ? "the Full data is not a DER " +
                                     std::string(rec.selector == 0 ? "certificate" : "SubjectPublicKeyInfo") +
                                     " (OpenSSL: " + why + ")"
                               : "OpenSSL refused the record (" + why + ")"};
    }

    const ossl::X509StorePtr store(ossl::check(X509_STORE_new(), "making an X509 store"));
    const ossl::X509StackPtr untrusted(ossl::check(sk_X509_new_null(), "making a certificate stack"));
    for (std::size_t i = 1; i < check.chain.size(); ++i) {
        ossl::check(sk_X509_push(untrusted.get(), check.chain[i]), "stacking the chain");
    }
    const ossl::X509StoreCtxPtr sctx(ossl::check(X509_STORE_CTX_new(), "making a verification context"));
    ossl::check(X509_STORE_CTX_init(sctx.get(), store.get(), &leaf, untrusted.get()),
                "starting certificate verification");
    // What libssl does for a client verifying a server (ssl_verify_cert_chain).
    ossl::check(X509_STORE_CTX_set_default(sctx.get(), "ssl_server"), "choosing the TLS server profile");
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(sctx.get());
    X509_VERIFY_PARAM_set_time(param, x509::Clock::to_time_t(check.now));
    if (check.host) {
        // RFC 7672 §3.2.3: reference identifier is the MX host; no partial wildcards.
        ossl::check(X509_VERIFY_PARAM_set1_host(param, check.host->c_str(), check.host->size()),
                    "setting the reference host name");
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }
    X509_STORE_CTX_set0_dane(sctx.get(), SSL_get0_dane(ssl.get()));
    const int rc = X509_verify_cert(sctx.get());
    if (rc < 0) {
        throw ossl::failure("verifying the certificate chain");
    }
    ERR_clear_error();
    if (rc == 1) {
        if (rec.usage == usage_ee) {
            return {rec, Outcome::match,
                    "DANE-EE: the server's " + selector_what(rec.selector) +
                        " matches; names and dates are not checked (RFC 7672 §3.1.1)"};
        }
        return {rec, Outcome::match,
                "DANE-TA: the chain leads to the trust anchor this record pins, is within its dates and names " +
                    check.host.value_or("?") + " (RFC 7672 §3.1.2, §3.2)"};
    }
    const int err = X509_STORE_CTX_get_error(sctx.get());
    if (rec.usage == usage_ee) {
        return {rec, Outcome::no_match, "this certificate's record would be " + would_be(rec, leaf)};
    }
    std::string why = X509_verify_cert_error_string(err);
    if (err == X509_V_ERR_DANE_NO_MATCH && check.chain.size() == 1 && !self_issued(leaf)) {
        why += ": DANE-TA needs the chain up to the trust anchor (give --cert a chain file, or --chain)";
    } else if (err != X509_V_ERR_DANE_NO_MATCH) {
        why += " (at depth " + std::to_string(X509_STORE_CTX_get_error_depth(sctx.get())) + ")";
    }
    return {rec, Outcome::no_match, why};
}

} // namespace

std::string outcome_label(Outcome o) {
    switch (o) {
    case Outcome::match:
        return "match";
    case Outcome::no_match:
        return "no match";
    case Outcome::unusable:
        return "unusable";
    case Outcome::not_applicable:
        return "not applicable";
    }
    return "?";
}

std::string verdict_label(Verdict v) {
    switch (v) {
    case Verdict::authenticated:
        return "authenticated";
    case Verdict::not_authenticated:
        return "not authenticated";
    case Verdict::no_usable_records:
        return "no usable records";
    }
    return "?";
}

std::vector<std::string> usability(const std::vector<Record>& rrset) {
    std::vector<std::string> out;
    out.reserve(rrset.size());
    std::map<std::pair<std::uint8_t, std::uint8_t>, int> strongest;
    for (const auto& r : rrset) {
        out.push_back(unusable_reason(r));
        if (out.back().empty()) {
            auto& best = strongest[{r.usage, r.selector}];
            best = std::max(best, digest_ordinal(r.mtype));
        }
    }
    for (std::size_t i = 0; i < rrset.size(); ++i) {
        const Record& r = rrset[i];
        if (!out[i].empty() || r.mtype == 0) {
            continue;
        }
        const int best = strongest[{r.usage, r.selector}];
        if (digest_ordinal(r.mtype) < best) {
            out[i] = "ignored: a " + std::to_string(r.usage) + " " + std::to_string(r.selector) +
                     " record with a stronger digest is present (digest algorithm agility, RFC 7671 §9)";
        }
    }
    return out;
}

Verification verify_certificate(const std::vector<Record>& rrset, const CertCheck& check) {
    if (check.chain.empty() || check.chain.front() == nullptr) {
        throw Error(Errc::bad_input, "no certificate to verify");
    }
    const auto usable = usability(rrset);
    for (std::size_t i = 0; i < rrset.size(); ++i) {
        if (usable[i].empty() && rrset[i].usage == usage_ta && !check.host) {
            throw Error(Errc::bad_input, "--host is needed: usage 2 (DANE-TA) records check the certificate's "
                                         "name against the MX host (RFC 7672 §3.2.3)");
        }
    }
    const ossl::SslCtxPtr ctx(ossl::check(SSL_CTX_new(TLS_client_method()), "making an SSL context"));
    ossl::check(SSL_CTX_dane_enable(ctx.get()), "enabling DANE");
    Verification v;
    for (std::size_t i = 0; i < rrset.size(); ++i) {
        if (!usable[i].empty()) {
            v.records.push_back({rrset[i], Outcome::unusable, usable[i]});
        } else {
            v.records.push_back(verify_one(*ctx, rrset[i], check));
        }
    }
    v.verdict = verdict_of(v.records);
    v.reason = verdict_reason(v.verdict, "certificate");
    return v;
}

Verification verify_key(const std::vector<Record>& rrset, EVP_PKEY& key) {
    const Bytes spki = x509::key_spki_der(key);
    const auto usable = usability(rrset);
    Verification v;
    for (std::size_t i = 0; i < rrset.size(); ++i) {
        const Record& r = rrset[i];
        if (!usable[i].empty()) {
            v.records.push_back({r, Outcome::unusable, usable[i]});
        } else if (r.usage == usage_ta) {
            v.records.push_back({r, Outcome::not_applicable,
                                 "not applicable to a key: usage 2 pins a trust anchor (CA), not the server key"});
        } else if (r.selector == 0) {
            v.records.push_back({r, Outcome::not_applicable,
                                 "not applicable to a key: selector 0 pins a whole certificate, and a key has none"});
        } else {
            const Bytes mine = digest(static_cast<MatchingType>(r.mtype), spki);
            if (mine == r.data) {
                v.records.push_back({r, Outcome::match,
                                     "DANE-EE: the key's SubjectPublicKeyInfo matches (" + mtype_name(r.mtype) + ")"});
            } else {
                const std::string hex = to_hex(mine);
                v.records.push_back({r, Outcome::no_match,
                                     "this key's record would be " + rdata_text(Record{r.usage, 1, r.mtype, {}}) +
                                         (hex.size() > 128 ? hex.substr(0, 64) + "..." : hex)});
            }
        }
    }
    v.verdict = verdict_of(v.records);
    v.reason = verdict_reason(v.verdict, "key");
    return v;
}

} // namespace mxdane::tlsa
