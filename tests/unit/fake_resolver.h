// A resolver whose answers a unit test sets: every question is recorded,
// an unlisted one gets a secure NXDOMAIN. Shared by the walk's and the
// authoritative view's tests.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mxdane/dns.h"

namespace mxdane::test {

class FakeResolver final : public dns::Resolver {
  public:
    /// Unlisted questions get a secure NXDOMAIN.
    dns::Answer resolve(std::string_view name, dns::RrType type) override {
        asked.push_back(std::string(dns::type_name(type)) + " " + std::string(name));
        const auto it = answers.find({std::string(name), type});
        if (it != answers.end()) {
            return it->second;
        }
        dns::Answer a;
        a.qname = std::string(name);
        a.qtype = type;
        a.rcode = 3;
        a.nxdomain = true;
        a.security = dns::Security::secure;
        return a;
    }
    void set(const std::string& name, dns::RrType type, dns::Security sec, std::vector<dns::Rdata> rrs, int rcode = 0,
             const std::string& canonical = "", std::uint32_t ttl = 300) {
        dns::Answer a;
        a.qname = name;
        a.qtype = type;
        a.security = sec;
        a.records = std::move(rrs);
        a.rcode = rcode;
        a.canonical = canonical;
        a.ttl = ttl;
        if (sec == dns::Security::bogus) {
            a.why_bogus = "signature expired";
        }
        answers[{name, type}] = a;
    }
    [[nodiscard]] std::vector<std::string> trust_anchor_zones() const override { return anchors; }
    std::map<std::pair<std::string, dns::RrType>, dns::Answer> answers;
    std::vector<std::string> asked;
    std::vector<std::string> anchors{"."};
};

} // namespace mxdane::test
