// The committed corpus (tests/data/corpus) and the records independent tools
// computed for it (tests/data/make-corpus.sh). Header-only: each CLI test
// file includes it.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace mxdane::test {

inline std::string corpus_dir() {
    return std::string(MXDANE_SOURCE_DIR) + "/tests/data/corpus";
}

inline std::string corpus(const std::string& name) {
    return corpus_dir() + "/" + name;
}

/// One line of expected/<tool>.txt: "FILE USAGE SELECTOR MTYPE HEX".
struct Expected {
    std::string file;
    std::string usage, selector, mtype, hex;
};

inline std::vector<Expected> expected_records(const std::string& tool) {
    std::ifstream in(corpus_dir() + "/expected/" + tool + ".txt");
    if (!in) {
        throw std::runtime_error("missing expected/" + tool + ".txt");
    }
    std::vector<Expected> out;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        Expected e;
        if (ls >> e.file >> e.usage >> e.selector >> e.mtype >> e.hex) {
            out.push_back(e);
        }
    }
    return out;
}

/// The openssl pipeline's hex for FILE and "U S M".
inline std::string openssl_hex(const std::string& file, const std::string& usm) {
    for (const auto& e : expected_records("openssl")) {
        if (e.file == file && e.usage + " " + e.selector + " " + e.mtype == usm) {
            return e.hex;
        }
    }
    throw std::runtime_error("no openssl record for " + file + " " + usm);
}

} // namespace mxdane::test
