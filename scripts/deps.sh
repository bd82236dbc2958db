#!/usr/bin/env bash
# Installs the Debian 12 packages mxdane needs, and only those missing.
#   scripts/deps.sh build   what building the tool needs
#   scripts/deps.sh test    that, plus the independent oracles and servers the tests use
set -euo pipefail

build_pkgs=(g++ cmake make pkg-config libssl-dev libunbound-dev libldns-dev libidn2-dev
            libcli11-dev nlohmann-json3-dev dns-root-data scdoc ccache)
test_pkgs=(libgtest-dev libbenchmark-dev openssl gnutls-bin ldnsutils hash-slinger
           clang libclang-rt-14-dev clang-tidy-14 python3 dns-root-data time
           bash-completion zsh man-db systemd util-linux debhelper dpkg-dev lintian)

want=("${build_pkgs[@]}")
if [[ "${1:-build}" == test ]]; then
    want+=("${test_pkgs[@]}")
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    if [[ -f "$here/tests/lab/packages.txt" ]]; then
        while read -r p; do
            [[ -n "$p" && "$p" != \#* ]] && want+=("$p")
        done < "$here/tests/lab/packages.txt"
    fi
fi

# The compiler cache shared by every build of every clone on this machine
# (scripts/build-env.sh): outside any clone, so that a fresh one hits it.
make_cache_dir() {
    local dir=/var/cache/mxdane-ccache
    [[ $(id -u) -eq 0 && ! -d $dir ]] || return 0
    mkdir -p -m 0755 "$dir"
    # 4 configurations of the tree (normal, ASan, package, fuzz) take about
    # 1.5 GB; the limit leaves room for several trees.
    printf 'max_size = 6G\n' >"$dir/ccache.conf"
}

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
    make_cache_dir
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "error: missing Debian packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
    exit 2
fi
echo "Installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The tests start NSD, Postfix and unbound themselves on loopback ports; the
# packages must not start system daemons (an unbound on port 53 would talk to
# the real root servers). policy-rc.d exit 101 forbids it during the install.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# Postfix must not configure a system mailer when the lab pulls it in.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
if ! apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}" >&2; then
    apt-get update -q >&2
    apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}" >&2
fi
make_cache_dir
