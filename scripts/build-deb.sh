#!/usr/bin/env bash
# Builds the Debian package from a clean copy of this tree and leaves
# mxdane_<version>_<arch>.deb in the current directory (Debian 12; installs
# the build dependencies it is missing when run as root):
#   scripts/build-deb.sh && apt install ./mxdane_*.deb
# Uses ccache when it is installed (scripts/build-env.sh).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=$(pwd)

need=()
for p in dpkg-dev debhelper; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [[ ${#need[@]} -gt 0 ]] || ! (cd "$here" && dpkg-checkbuilddeps >/dev/null 2>&1); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "error: build dependencies are missing; run as root, or: apt-get build-dep $here" >&2
        exit 2
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends dpkg-dev debhelper >&2 || {
        apt-get update -q >&2
        apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends dpkg-dev debhelper >&2
    }
    apt-get -o DPkg::Lock::Timeout=900 build-dep -y -q --no-install-recommends "$here" >&2
fi

# In the checkout (build/ is ignored by git); ccache's base directory makes
# the objects independent of where the checkout is.
work="$here/build/deb"
rm -rf "$work"
mkdir -p "$work/src"
trap 'rm -rf "$work"' EXIT
# A clean copy: the files git knows (tracked and new, not ignored), or
# everything but build trees when this is no git checkout.
if git -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$here" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
        tar -C "$here" --null -T - -cf - | tar -C "$work/src" -xf -
else
    tar -C "$here" --exclude=./build --exclude=./build-deb --exclude='./obj-*' --exclude=./debian/mxdane --exclude='./*.deb' -cf - . |
        tar -C "$work/src" -xf -
fi

# With ccache (scripts/build-env.sh), a build of the same sources in another
# clone, or a previous package build, serves the objects.
. "$here/scripts/build-env.sh" "$work/src"
extra="${MXDANE_CCACHE_CMAKE[*]}"
echo "Building the package in $work/src (a full compile: minutes on 2 cores)..." >&2
(cd "$work/src" &&
    MXDANE_CMAKE_EXTRA="$extra" DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
        dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || {
    tail -n 40 "$work/build.log" >&2
    echo "error: dpkg-buildpackage failed (log above)" >&2
    exit 2
}
shopt -s nullglob
debs=("$work"/mxdane_*.deb)
[[ ${#debs[@]} -eq 1 ]] || { echo "error: expected one mxdane_*.deb, found ${#debs[@]}" >&2; exit 2; }
cp "${debs[0]}" "$dest/"
echo "$dest/$(basename "${debs[0]}")"
