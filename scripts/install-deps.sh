#!/usr/bin/env bash
# Install every Debian 12 package libappc needs to build, test and demo.
# Idempotent: packages already present are not touched. Needs root (or sudo).
set -euo pipefail
PKGS=(
  # toolchain
  meson ninja-build g++ pkg-config clang libclang-rt-14-dev
  # libraries (ARCHITECTURE.md, "Layers")
  rapidjson-dev libarchive-dev libsodium-dev libgpgme-dev libcurl4-openssl-dev libssl-dev
  libsqlite3-dev libseccomp-dev
  # tests and bindings
  doctest-dev pybind11-dev python3-dev python3-pytest
  # archives and tools the tests drive
  busybox-static xz-utils zstd gzip bzip2 tar
  # the executor: networking, and the peers and workloads of its tests and benchmarks
  # (redis-server is not installed: its .deb is downloaded and unpacked into a test image)
  iptables iproute2 containernetworking-plugins crun redis-tools debootstrap util-linux
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
fi
