// A main() for a libFuzzer target in the ordinary build: runs the target once
// over every file in the directories given (its seeds). The ctest tests
// fuzz_seeds_<target> use it, so the targets' checks run with every unit
// run, and each target links from its own line of targets.txt.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
    std::size_t runs = 0;
    for (int i = 1; i < argc; ++i) {
        for (const auto& entry : std::filesystem::directory_iterator(argv[i])) { // NOLINT: argv
            if (!entry.is_regular_file()) {
                continue;
            }
            std::ifstream f(entry.path(), std::ios::binary);
            const std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
            (void)LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), // NOLINT: bytes
                                         bytes.size());
            ++runs;
        }
    }
    std::cout << runs << " inputs\n";
    return runs == 0 ? 1 : 0;
}
