#!/usr/bin/env bash
# Installs Debian's QEMU 10.0.2 beside the distribution's QEMU 7.2, so the project can be checked
# against both. Nothing is installed through dpkg: the pinned .debs from bookworm-backports are
# unpacked into a prefix outside git, and 7.2 under /usr stays the system's QEMU.
#
#   scripts/install-qemu-10.0.sh           # prefix: $JOBSHIM_QEMU_PREFIX, default /opt/jobshim/qemu-10.0
#
# Afterwards PREFIX/bin/qemu-system-x86_64 runs 10.0 with its own firmware and ROM directories
# (-L ...), so anything that takes a QEMU path (`jobshim conformance --qemu`, $QEMU_10_0) can use it.
# Idempotent: a prefix that already holds exactly these versions is left as it is.
set -euo pipefail

prefix="${JOBSHIM_QEMU_PREFIX:-/opt/jobshim/qemu-10.0}"
suite=bookworm-backports
qemu_version="1:10.0.2+ds-2+deb13u1~bpo12+1"
seabios_version="1.16.3-2~bpo12+1"
# Pinned: the packages that carry the x86 system emulator, its shared data and ROMs, qemu-img,
# and the BIOS 10.0 expects (bookworm's own seabios is older than what 10.0's machine types load).
packages=(
  "qemu-system-x86=$qemu_version"
  "qemu-system-common=$qemu_version"
  "qemu-system-data=$qemu_version"
  "qemu-utils=$qemu_version"
  "seabios=$seabios_version"
)
stamp_text="${packages[*]}"
stamp="$prefix/.jobshim-qemu"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$stamp_text" ] && "$prefix/bin/qemu-system-x86_64" --version >/dev/null 2>&1; then
  echo "QEMU 10.0: $prefix (already installed)"
  "$prefix/bin/qemu-system-x86_64" --version | head -1
  exit 0
fi

# The Debian archive apt already uses (deb822 sources or the one-line format), so a machine
# behind a mirror keeps using its mirror.
debian_archive() {
  local uri
  uri=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' \
    /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | head -1 | awk '{print $2}') || true
  echo "${uri:-http://deb.debian.org/debian}"
}

# True when some enabled apt source already names the backports suite.
has_backports() {
  grep -hqE "^(Suites:.*[[:space:]]$suite([[:space:]]|$)|deb .*[[:space:]]$suite[[:space:]])" \
    /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null
}

export DEBIAN_FRONTEND=noninteractive
if ! has_backports; then
  archive=$(debian_archive)
  echo "QEMU 10.0: adding $suite from $archive to apt's sources (default priority: nothing is upgraded from it)"
  as_root tee /etc/apt/sources.list.d/jobshim-backports.sources >/dev/null <<EOF
Types: deb
URIs: $archive
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  as_root apt-get update -q
elif ! apt-cache show "qemu-system-x86=$qemu_version" >/dev/null 2>&1; then
  as_root apt-get update -q
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt downloads as the unprivileged _apt user when it can; let it write here.
if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$work"; fi
(cd "$work" && apt-get download -q "${packages[@]}")

# Unpack into a fresh directory beside the prefix, then swap it in, so an interrupted run never
# leaves a half-filled prefix that looks installed.
parent=$(dirname "$prefix")
as_root mkdir -p "$parent"
staging=$(as_root mktemp -d "$parent/.qemu-10.0-XXXXXX")
for deb in "$work"/*.deb; do as_root dpkg-deb -x "$deb" "$staging"; done

as_root mkdir -p "$staging/bin"
# The wrapper finds its prefix from its own path, so the prefix can be moved as a whole.
as_root tee "$staging/bin/qemu-system-x86_64" >/dev/null <<'EOF'
#!/bin/sh
# QEMU 10.0.2 unpacked from Debian's packages: its ROMs and firmware live in this prefix, not /usr/share.
prefix=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
exec "$prefix/usr/bin/qemu-system-x86_64" -L "$prefix/usr/share/qemu" -L "$prefix/usr/share/seabios" "$@"
EOF
as_root tee "$staging/bin/qemu-img" >/dev/null <<'EOF'
#!/bin/sh
prefix=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
exec "$prefix/usr/bin/qemu-img" "$@"
EOF
as_root chmod 755 "$staging/bin/qemu-system-x86_64" "$staging/bin/qemu-img" "$staging"
echo "$stamp_text" | as_root tee "$staging/.jobshim-qemu" >/dev/null

# Check before swapping in: a library Debian 12 lacks would show up here, not in a test.
version=$("$staging/bin/qemu-system-x86_64" --version | head -1)
case "$version" in
  *"version 10.0.2"*) ;;
  *) echo "install-qemu-10.0: unexpected version from the unpacked binary: $version" >&2; as_root rm -rf "$staging"; exit 1 ;;
esac
# A pc machine must start with 10.0's own ROMs and answer QMP (a BIOS or ROM it cannot find fails here).
smoke=$(printf '%s\n' '{"execute":"qmp_capabilities"}' '{"execute":"query-version"}' '{"execute":"quit"}' \
  | timeout 60 "$staging/bin/qemu-system-x86_64" -nodefaults -display none -machine pc,accel=tcg -m 128 \
      -qmp stdio 2>"$work/smoke.err") || true
if ! grep -qE '"return": \{"qemu": \{[^}]*"minor": 0, "major": 10' <<<"$smoke"; then
  echo "install-qemu-10.0: QEMU 10.0 did not start a pc machine and answer query-version:" >&2
  cat "$work/smoke.err" >&2
  as_root rm -rf "$staging"
  exit 1
fi

as_root rm -rf "$prefix"
as_root mv "$staging" "$prefix"
echo "QEMU 10.0: $prefix/bin/qemu-system-x86_64 ($version)"
