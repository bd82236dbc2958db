#!/usr/bin/env bash
# Builds the libFuzzer targets with Debian's clang (-fsanitize=fuzzer,address,
# undefined) straight from the library sources each one needs (targets.txt:
# one list per target), then runs each.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]   default 15 s, every target
#   tests/fuzz/run.sh 600 fuzz_rdata          a long run of one by hand
# Seeds: tests/fuzz/seeds/<target> (made by tests/fuzz/make-seeds.sh) and
# tests/data/corpus (fuzz_load). New inputs the fuzzer finds stay in
# build/fuzz/<target>.corpus between runs. A crash leaves its input in
# build/fuzz/crash-* and fails the script.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
secs=${1:-15}
shift || true
out="$here/build/fuzz"
mkdir -p "$out/obj"
flags=(-std=c++20 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined
       -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED -I"$here/include")
# With ccache (scripts/build-env.sh) a fresh clone reuses the objects of any
# earlier run on this machine.
. "$here/scripts/build-env.sh" "$here"
cc=(clang++)
[[ ${#MXDANE_CCACHE_CMAKE[@]} -gt 0 ]] && cc=(ccache clang++)

declare -A sources libs
order=()
while read -r name rest; do
    [[ -z $name || $name == \#* ]] && continue
    order+=("$name")
    for w in $rest; do
        if [[ $w == -l* ]]; then libs[$name]+=" $w"; else sources[$name]+=" $w"; fi
    done
done <"$here/tests/fuzz/targets.txt"
wanted=("$@")
[[ ${#wanted[@]} -eq 0 ]] && wanted=("${order[@]}")

# Each library source is compiled once (instrumented for coverage) and shared
# by every target that lists it; a header change rebuilds everything.
newest_header=$(find "$here/include" "$here/src/lib" -name '*.h' -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2)
object() { # src/lib-relative source -> object path
    echo "$out/obj/${1//\//_}.o"
}
stale() { # object source
    [[ ! -f $1 || $2 -nt $1 || $newest_header -nt $1 ]]
}
declare -A all
for t in "${wanted[@]}"; do
    [[ -n ${sources[$t]+x} || -n ${libs[$t]+x} || -f $here/tests/fuzz/$t.cpp ]] ||
        { echo "run.sh: no target $t in tests/fuzz/targets.txt" >&2; exit 2; }
    for s in ${sources[$t]:-}; do all[$s]=1; done
done
pids=()
for s in "${!all[@]}"; do
    o=$(object "$s")
    if stale "$o" "$here/src/lib/$s"; then
        echo "== compiling $s" >&2
        "${cc[@]}" "${flags[@]}" -fsanitize=fuzzer-no-link -c "$here/src/lib/$s" -o "$o" &
        pids+=($!)
        if [[ ${#pids[@]} -ge 2 ]]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
    fi
done
for p in "${pids[@]}"; do wait "$p"; done

for t in "${wanted[@]}"; do
    bin="$out/$t"
    objs=()
    for s in ${sources[$t]:-}; do objs+=("$(object "$s")"); done
    if [[ ! -x $bin || -n $(find "${objs[@]}" "$here/tests/fuzz/" -newer "$bin" -print -quit) ]]; then
        echo "== linking $t" >&2
        # shellcheck disable=SC2086 # the -l list splits on spaces
        if ! "${cc[@]}" "${flags[@]}" -fsanitize=fuzzer "$here/tests/fuzz/$t.cpp" "${objs[@]}" -o "$bin" ${libs[$t]:-}; then
            echo "run.sh: $t does not build; an undefined reference means a library source it needs is missing from its line in tests/fuzz/targets.txt" >&2
            exit 1
        fi
    fi
done

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
for t in "${wanted[@]}"; do
    seeds=("$here/tests/fuzz/seeds/$t")
    [[ $t == fuzz_load ]] && seeds=("$here/tests/data/corpus")
    [[ $t == fuzz_rrset_ldns ]] && seeds=("$here/tests/fuzz/seeds/fuzz_rrset")
    mkdir -p "$out/$t.corpus"
    echo "== $t for ${secs}s" >&2
    # -artifact_prefix: a crash's input lands in build/fuzz, not in the cwd.
    maxlen=4096
    [[ $t == fuzz_load ]] && maxlen=8192
    "$out/$t" -max_total_time="$secs" -max_len="$maxlen" -print_final_stats=1 -artifact_prefix="$out/" \
        "$out/$t.corpus" "${seeds[@]}" >"$out/$t.log" 2>&1 || { tail -n 40 "$out/$t.log" >&2; exit 1; }
    grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$out/$t.log" | tail -n 1 >&2
    grep -E 'stat::number_of_executed_units' "$out/$t.log" >&2 || true
done
