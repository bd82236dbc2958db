// Chain order and names of key material: what tlsa, verify and inspect
// check before they compute or judge anything (README "Chains").
#include <algorithm>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "mxdane/material.h"
#include "mxdane/names.h"

namespace mxdane::x509 {
namespace {

std::string name_text(const X509_NAME* name) {
    const ossl::BioPtr bio(ossl::check(BIO_new(BIO_s_mem()), "allocating a BIO"));
    ossl::check(X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) >= 0 ? 1 : 0, "printing a name");
    return ossl::bio_contents(*bio);
}

std::string common_name(const X509_NAME* name) {
    const int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (i < 0) {
        return {};
    }
    const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    if (s == nullptr) {
        return {};
    }
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): ASN.1 strings are bytes
    const auto* data = reinterpret_cast<const char*>(ASN1_STRING_get0_data(s));
    return {data, static_cast<std::size_t>(ASN1_STRING_length(s))};
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) {
        out += (out.empty() ? "" : ", ") + names::printable(s);
    }
    return out;
}

} // namespace

SelfSigned self_signed_ca(X509& cert) {
    const SelfSigned r{X509_self_signed(&cert, 0) == 1, (X509_get_extension_flags(&cert) & EXFLAG_CA) != 0U};
    ERR_clear_error();
    return r;
}

std::string subject_text(X509& cert) {
    return name_text(X509_get_subject_name(&cert));
}

bool issued(X509& issuer, X509& subject) {
    if (&issuer == &subject) {
        return false;
    }
    const bool yes = X509_check_issued(&issuer, &subject) == X509_V_OK;
    ERR_clear_error();
    return yes;
}

Expected<std::string> host_name(const Material& m) {
    std::vector<std::string> sans;
    std::string cn;
    if (!m.certs.empty()) {
        sans = dns_names(*m.certs.front());
        cn = common_name(X509_get_subject_name(m.certs.front().get()));
    } else if (m.csr) {
        sans = dns_names(*m.csr);
        cn = common_name(X509_REQ_get_subject_name(m.csr.get()));
    } else {
        return Unexpected{"a " + std::string(material_kind_label(m.kind)) + " names no host"};
    }
    std::vector<std::string> candidates = sans;
    if (sans.empty() && !cn.empty()) {
        candidates.push_back(cn);
    }
    bool wildcard = false;
    for (const auto& n : candidates) {
        if (n.rfind("*.", 0) == 0) {
            wildcard = true;
            continue;
        }
        if (auto h = names::normalize_host(n); h) {
            return std::move(h).value();
        }
    }
    const std::string what = std::string(material_kind_label(m.kind));
    if (candidates.empty()) {
        return Unexpected{"the " + what + " has no DNS name"};
    }
    if (wildcard && candidates.size() == 1) {
        return Unexpected{"the " + what + "'s only name is a wildcard (" + join(candidates) +
                          "), and a wildcard is no MX host"};
    }
    return Unexpected{"none of the " + what + "'s names is a host name (" + join(candidates) + ")"};
}

std::string chain_order_problem(const std::vector<ossl::X509Ptr>& certs) {
    const std::size_t n = certs.size();
    if (n < 2) {
        return {};
    }
    bool in_order = true;
    for (std::size_t i = 0; i + 1 < n; ++i) {
        in_order = in_order && issued(*certs[i + 1], *certs[i]);
    }
    if (in_order) {
        return {};
    }
    std::vector<std::string> subjects;
    subjects.reserve(certs.size());
    for (const auto& c : certs) {
        subjects.push_back(subject_text(*c));
    }
    std::string listed;
    for (std::size_t i = 0; i < n; ++i) {
        listed += (i > 0 ? ", " : "") + std::string("#") + std::to_string(i + 1) + " " + subjects[i];
    }
    const std::string needed = "the MTA sends the server's certificate first, then each certificate's issuer "
                               "(Postfix smtpd_tls_chain_files: the key, the server's certificate, the "
                               "intermediates)";
    // A certificate that neither issued nor was issued by any other.
    for (std::size_t i = 0; i < n; ++i) {
        bool related = false;
        for (std::size_t j = 0; j < n && !related; ++j) {
            related = issued(*certs[i], *certs[j]) || issued(*certs[j], *certs[i]);
        }
        if (!related) {
            return "certificate #" + std::to_string(i + 1) + " (" + subjects[i] +
                   ") is unrelated to the others: it issued none of them and none of them issued it; a file holds "
                   "one chain (" +
                   listed + "): " + needed;
        }
    }
    // The server's certificate issued no other; follow the issuers from it.
    std::vector<std::size_t> leaves;
    for (std::size_t i = 0; i < n; ++i) {
        bool issuer_of_some = false;
        for (std::size_t j = 0; j < n && !issuer_of_some; ++j) {
            issuer_of_some = issued(*certs[i], *certs[j]);
        }
        if (!issuer_of_some) {
            leaves.push_back(i);
        }
    }
    if (leaves.size() == 1) {
        std::vector<std::size_t> order{leaves.front()};
        while (order.size() < n) {
            const std::size_t last = order.back();
            std::size_t next = n;
            for (std::size_t j = 0; j < n; ++j) {
                if (std::find(order.begin(), order.end(), j) == order.end() && issued(*certs[j], *certs[last])) {
                    next = j;
                    break;
                }
            }
            if (next == n) {
                break;
            }
            order.push_back(next);
        }
        if (order.size() == n) {
            std::string want;
            for (const std::size_t i : order) {
                want += (want.empty() ? "" : ", ") + std::string("#") + std::to_string(i + 1) + " " + subjects[i];
            }
            return "the certificates are out of order (" + listed + "): " + needed + ", here " + want;
        }
    }
    std::string leaf_list;
    for (const std::size_t i : leaves) {
        leaf_list += (leaf_list.empty() ? "" : ", ") + subjects[i];
    }
    return "the certificates do not form one chain (" + listed + "; issuing no other: " + leaf_list + "): " + needed;
}

} // namespace mxdane::x509
