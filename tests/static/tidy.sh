#!/usr/bin/env bash
# Static checks gate: clang-tidy-14 with the repository's .clang-tidy on every
# file of src/lib and src/cli (and the headers they include from
# include/mxdane and src/), every finding an error.
#   tests/static/tidy.sh BUILD_DIR [FILE_REGEX]
# BUILD_DIR is any configured build (CMakeLists sets
# CMAKE_EXPORT_COMPILE_COMMANDS): nothing is compiled, clang-tidy reads its
# compile_commands.json. FILE_REGEX narrows the files (e.g. 'src/lib/x509/').
# Environment: TIDY_JOBS (default 2), CLANG_TIDY (default clang-tidy-14),
# TIDY_PROFILE=DIR to write per-check timings (clang-tidy --enable-check-profile),
# TIDY_CACHE=DIR to check only the files that did not pass before: a file that
# passes leaves DIR/<key>, the SHA-256 of clang-tidy's version, .clang-tidy,
# this script, its compile command and its preprocessed text with comments
# (g++ -E -C: every header it includes, and every NOLINT), paths made relative
# to the tree so that another clone hits it. A file whose key is there is
# counted as passed without running clang-tidy; without DIR every file is
# checked (./run-tests sets /var/cache/mxdane-tidy).
# Output: one line per finding, "file:line:col: message [check]", sorted and
# without the repeats a header gives from every file that includes it; then a
# count per check, the wall time and the CPU time (user + system). Exit 0 when clean, 1 on findings, 2 when
# clang-tidy itself failed (a file that does not parse).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [[ $# -lt 1 || ! -f "$1/compile_commands.json" ]]; then
    echo "usage: tests/static/tidy.sh BUILD_DIR [FILE_REGEX]  (BUILD_DIR/compile_commands.json from a configured build)" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
filter=${2:-}
tidy=${CLANG_TIDY:-clang-tidy-14}
jobs=${TIDY_JOBS:-2}
command -v "$tidy" >/dev/null || { echo "error: $tidy not found (scripts/deps.sh installs clang-tidy-14)" >&2; exit 2; }
start=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One compile command per file: the fuzz targets compile some library files a
# second time, and clang-tidy would check each command.
python3 - "$build/compile_commands.json" "$here" "$filter" "$work" <<'PY'
import json, os, re, sys
db, root, rx, out = sys.argv[1:5]
seen, keep = set(), []
for e in json.load(open(db)):
    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
    rel = os.path.relpath(f, root)
    if not re.match(r"src/(lib|cli)/", rel) or (rx and not re.search(rx, rel)) or f in seen:
        continue
    seen.add(f)
    keep.append(e)
json.dump(keep, open(os.path.join(out, "compile_commands.json"), "w"), indent=1)
with open(os.path.join(out, "files"), "w") as fh:
    fh.write("\n".join(sorted(seen)) + ("\n" if seen else ""))
PY
nfiles=$(wc -l <"$work/files")
if [[ $nfiles -eq 0 ]]; then
    echo "error: no file of src/lib or src/cli in $build/compile_commands.json${filter:+ matches $filter}" >&2
    exit 2
fi
echo "clang-tidy: $nfiles files, $jobs jobs ($("$tidy" --version | grep -o 'version [0-9.]*'))"

cached=0
if [[ -n ${TIDY_CACHE:-} ]]; then
    mkdir -p "$TIDY_CACHE"
    # Keys older than 60 days belong to sources long gone.
    find "$TIDY_CACHE" -type f -mtime +60 -delete 2>/dev/null || true
    salt=$( { "$tidy" --version; cat "$here/.clang-tidy" "$here/tests/static/tidy.sh"; } | sha256sum | cut -d' ' -f1)
    python3 - "$work/compile_commands.json" "$here" "$salt" "$jobs" >"$work/keys" <<'PY'
import concurrent.futures, hashlib, json, shlex, subprocess, sys
db, root, salt, jobs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def key(e):
    args = e["arguments"] if "arguments" in e else shlex.split(e["command"])
    cpp, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a == "-o":
            skip = True
        elif a != "-c":
            cpp.append(a)
    out = subprocess.run(cpp + ["-E", "-C"], cwd=e["directory"], capture_output=True)
    if out.returncode != 0:
        return None  # checked, and clang-tidy says why
    rel = lambda b: b.replace(root.encode() + b"/", b"")
    h = hashlib.sha256(salt.encode())
    h.update(rel(" ".join(args).encode()) + b"\0")
    h.update(rel(out.stdout))
    return h.hexdigest()
entries = json.load(open(db))
with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
    for e, k in zip(entries, pool.map(key, entries)):
        if k:
            print(k, e["file"])
PY
    : >"$work/unchanged"
    while read -r k f; do
        if [[ -f $TIDY_CACHE/$k ]]; then
            touch "$TIDY_CACHE/$k"
            echo "$f" >>"$work/unchanged"
        fi
    done <"$work/keys"
    cached=$(wc -l <"$work/unchanged")
    grep -vxF -f "$work/unchanged" "$work/files" >"$work/to-check" || true
    mv "$work/to-check" "$work/files"
    nfiles=$(wc -l <"$work/files")
    echo "clang-tidy: $cached files passed before with the same preprocessed text ($TIDY_CACHE): not checked again"
fi

mkdir -p "$work/out"
profile=()
if [[ -n ${TIDY_PROFILE:-} ]]; then
    mkdir -p "$TIDY_PROFILE"
    profile=(--enable-check-profile "--store-check-profile=$TIDY_PROFILE")
fi
export work tidy here
status=0
# Each file's output goes to its own log; the exit status of a file that
# could not be checked (a compiler error) is kept apart from findings.
xargs -a "$work/files" -P "$jobs" -I{} bash -c '
    log=$work/out/$(echo "$1" | tr / _).log
    if ! "$tidy" -p "$work" --quiet "--warnings-as-errors=*" "${@:2}" "$1" >"$log" 2>&1; then
        echo "$1" >>"$work/failed"
    fi' bash {} "${profile[@]}" || true

# "path:line:col: error: message [check,-warnings-as-errors]" -> relative,
# without the suffix; a compiler error (no check name) is kept as it is.
find "$work/out" -name '*.log' -exec cat {} + |
    grep -E '^/[^:]+:[0-9]+:[0-9]+: (warning|error): ' |
    sed -E -e "s|^$here/||" -e 's/: (warning|error): /: /' -e 's/,-warnings-as-errors\]$/]/' |
    sort -t: -k1,1 -k2,2n -k3,3n -k4 -u >"$work/findings" || true
nfind=$(wc -l <"$work/findings")
cat "$work/findings"
if [[ $nfind -gt 0 ]]; then
    echo "== findings per check"
    grep -oE '\[[a-z0-9.,-]+\]$' "$work/findings" | sort | uniq -c | sort -rn
fi
# A file that failed without a finding line did not parse: show its log.
if [[ -f $work/failed ]]; then
    while read -r f; do
        log=$work/out/$(echo "$f" | tr / _).log
        if ! grep -qE '^/[^:]+:[0-9]+:[0-9]+: (warning|error): ' "$log"; then
            echo "error: clang-tidy could not check ${f#"$here"/}:" >&2
            sed 's/^/  /' "$log" >&2
            status=2
        fi
    done <"$work/failed"
fi
# CPU time of the clang-tidy runs (user + system of the waited-for children,
# from the shell's `times`, run without a fork, which would have no children):
# what the gate costs whatever the machine's load.
times >"$work/times"
cpu=$(tail -n 1 "$work/times" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%d", t }')
# Each file checked now that passed: its key, for the next run.
if [[ -n ${TIDY_CACHE:-} ]]; then
    while read -r k f; do
        grep -qxF "$f" "$work/files" && ! grep -qxF "$f" "$work/failed" 2>/dev/null && : >"$TIDY_CACHE/$k"
    done <"$work/keys"
fi
unchanged=""
[[ -n ${TIDY_CACHE:-} ]] && unchanged="; $cached files unchanged since they passed, not checked"
echo "clang-tidy: $nfind findings in $nfiles files, wall $(($(date +%s) - start)) s, cpu $cpu s$unchanged"
if [[ $status -ne 0 ]]; then exit "$status"; fi
if [[ $nfind -gt 0 ]]; then
    echo "fix each, or suppress with NOLINT(check): reason on the line itself, or disable the check in .clang-tidy with a reason (README \"Static checks\")"
    exit 1
fi
