#!/usr/bin/env bash
# Installs the Debian 12 packages typeflow needs to build, test and run its examples (slurm-wlm
# and munge: the Slurm tests' one-node cluster, tests/slurm/cluster.sh; chromium,
# chromium-driver, python3-selenium and fonts-liberation (a text font, which --no-install-recommends
# would leave out): the browser tests in headless Chromium, tests/browser/).
# Idempotent: installs only what is missing, and runs apt-get update only then.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev
  libboost-dev libboost-graph-dev librange-v3-dev catch2
  libtbb-dev libbenchmark-dev libsqlite3-dev nlohmann-json3-dev libxxhash-dev zlib1g-dev
  libcli11-dev libfmt-dev libcpp-httplib-dev pkg-config
  doxygen clang-format-14
  slurm-wlm munge
  chromium chromium-driver python3-selenium fonts-liberation
  dataset-fashion-mnist
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

if ((EUID == 0)); then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
