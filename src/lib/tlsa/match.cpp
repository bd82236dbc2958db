// Offline matching (issue #3). Certificates go through OpenSSL's DANE engine
// exactly as a TLS handshake would use it, minus the connection: an SSL
// object that never connects carries the TLSA records, and an
// X509_STORE_CTX with that DANE state verifies the chain.
#include <array>
#include <map>
#include <optional>
#include <tuple>

#include <openssl/err.h>

#include "mxdane/material.h"
#include "mxdane/names.h"
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

std::string short_rdata(const Record& rec) {
    const std::string hex = to_hex(rec.data);
    return rdata_text(Record{rec.usage, rec.selector, rec.mtype, {}}) +
           (hex.size() > 16 ? hex.substr(0, 16) + "..." : hex);
}

std::string subject_names(X509& cert) {
    std::string out;
    for (const auto& n : x509::dns_names(cert)) {
        out += (out.empty() ? "" : ", ") + names::printable(n); // the peer's text
    }
    return out.empty() ? "no DNS name" : out;
}

std::string asn1_date(const ASN1_TIME* t) {
    const ossl::BioPtr bio(ossl::check(BIO_new(BIO_s_mem()), "allocating a BIO"));
    ossl::check(ASN1_TIME_print(bio.get(), t), "printing a date");
    return ossl::bio_contents(*bio);
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
        if (rec.selector <= 1 && rec.mtype <= 2) {
            const std::uint8_t other = rec.selector == 0 ? 1 : 0;
            const Record swapped = for_certificate(static_cast<Usage>(rec.usage), static_cast<Selector>(other),
                                                   static_cast<MatchingType>(rec.mtype), leaf);
            if (swapped.data == rec.data) {
                return {rec, Outcome::no_match,
                        "wrong selector: the data is this certificate's " + selector_what(other) + " (selector " +
                            std::to_string(other) + "), the record says selector " + std::to_string(rec.selector) +
                            ": it should read " + short_rdata(swapped)};
            }
        }
        return {rec, Outcome::no_match, "this certificate's record would be " + would_be(rec, leaf)};
    }
    const int depth = X509_STORE_CTX_get_error_depth(sctx.get());
    X509* at = X509_STORE_CTX_get_current_cert(sctx.get());
    if (err == X509_V_ERR_HOSTNAME_MISMATCH) {
        return {rec, Outcome::no_match,
                "DANE-TA: the chain leads to the trust anchor this record pins, but the certificate does not name " +
                    check.host.value_or("?") + " (it names " + subject_names(leaf) + "; RFC 7672 §3.2.3)"};
    }
    if ((err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID) && at != nullptr) {
        const bool expired = err == X509_V_ERR_CERT_HAS_EXPIRED;
        return {rec, Outcome::no_match,
                std::string("DANE-TA: the certificate at depth ") + std::to_string(depth) +
                    (expired ? " expired on " + asn1_date(X509_get0_notAfter(at))
                             : " is not valid before " + asn1_date(X509_get0_notBefore(at))) +
                    ": DANE-TA checks dates (RFC 7672 §3.2)"};
    }
    std::string why = X509_verify_cert_error_string(err);
    if (err == X509_V_ERR_DANE_NO_MATCH && check.chain.size() == 1 && !self_issued(leaf)) {
        why += ": DANE-TA needs the chain up to the trust anchor (give " + std::string(setting_words(Setting::cert)) +
               " a chain file, or " + std::string(setting_words(Setting::chain)) + ")";
    } else if (err != X509_V_ERR_DANE_NO_MATCH) {
        why += " (at depth " + std::to_string(depth) + ")";
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
    case Outcome::other_owner:
        return "not for host";
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
    case Verdict::no_records:
        return "no records";
    }
    return "?";
}

namespace {

/// Why each record is unusable ("" when usable), and for records set aside
/// by digest agility the index of the record that displaced them.
struct Usability {
    std::vector<std::string> reasons;
    std::vector<std::optional<std::size_t>> displaced_by;
};

Usability usability_of(const std::vector<Record>& rrset) {
    Usability u;
    u.reasons.reserve(rrset.size());
    u.displaced_by.resize(rrset.size());
    // Per usage and selector, the first record with the strongest digest.
    std::map<std::pair<std::uint8_t, std::uint8_t>, std::size_t> strongest;
    for (std::size_t i = 0; i < rrset.size(); ++i) {
        const Record& r = rrset[i];
        u.reasons.push_back(unusable_reason(r));
        if (u.reasons.back().empty()) {
            const auto it = strongest.find({r.usage, r.selector});
            if (it == strongest.end() || digest_ordinal(rrset[it->second].mtype) < digest_ordinal(r.mtype)) {
                strongest[{r.usage, r.selector}] = i;
            }
        }
    }
    for (std::size_t i = 0; i < rrset.size(); ++i) {
        const Record& r = rrset[i];
        if (!u.reasons[i].empty() || r.mtype == 0) {
            continue;
        }
        const std::size_t best = strongest.at({r.usage, r.selector});
        if (digest_ordinal(r.mtype) < digest_ordinal(rrset[best].mtype)) {
            u.displaced_by[i] = best;
            u.reasons[i] = "ignored because " + short_rdata(rrset[best]) + " is present: with a " +
                           mtype_name(rrset[best].mtype) + " record for usage " + std::to_string(r.usage) +
                           " and selector " + std::to_string(r.selector) + ", senders ignore the " +
                           mtype_name(r.mtype) + " ones (digest algorithm agility, RFC 7671 §9)";
        }
    }
    return u;
}

} // namespace

std::vector<std::string> usability(const std::vector<Record>& rrset) {
    return usability_of(rrset).reasons;
}

std::pair<Verdict, std::string> judge(const std::vector<RecordResult>& records, const std::string& subject) {
    bool any_usable = false;
    bool any_here = false;
    const RecordResult* ignored_match = nullptr;
    const RecordResult* ta_failure = nullptr;
    for (const auto& r : records) {
        if (r.outcome == Outcome::match) {
            return {Verdict::authenticated,
                    "a usable TLSA record matches the " + subject + " (" + short_rdata(r.record) + ")"};
        }
        if (r.outcome == Outcome::other_owner) {
            continue;
        }
        any_here = true;
        any_usable = any_usable || r.outcome != Outcome::unusable;
        if (r.ignored_match && ignored_match == nullptr) {
            ignored_match = &r;
        }
        if (r.outcome == Outcome::no_match && r.record.usage == usage_ta && ta_failure == nullptr &&
            r.reason.rfind("DANE-TA: the", 0) == 0) {
            ta_failure = &r;
        }
    }
    if (!any_here) {
        return {Verdict::no_records, records.empty()
                                         ? "no TLSA record"
                                         : "no TLSA record where a sender looks (every record is at another "
                                           "owner name or class): senders see no DANE for this host"};
    }
    if (!any_usable) {
        return {Verdict::no_usable_records,
                "the RRset has no usable TLSA record: RFC 7672 §2.2 makes TLS mandatory but unauthenticated, "
                "senders check no certificate"};
    }
    std::string why = "no usable TLSA record matches the " + subject;
    if (ignored_match != nullptr) {
        why = short_rdata(ignored_match->record) + " would match the " + subject + ", but it is " +
              ignored_match->reason + "; publish the " + subject +
              "'s matching record of that digest, or remove "
              "the stronger one";
    } else if (ta_failure != nullptr) {
        why += ": " + ta_failure->reason;
    }
    return {Verdict::not_authenticated, why};
}

Verification verify_certificate(const std::vector<Record>& rrset, const CertCheck& check) {
    if (check.chain.empty() || check.chain.front() == nullptr) {
        throw Error(Errc::bad_input, "no certificate to verify");
    }
    const Usability u = usability_of(rrset);
    const auto& usable = u.reasons;
    for (std::size_t i = 0; i < rrset.size(); ++i) {
        if (usable[i].empty() && rrset[i].usage == usage_ta && !check.host) {
            throw SettingError(Errc::bad_input, Setting::host, "",
                               std::string(setting_words(Setting::host)) +
                                   " is needed: usage 2 (DANE-TA) records check the certificate's "
                                   "name against the MX host (RFC 7672 §3.2.3)");
        }
    }
    const ossl::SslCtxPtr ctx(ossl::check(SSL_CTX_new(TLS_client_method()), "making an SSL context"));
    ossl::check(SSL_CTX_dane_enable(ctx.get()), "enabling DANE");
    Verification v;
    for (std::size_t i = 0; i < rrset.size(); ++i) {
        if (!usable[i].empty()) {
            RecordResult r{rrset[i], Outcome::unusable, usable[i], false};
            if (u.displaced_by[i] && (rrset[i].usage != usage_ta || check.host)) {
                r.ignored_match = verify_one(*ctx, rrset[i], check).outcome == Outcome::match;
            }
            v.records.push_back(std::move(r));
        } else {
            v.records.push_back(verify_one(*ctx, rrset[i], check));
        }
    }
    std::tie(v.verdict, v.reason) = judge(v.records, "certificate");
    if (v.verdict == Verdict::not_authenticated) {
        v.reason += ": a DANE sender would defer mail to this server (RFC 7672 §2.2)";
    }
    return v;
}

Verification verify_key(const std::vector<Record>& rrset, EVP_PKEY& key) {
    const Bytes spki = x509::key_spki_der(key);
    const Usability u = usability_of(rrset);
    const auto& usable = u.reasons;
    Verification v;
    for (std::size_t i = 0; i < rrset.size(); ++i) {
        const Record& r = rrset[i];
        if (!usable[i].empty()) {
            const bool would = u.displaced_by[i] && r.usage == usage_ee && r.selector == 1 &&
                               digest(static_cast<MatchingType>(r.mtype), spki) == r.data;
            v.records.push_back({r, Outcome::unusable, usable[i], would});
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
    std::tie(v.verdict, v.reason) = judge(v.records, "key");
    // The question asked of a key is whether its record is published.
    if (v.verdict == Verdict::authenticated) {
        v.reason = "published: " + v.reason;
    } else {
        const std::string hex = to_hex(digest(MatchingType::sha256, spki));
        v.reason = "not published: " + v.reason + "; this key's record is 3 1 1 " + hex;
    }
    return v;
}

} // namespace mxdane::tlsa
