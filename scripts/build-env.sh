# Sourced by ./mxdane, ./run-tests, tests/fuzz/run.sh and scripts/build-deb.sh:
#   . scripts/build-env.sh TREE
# Sets two arrays of CMake settings:
#   MXDANE_TOOL_CMAKE   how ./mxdane and ./run-tests build the tool (-O2, no
#                       -g): the same compile commands, so that the one's
#                       objects serve the other through ccache
#   MXDANE_CCACHE_CMAKE ccache in front of the compiler, or empty without it
# When Debian's ccache is installed, it also exports what lets a compile of
# TREE hit the objects of the same sources compiled in another folder (a
# fresh clone, build/tool beside build/test, the package's build/deb/src):
#   CCACHE_BASEDIR=TREE   absolute paths under TREE are hashed as relative ones
#   CCACHE_NOHASHDIR=true the working directory is not hashed, even with -g
#   CCACHE_DIR            /var/cache/mxdane-ccache (made by scripts/deps.sh)
#                         when it is writable and CCACHE_DIR is not set
# Changes nothing else.
MXDANE_CCACHE_CMAKE=()
if command -v ccache >/dev/null 2>&1; then
    export CCACHE_BASEDIR="$1"
    export CCACHE_NOHASHDIR=true
    if [[ -z ${CCACHE_DIR:-} && -d /var/cache/mxdane-ccache && -w /var/cache/mxdane-ccache ]]; then
        export CCACHE_DIR=/var/cache/mxdane-ccache
    fi
    MXDANE_CCACHE_CMAKE=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# shellcheck disable=SC2034 # used by the scripts that source this file
MXDANE_TOOL_CMAKE=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" "${MXDANE_CCACHE_CMAKE[@]}")
