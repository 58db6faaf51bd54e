#!/usr/bin/env bash
# Installs the newer container stacks the version matrix tests run Tardis on, each into a
# private prefix under /opt/tardis/stacks (nothing system-wide; Debian 12's own
# containerd 1.6, runc 1.1 and CRIU stay the default):
#
#   trixie   containerd 1.7 (Debian 13), with the system's runc 1.1
#   sid      containerd 2.1, runc 1.3, CRIU 4.2 (Debian unstable)
#
# Each prefix has a bin/ to put first in PATH (containerd finds its shim there, runc its
# criu): containerd, ctr, containerd-shim-runc-v2, and for sid runc and criu. Binaries
# needing a newer glibc than Debian 12's use the prefix's own loader and libraries: runc
# is patched to (it re-executes itself as `runc init`, so a loader wrapper would not do),
# CRIU runs through a wrapper. Idempotent; run as root. Versions are printed at the end.
set -euo pipefail

STACKS=${TARDIS_STACKS:-/opt/tardis/stacks}
log() { echo "stacks: $*" >&2; }

# fetch SUITE DIR PACKAGE...: downloads PACKAGE's .debs from SUITE (no dependencies
# resolved: the lists below are what these binaries load) and extracts them into DIR.
fetch() {
  local suite=$1 dir=$2; shift 2
  local work
  work=$(mktemp -d)
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
    >"$work/sources.list"
  local apt=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
             -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
  apt-get "${apt[@]}" update -qq
  (cd "$work/debs" && apt-get "${apt[@]}" download -qq "$@" >/dev/null)
  local deb
  for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$dir"; done
  rm -rf "$work"
}

# ready DIR: DIR was installed completely by an earlier run.
ready() { [[ -f $1/.complete ]]; }

# install_stack NAME: builds NAME.new beside it and moves it into place when complete,
# so that a half-installed stack is never used.
install_stack() {
  local name=$1 dir=$STACKS/$1
  ready "$dir" && return 0
  log "installing the $name stack into $dir"
  rm -rf "$dir.new"
  mkdir -p "$dir.new/bin"
  "stack_$name" "$dir.new" "$dir"
  touch "$dir.new/.complete"
  rm -rf "$dir"
  mv "$dir.new" "$dir"
}

# stack_trixie NEW FINAL: containerd 1.7 (its binaries need only libc).
stack_trixie() {
  local new=$1
  fetch trixie "$new/root" containerd
  local b
  for b in containerd ctr containerd-shim-runc-v2; do ln -s "../root/usr/bin/$b" "$new/bin/$b"; done
}

# stack_sid NEW FINAL: containerd 2.1, runc 1.3 (patched to sid's loader), CRIU 4.2 (a
# wrapper through sid's loader, CRIU's hardware breakpoints off as setup.sh's shim does).
stack_sid() {
  local new=$1 final=$2
  fetch sid "$new/root" containerd runc criu libc6 libseccomp2 libcompel1 libgnutls30t64 \
    libnftables1 libnettle8t64 libhogweed6t64 libunistring5 libp11-kit0 libidn2-0 libtasn1-6 \
    libffi8 libgmp10 libmnl0 libnftnl11 libxtables12 libjansson4 libedit2 libbsd0 libmd0 \
    libnet9 libnl-3-200 libprotobuf-c1 libuuid1 libtinfo6
  local lib=$final/root/usr/lib/x86_64-linux-gnu b
  for b in containerd ctr containerd-shim-runc-v2; do ln -s "../root/usr/bin/$b" "$new/bin/$b"; done
  cp "$new/root/usr/sbin/runc" "$new/bin/runc"
  patchelf --set-interpreter "$lib/ld-linux-x86-64.so.2" --set-rpath "$lib" "$new/bin/runc"
  cat >"$new/bin/criu" <<EOF
#!/bin/sh
# Installed by Tardis's scripts/stacks.sh: CRIU from Debian sid with its own loader.
CRIU_FAULT=\${CRIU_FAULT-130}; export CRIU_FAULT
exec $lib/ld-linux-x86-64.so.2 --library-path $lib $final/root/usr/sbin/criu "\$@"
EOF
  chmod 0755 "$new/bin/criu"
}

command -v patchelf >/dev/null || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends patchelf >/dev/null
}
names=("$@")
((${#names[@]})) || names=(trixie sid)
mkdir -p "$STACKS"
for n in "${names[@]}"; do
  install_stack "$n"
  log "$n: $(PATH=$STACKS/$n/bin:$PATH; echo "containerd $(containerd --version | awk '{print $3}')," \
    "runc $(runc --version | awk 'NR==1{print $3}'), criu $(criu --version | awk 'NR==1{print $2}')")"
done
