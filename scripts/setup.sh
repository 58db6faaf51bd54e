#!/usr/bin/env bash
# Installs everything Tardis's build, tests and demo need on Debian 12, as root.
# Idempotent: a second run checks, finds everything present, and returns in seconds.
set -euo pipefail

log() { printf 'setup: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { log "run as root"; exit 1; }

PACKAGES=(
  # build: Debian's offline Bazel and the C++ toolchain
  bazel-bootstrap bazel-bootstrap-source build-essential clang libclang-rt-14-dev
  # libraries the core links (static archives where Debian ships them)
  libabsl-dev libre2-dev nlohmann-json3-dev libtomlplusplus-dev libgtest-dev libgmock-dev
  libarchive-dev libxxhash-dev libacl1-dev zlib1g-dev libcurl4-openssl-dev libssl-dev
  # runtime stack and what the tests build images with
  containerd runc iptables umoci busybox-static criu attr jq curl strace
  ca-certificates
  # the orchestrators the e2e tests drive: Docker (20.10) and, through a small CRI
  # client (e2e/cri/cri.py), containerd's CRI plugin as the kubelet does
  docker.io python3-grpcio python3-protobuf python3-grpc-tools
  # scripts/stacks.sh patches a newer runc to its own loader
  patchelf
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# containerd's Debian unit would start a system daemon; the tests run private ones, and
# a system instance is left exactly as the administrator configured it.

# CRIU: the system one when `criu check` passes, otherwise CRIU 4.x from Debian 13 in a
# private prefix with its own loader and libraries (never touching the system libc).
CRIU_PREFIX=/opt/tardis/criu
CRIU_SHIM=/usr/local/sbin/criu
criu_ok() { "$1" check >/dev/null 2>&1; }

# The shim in PATH that runs the private CRIU. CRIU_FAULT=130 switches off CRIU's
# hardware breakpoints, which virtual machines miss now and then, leaving CRIU waiting
# forever (see tardis/runtime/criu_environment.h); a caller's own CRIU_FAULT wins.
write_criu_shim() {
  local lib="$CRIU_PREFIX/usr/lib/x86_64-linux-gnu" text
  text="#!/bin/sh
# Installed by Tardis's setup: CRIU 4.x from Debian 13 with its own loader and libraries.
# No hardware breakpoints unless the caller says otherwise (criu#107, #162).
CRIU_FAULT=\${CRIU_FAULT-130}; export CRIU_FAULT
exec $lib/ld-linux-x86-64.so.2 --library-path $lib $CRIU_PREFIX/usr/sbin/criu \"\$@\""
  [ "$(cat "$CRIU_SHIM" 2>/dev/null)" = "$text" ] && return 0
  mkdir -p "$(dirname "$CRIU_SHIM")"
  printf '%s\n' "$text" >"$CRIU_SHIM.new"
  chmod 0755 "$CRIU_SHIM.new"
  mv "$CRIU_SHIM.new" "$CRIU_SHIM"
}

# A private CRIU installed by an earlier run keeps its shim current.
[ -x "$CRIU_SHIM" ] && [ -x "$CRIU_PREFIX/usr/sbin/criu" ] && write_criu_shim

if criu_ok "$(command -v criu)"; then
  :
elif criu_ok /usr/sbin/criu; then
  rm -f "$CRIU_SHIM"
else
  log "system criu fails 'criu check'; installing CRIU from Debian 13 into $CRIU_PREFIX"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
    >"$work/sources.list"
  apt_private=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
               -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
               -o APT::Sandbox::User=root)
  apt-get "${apt_private[@]}" update -qq
  (cd "$work/debs" && apt-get "${apt_private[@]}" download -qq \
    criu libcompel1 libc6 libgnutls30t64 libnftables1 libnettle8t64 libhogweed6t64 \
    libunistring5 libp11-kit0 libidn2-0 libtasn1-6 libffi8 libgmp10 libmnl0 libnftnl11 \
    libxtables12 libjansson4 libedit2 libbsd0 libmd0 libnet1 libnl-3-200 libprotobuf-c1 \
    libuuid1 libtinfo6 >/dev/null)
  rm -rf "$CRIU_PREFIX.new"
  mkdir -p "$CRIU_PREFIX.new"
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$CRIU_PREFIX.new"; done
  rm -rf "$CRIU_PREFIX"
  mv "$CRIU_PREFIX.new" "$CRIU_PREFIX"
  write_criu_shim
  criu_ok "$CRIU_SHIM" || { log "CRIU from Debian 13 also fails 'criu check'"; "$CRIU_SHIM" check || true; exit 1; }
fi
log "ready: containerd $(containerd --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1{print $3}'), criu $(criu --version | awk 'NR==1{print $2}')"

# The newer containerd, runc and CRIU the version matrix tests run on, in private
# prefixes (scripts/stacks.sh).
"$(dirname "$0")/stacks.sh"
