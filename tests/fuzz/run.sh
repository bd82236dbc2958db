#!/usr/bin/env bash
# Builds the libFuzzer targets with Debian's clang (-fsanitize=fuzzer,address,
# undefined) straight from the library sources they need, then runs each.
#   tests/fuzz/run.sh [SECONDS]     default 20 per target (./run-tests uses 20)
#   tests/fuzz/run.sh 3600          a long run by hand
# Seeds: tests/data/corpus (load) and RRset texts made below (rrset); new
# inputs the fuzzer finds stay in build/fuzz/<target>.corpus between runs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
secs=${1:-20}
out="$here/build/fuzz"
mkdir -p "$out"
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED -I"$here/include")
libsrc=("$here"/src/lib/x509/*.cpp "$here"/src/lib/tlsa/*.cpp "$here"/src/lib/ossl/*.cpp "$here"/src/lib/names/*.cpp)
build() { # target
    local bin="$out/$1"
    if [[ ! -x $bin || -n $(find "$here/src/lib" "$here/include" "$here/tests/fuzz/$1.cpp" -newer "$bin" -print -quit) ]]; then
        echo "== building $1" >&2
        clang++ "${flags[@]}" "$here/tests/fuzz/$1.cpp" "${libsrc[@]}" -o "$bin" -lssl -lcrypto -lidn2
    fi
}
build fuzz_rrset
build fuzz_load

mkdir -p "$out/fuzz_load.corpus" "$out/fuzz_rrset.corpus" "$out/rrset.seed"
i=0
for f in "$here"/tests/data/corpus/expected/*.txt; do
    while read -r _ u s m h; do
        i=$((i + 1))
        printf '_25._tcp.mx1.example.net. 3600 IN TLSA %s %s %s %s\n' "$u" "$s" "$m" "$h" >"$out/rrset.seed/$i"
        [[ $i -ge 40 ]] && break 2
    done <"$f"
done
printf ';; ANSWER SECTION:\nmx 300 IN TLSA ( DANE-EE SPKI SHA2-256\n AB CD ) ; c\n\\# 4 03010100\n' >"$out/rrset.seed/dig"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
echo "== fuzz_rrset for ${secs}s" >&2
"$out/fuzz_rrset" -max_total_time="$secs" -max_len=4096 -print_final_stats=0 \
    "$out/fuzz_rrset.corpus" "$out/rrset.seed" 2>&1 | tail -n 2 >&2
echo "== fuzz_load for ${secs}s" >&2
"$out/fuzz_load" -max_total_time="$secs" -max_len=8192 -print_final_stats=0 \
    "$out/fuzz_load.corpus" "$here/tests/data/corpus" 2>&1 | tail -n 2 >&2
