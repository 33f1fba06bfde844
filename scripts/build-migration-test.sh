#!/usr/bin/env bash
# Builds QEMU 7.2's own migration test (tests/qtest/migration-test) from Debian's source tree, in a
# cache outside git, and prints the binary's path on stdout (everything else goes to stderr).
# A second run with the same sources and the same recipe prints the cached path at once.
#
#   scripts/build-migration-test.sh            # build (or reuse) and print the path
#
# The source tree comes from scripts/fetch-qemu-sources.sh 7.2 and is never modified: the build
# copies it into the cache (the dfsg tarball lacks the edk2 blobs, so the copy's
# pc-bios/meson.build is told not to unpack them). QEMU's code is never committed here.
# The cache is $JOBSHIM_MIGRATION_TEST_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/jobshim/migration-test-7.2).
# Build packages are installed with apt when missing and this runs as root; otherwise a missing
# one is an error naming it.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "build-migration-test: $*" >&2; }

# Debian's meson (the tarball bundles none); gnutls/tasn1 and zstd enable the TLS and zstd cases.
packages=(gcc make pkg-config python3 libglib2.0-dev libpixman-1-dev flex bison meson ninja-build
  libfdt-dev libgnutls28-dev libtasn1-6-dev libzstd-dev)
configure_flags=(--target-list=x86_64-softmmu --disable-docs --disable-werror --without-default-features
  --without-default-devices --disable-tools --disable-user --disable-install-blobs --enable-gnutls --enable-zstd)

cache="${JOBSHIM_MIGRATION_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jobshim/migration-test-7.2}"
binary="$cache/build/tests/qtest/migration-test"
stamp="$cache/.jobshim-build"

# The sources (cached after the first fetch; pinned sha256 in the fetch script).
scripts/fetch-qemu-sources.sh 7.2 >&2
sources="${JOBSHIM_QEMU_SOURCES:-${XDG_CACHE_HOME:-$HOME/.cache}/jobshim/qemu-sources}/7.2"

# What the result depends on: the sources' checksum, this recipe, and the packages' versions.
key=$( {
  cat "$sources/.jobshim-source"
  printf '%s\n' "${configure_flags[@]}"
  dpkg-query -W -f='${Package} ${Version}\n' "${packages[@]}" 2>/dev/null || true
} | sha256sum | cut -d' ' -f1)

if [ -x "$binary" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
  log "cached"
  echo "$binary"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing build packages (run as root, or install them): ${missing[*]}"
    exit 1
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >&2 || {
    apt-get -o DPkg::Lock::Timeout=600 update -q >&2
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >&2
  }
  # The packages changed, so does the key.
  key=$( {
    cat "$sources/.jobshim-source"
    printf '%s\n' "${configure_flags[@]}"
    dpkg-query -W -f='${Package} ${Version}\n' "${packages[@]}" 2>/dev/null || true
  } | sha256sum | cut -d' ' -f1)
fi

# A fresh copy of the sources and a fresh build directory whenever the key changed.
rm -rf "$cache/src" "$cache/build" "$stamp"
mkdir -p "$cache"
log "copying $sources to $cache/src"
cp -a "$sources" "$cache/src"
sed -i '1i unpack_edk2_blobs = false' "$cache/src/pc-bios/meson.build"

mkdir "$cache/build"
log "configuring (about 25 s)"
(cd "$cache/build" && ../src/configure "${configure_flags[@]}") >"$cache/configure.log" 2>&1 || {
  tail -40 "$cache/configure.log" >&2
  log "configure failed; whole log: $cache/configure.log"
  exit 1
}
log "building tests/qtest/migration-test (a few minutes on 2 cores)"
(cd "$cache/build" && ninja tests/qtest/migration-test) >"$cache/build.log" 2>&1 || {
  tail -40 "$cache/build.log" >&2
  log "build failed; whole log: $cache/build.log"
  exit 1
}
[ -x "$binary" ] || { log "ninja succeeded but $binary is missing"; exit 1; }
echo "$key" >"$stamp"
log "built"
echo "$binary"
