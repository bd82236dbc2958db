// libFuzzer target: the reader of the reply to a TSIG-signed RFC 2136
// UPDATE (src/lib/publish/nsupdate.cpp) must never crash or leak, and must
// never call a reply "applied" unless it is a NOERROR signed with our key.
// The key, the request's MAC, the query id and the clock are fixed
// (fuzz_update_reply.h); the seeds (make_seeds.cpp) are replies signed with
// them, so the fuzzer starts inside the TSIG verification path.
// libldns itself is not instrumented: a fault inside it still stops the run
// (SIGSEGV), but its branches do not count as coverage.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "../../src/lib/publish/dnswire.h"
#include "fuzz_update_reply.h"

namespace {

using namespace mxdane::publish;

wire::Bytes request_mac() {
    wire::Bytes mac{0, 32};
    for (unsigned i = 0; i < 32; ++i) {
        mac.push_back(fuzz_update::request_mac_byte(i));
    }
    return mac;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const TsigKey key{fuzz_update::key_name, TsigAlgorithm::hmac_sha256, fuzz_update::secret};
    static const wire::UpdateContext ctx{"127.0.0.1@53", "example.net.", "_25._tcp.mx1.example.net."};
    static const wire::Bytes mac = request_mac();
    const wire::Bytes reply(data, data + size);
    for (const bool is_update : {true, false}) {
        const Outcome o =
            wire::read_update_reply(reply, fuzz_update::query_id, key, mac, fuzz_update::now, ctx, is_update);
        if (o.status == Status::ok) {
            // Believed only when signed: the header must say NOERROR and the
            // message must end in a TSIG record (RFC 8945 §5.1).
            if (size < 12 || (data[3] & 0x0FU) != 0 || (data[11] == 0 && data[10] == 0)) {
                std::abort();
            }
        }
    }
    return 0;
}
