#!/usr/bin/env bash
# The gate's own test (ctest -L static): tests/static/tidy.sh on a small tree
# with the project's .clang-tidy and planted files, so each outcome is seen:
# clean (exit 0), a finding as "file:line:col: message [check]" (exit 1), a
# file that does not compile (exit 1, clang-diagnostic-error), a line
# suppressed with NOLINT(check) (exit 0), the record of files that passed
# (TIDY_CACHE), and the usage errors (exit 2).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail=0
expect() { # NAME WANTED_EXIT PATTERN -- command...
    local name=$1 want=$2 pat=$3
    shift 4
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [[ $rc -ne $want ]] || ! grep -qE -- "$pat" <<<"$out"; then
        echo "FAIL $name: exit $rc (want $want), output lacks /$pat/:"
        sed 's/^/  /' <<<"$out"
        fail=1
    else
        echo "ok   $name"
    fi
}

mkdir -p "$t/tests/static" "$t/src/lib/demo" "$t/build"
cp "$here/tests/static/tidy.sh" "$t/tests/static/"
cp "$here/.clang-tidy" "$t/"
cat >"$t/src/lib/demo/clean.cpp" <<'CPP'
namespace demo {
int twice(int x) {
    return 2 * x;
}
} // namespace demo
CPP
cat >"$t/src/lib/demo/finding.cpp" <<'CPP'
#include <ctime>
namespace demo {
char* when(std::time_t t) {
    return std::ctime(&t);
}
} // namespace demo
CPP
cat >"$t/src/lib/demo/suppressed.cpp" <<'CPP'
#include <ctime>
namespace demo {
char* when(std::time_t t) {
    return std::ctime(&t); // NOLINT(concurrency-mt-unsafe): the gate's own test
}
} // namespace demo
CPP
cat >"$t/src/lib/demo/twice.cpp" <<'CPP'
#include <cstdlib>
namespace demo {
int roll() {
    return std::rand();
}
} // namespace demo
CPP
cat >"$t/src/lib/demo/broken.cpp" <<'CPP'
namespace demo {
int broken() { return undeclared_name; }
} // namespace demo
CPP
python3 - "$t" <<'PY'
import json, sys
t = sys.argv[1]
json.dump([{"directory": t + "/build", "file": f"{t}/src/lib/demo/{n}.cpp",
            "command": f"c++ -std=c++20 -c {t}/src/lib/demo/{n}.cpp"}
           for n in ("clean", "finding", "suppressed", "twice", "broken")],
          open(t + "/build/compile_commands.json", "w"))
PY
gate=$t/tests/static/tidy.sh
expect clean 0 '^clang-tidy: 0 findings in 1 files, wall [0-9]+ s, cpu [0-9]+ s$' -- "$gate" "$t/build" 'clean'
expect suppressed 0 '^clang-tidy: 0 findings in 1 files' -- "$gate" "$t/build" 'suppressed'
expect finding 1 '^src/lib/demo/finding\.cpp:4:12: function is not thread safe \[concurrency-mt-unsafe\]$' -- "$gate" "$t/build" 'finding'
expect finding-count 1 '^ +1 \[concurrency-mt-unsafe\]$' -- "$gate" "$t/build" 'finding'
# Two findings at one place are two lines, not one.
expect same-place-1 1 "^src/lib/demo/twice\.cpp:4:12: rand\(\) has limited randomness; use C\+\+11 random library instead \[cert-msc50-cpp\]$" -- "$gate" "$t/build" 'twice'
expect same-place-2 1 "^src/lib/demo/twice\.cpp:4:12: function is not thread safe \[concurrency-mt-unsafe\]$" -- "$gate" "$t/build" 'twice'
expect broken 1 "^src/lib/demo/broken\.cpp:2:23: use of undeclared identifier 'undeclared_name' \[clang-diagnostic-error\]$" -- "$gate" "$t/build" 'broken'
# TIDY_CACHE: a file that passed is not checked again while its preprocessed
# text (comments included) is the same; a finding or a removed NOLINT is.
cache=$t/cache
TIDY_CACHE=$cache expect cache-first 0 '^clang-tidy: 0 findings in 1 files, wall [0-9]+ s, cpu [0-9]+ s; 0 files unchanged since they passed, not checked$' -- "$gate" "$t/build" 'suppressed'
TIDY_CACHE=$cache expect cache-hit 0 '^clang-tidy: 0 findings in 0 files, .*; 1 files unchanged since they passed, not checked$' -- "$gate" "$t/build" 'suppressed'
sed -i 's| // NOLINT.*||' "$t/src/lib/demo/suppressed.cpp"
TIDY_CACHE=$cache expect cache-nolint-removed 1 '^src/lib/demo/suppressed\.cpp:4:12: function is not thread safe \[concurrency-mt-unsafe\]$' -- "$gate" "$t/build" 'suppressed'
TIDY_CACHE=$cache expect cache-finding-again 1 '^clang-tidy: 1 findings in 1 files, .*; 0 files unchanged' -- "$gate" "$t/build" 'suppressed'
TIDY_CACHE=$cache expect cache-broken-again 1 "^src/lib/demo/broken\.cpp:2:23: use of undeclared identifier" -- "$gate" "$t/build" 'broken'
TIDY_CACHE=$cache expect cache-broken-twice 1 "^src/lib/demo/broken\.cpp:2:23: use of undeclared identifier" -- "$gate" "$t/build" 'broken'
expect no-build-dir 2 '^usage: tests/static/tidy.sh BUILD_DIR' -- "$gate"
expect no-compile-commands 2 '^usage: ' -- "$gate" "$t/src"
expect no-file-matches 2 '^error: no file of src/lib or src/cli in .* matches nothing-here$' -- "$gate" "$t/build" 'nothing-here'
CLANG_TIDY=clang-tidy-none expect no-clang-tidy 2 '^error: clang-tidy-none not found' -- "$gate" "$t/build"
exit "$fail"
