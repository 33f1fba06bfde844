#!/usr/bin/env bash
# Fetches QEMU's source trees, as Debian packages them, into a cache outside git, for the tests
# that read QEMU's own files (its whole QAPI schema, its parser test corpus, its migration test).
# QEMU's files are never committed to this repository; a user's clone gets them only this way.
#
#   scripts/fetch-qemu-sources.sh [VERSION...]    # default: every version below
#
# The cache is $JOBSHIM_QEMU_SOURCES (default ${XDG_CACHE_HOME:-~/.cache}/jobshim/qemu-sources);
# VERSION's tree lands in CACHE/VERSION (qapi/, tests/qapi-schema/, tests/qtest/, ...).
# DEBIAN_MIRROR overrides the archive (default: the first Debian archive apt's sources name).
set -euo pipefail

declare -A TARBALL=(
  [7.2]="qemu_7.2+dfsg.orig.tar.xz"
  [10.0]="qemu_10.0.2+ds.orig.tar.xz"
)
# Pinned so a changed or truncated download is an error, never a silently different corpus.
declare -A SHA256=(
  [7.2]="91aca71520040edc40b8d437aa3004dae614f58e286cf653ee8996c07af2962f"
  [10.0]="0901da33844a331bf8b3602b9c1fbd178e60b737c8e3ade678255bd090c9b9f1"
)

cache="${JOBSHIM_QEMU_SOURCES:-${XDG_CACHE_HOME:-$HOME/.cache}/jobshim/qemu-sources}"

debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | head -1 | awk '{print $2}') || true
  echo "${uri:-http://deb.debian.org/debian}"
}

fetch_one() {
  local version=$1 tarball=${TARBALL[$1]:-} want=${SHA256[$1]:-}
  if [ -z "$tarball" ]; then echo "fetch-qemu-sources: unknown version '$version' (known: ${!TARBALL[*]})" >&2; exit 2; fi
  local dest="$cache/$version" stamp="$cache/$version/.jobshim-source"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then echo "QEMU $version sources: $dest (cached)"; return; fi
  mkdir -p "$cache"
  local tmp; tmp=$(mktemp -d "$cache/.fetch-XXXXXX")
  trap 'rm -rf "$tmp"' RETURN
  local url; url="$(debian_mirror)/pool/main/q/qemu/$tarball"
  echo "QEMU $version sources: fetching $url"
  curl -fsSL --retry 3 -o "$tmp/$tarball" "$url"
  local got; got=$(sha256sum "$tmp/$tarball" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then echo "fetch-qemu-sources: $tarball has sha256 $got, expected $want" >&2; exit 1; fi
  mkdir "$tmp/tree"
  tar -xJf "$tmp/$tarball" -C "$tmp/tree" --strip-components=1
  echo "$want" > "$tmp/tree/.jobshim-source"
  rm -rf "$dest"
  mv "$tmp/tree" "$dest"
  echo "QEMU $version sources: $dest"
}

if [ $# -eq 0 ]; then set -- "${!TARBALL[@]}"; fi
for v in "$@"; do fetch_one "$v"; done
