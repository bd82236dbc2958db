// Seed generator for the binary seeds (run by make-seeds.sh, not part of
// any build): RDATA wire encoded by libldns from zone-file text, and UPDATE
// replies built and TSIG-signed by libldns the way a server signs them
// (RFC 8945 §4.3.1: over the request MAC and the reply).
//   make_seeds rdata OUTDIR < zone-lines      (one "owner ttl IN TYPE rdata" a line)
//   make_seeds update OUTDIR
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <fstream>
#include <iostream>
#include <string>
#include <sys/time.h>
#include <vector>

#include <stdbool.h> // NOLINT(modernize-deprecated-headers): must precede the ldns headers

#include <ldns/rbtree.h>

#include <ldns/error.h>
#include <ldns/host2wire.h>
#include <ldns/packet.h>
#include <ldns/rdata.h>
#include <ldns/rr.h>
#include <ldns/tsig.h>

#include "fuzz_update_reply.h"

// libldns takes the signing time from gettimeofday(): this definition, in
// the executable, takes its place, so the seeds are signed at the fuzz
// target's fixed clock.
extern "C" int gettimeofday(struct timeval* tv, void* /*tz*/) noexcept {
    tv->tv_sec = static_cast<time_t>(fuzz_update::now);
    tv->tv_usec = 0;
    return 0;
}

namespace {

void write(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!f) {
        std::cerr << "cannot write " << path << "\n";
        std::exit(1);
    }
}

int rdata(const std::string& dir) {
    std::string line;
    int n = 0;
    while (std::getline(std::cin, line)) {
        ldns_rr* rr = nullptr;
        if (line.empty() || line[0] == ';' ||
            ldns_rr_new_frm_str(&rr, line.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK) {
            continue;
        }
        std::uint8_t mode = 0;
        switch (ldns_rr_get_type(rr)) { // the fuzz target's byte 0 (fuzz_rdata.cpp)
        case LDNS_RR_TYPE_A:
            mode = 0;
            break;
        case LDNS_RR_TYPE_AAAA:
            mode = 1;
            break;
        case LDNS_RR_TYPE_CNAME:
            mode = 2;
            break;
        case LDNS_RR_TYPE_MX:
            mode = 3;
            break;
        case LDNS_RR_TYPE_TXT:
            mode = 4;
            break;
        case LDNS_RR_TYPE_TLSA:
            mode = 5;
            break;
        default:
            ldns_rr_free(rr);
            continue;
        }
        ldns_buffer* buf = ldns_buffer_new(512);
        // RDATA as on the wire, names uncompressed (RFC 3597 §4).
        if (ldns_rr_rdata2buffer_wire(buf, rr) == LDNS_STATUS_OK) {
            std::vector<std::uint8_t> out{mode};
            const auto* p = ldns_buffer_begin(buf);
            out.insert(out.end(), p, p + ldns_buffer_position(buf));
            write(dir + "/wire-" + std::to_string(++n), out);
        }
        ldns_buffer_free(buf);
        ldns_rr_free(rr);
    }
    return n == 0 ? 1 : 0;
}

enum class Sign { none, good, other_key, wrong_secret };

std::vector<std::uint8_t> reply(ldns_pkt_opcode opcode, ldns_pkt_rcode rcode, Sign sign, std::uint16_t tsig_error,
                                std::uint16_t id) {
    ldns_pkt* p = ldns_pkt_new();
    ldns_pkt_set_id(p, id);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_opcode(p, opcode);
    ldns_pkt_set_rcode(p, static_cast<std::uint8_t>(rcode));
    if (opcode == LDNS_PACKET_UPDATE) { // the zone section, as servers echo it
        ldns_rr* zone = nullptr;
        ldns_rr_new_question_frm_str(&zone, "example.net. IN SOA", nullptr, nullptr);
        ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, zone);
    }
    if (sign != Sign::none) {
        std::vector<std::uint8_t> mac;
        for (unsigned i = 0; i < 32; ++i) {
            mac.push_back(fuzz_update::request_mac_byte(i));
        }
        ldns_rdf* m = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, mac.size(), mac.data());
        const char* name = sign == Sign::other_key ? "other-key." : fuzz_update::key_name;
        const char* secret =
            sign == Sign::wrong_secret ? "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" : fuzz_update::secret;
        if (ldns_pkt_tsig_sign(p, name, secret, 300, "hmac-sha256.", m) != LDNS_STATUS_OK) {
            std::cerr << "cannot sign\n";
            std::exit(1);
        }
        ldns_rdf_deep_free(m);
        if (tsig_error != 0) {
            ldns_rdf_deep_free(
                ldns_rr_set_rdf(ldns_pkt_tsig(p), ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, tsig_error), 5));
        }
    }
    std::uint8_t* raw = nullptr;
    std::size_t size = 0;
    if (ldns_pkt2wire(&raw, p, &size) != LDNS_STATUS_OK) {
        std::cerr << "cannot encode\n";
        std::exit(1);
    }
    std::vector<std::uint8_t> out(raw, raw + size);
    std::free(raw); // NOLINT(cppcoreguidelines-no-malloc): ldns allocated it
    ldns_pkt_free(p);
    return out;
}

int update(const std::string& dir) {
    const auto id = fuzz_update::query_id;
    const auto U = LDNS_PACKET_UPDATE;
    write(dir + "/noerror-signed", reply(U, LDNS_RCODE_NOERROR, Sign::good, 0, id));
    write(dir + "/noerror-unsigned", reply(U, LDNS_RCODE_NOERROR, Sign::none, 0, id));
    write(dir + "/noerror-other-key", reply(U, LDNS_RCODE_NOERROR, Sign::other_key, 0, id));
    write(dir + "/noerror-wrong-secret", reply(U, LDNS_RCODE_NOERROR, Sign::wrong_secret, 0, id));
    write(dir + "/noerror-other-id", reply(U, LDNS_RCODE_NOERROR, Sign::good, 0, id + 1));
    write(dir + "/refused-signed", reply(U, LDNS_RCODE_REFUSED, Sign::good, 0, id));
    write(dir + "/nxrrset-signed", reply(U, LDNS_RCODE_NXRRSET, Sign::good, 0, id));
    write(dir + "/notzone-signed", reply(U, LDNS_RCODE_NOTZONE, Sign::good, 0, id));
    write(dir + "/notauth-badsig", reply(U, LDNS_RCODE_NOTAUTH, Sign::good, 16, id));
    write(dir + "/notauth-badkey", reply(U, LDNS_RCODE_NOTAUTH, Sign::good, 17, id));
    write(dir + "/notauth-badtime", reply(U, LDNS_RCODE_NOTAUTH, Sign::good, 18, id));
    write(dir + "/query-noerror-signed", reply(LDNS_PACKET_QUERY, LDNS_RCODE_NOERROR, Sign::good, 0, id));
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: make_seeds rdata|update OUTDIR\n";
        return 2;
    }
    const std::string what = argv[1];
    return what == "rdata" ? rdata(argv[2]) : what == "update" ? update(argv[2]) : 2;
}
