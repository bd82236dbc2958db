// One host's rollover through the real binary, shared by the rollover CLI
// tests (test_rollover_safety_cli.cpp, test_rollover_rehearsal_cli.cpp):
// keys and state in a temporary directory, the steps run with --out and
// --state-dir.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_harness.h"

namespace mxdane::test::rollover_cli {
namespace fs = std::filesystem;
using nlohmann::json;

inline const std::string host = "mx1.example.net";

inline bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

struct Host {
    TempDir tmp;
    fs::path keys = tmp.path() / "keys";
    fs::path state_dir = tmp.path() / "state";
    fs::path state_file = state_dir / (host + ".json");

    [[nodiscard]] RunResult rollover(const std::string& step, std::vector<std::string> extra = {},
                                     const RunOptions& opts = {}) const {
        std::vector<std::string> args{"rollover", step, "--out", keys.string(), "--state-dir", state_dir.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(host);
        return run_mxdane(args, opts);
    }
    void init() const {
        const auto k = run_mxdane({"keygen", "--key", "p256", "--out", keys.string(), host});
        ASSERT_EQ(k.exit_code, 0) << k.err;
        const auto r = rollover("init");
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    void stage() const {
        const auto r = rollover("stage");
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    [[nodiscard]] json state() const { return json::parse(read_file(state_file)); }
    void write_state(const json& j) const { std::ofstream(state_file, std::ios::trunc) << j.dump(2) << "\n"; }
    [[nodiscard]] std::vector<fs::path> dated_keys() const {
        std::vector<fs::path> out;
        for (const auto& e : fs::directory_iterator(keys)) {
            const std::string n = e.path().filename().string();
            if (e.path().extension() == ".key" && n != host + "-MX.key") {
                out.push_back(e.path());
            }
        }
        std::sort(out.begin(), out.end());
        return out;
    }
};

inline std::string spki_sha256_of_key(const fs::path& key) {
    std::string s =
        shell("openssl pkey -in '" + key.string() + "' -pubout -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1");
    s.pop_back();
    return s;
}

} // namespace mxdane::test::rollover_cli
