#!/usr/bin/env bash
# Installs the Debian packages gmpsim needs, only those missing. As root it runs apt-get; otherwise it
# prints the exact command to run and fails. With --fuzz, also what `make fuzz` needs (clang and its
# libFuzzer/sanitizer runtimes: large, and needed by nothing else, so `make test` does not ask for them).
set -euo pipefail
packages=(cmake ninja-build g++ make git libyaml-cpp-dev libeigen3-dev libboost-program-options-dev catch2 nlohmann-json3-dev
          libboost-fiber-dev libboost-context-dev  # Boost.Fiber/Context: the calibration harness
          libprotobuf-dev protobuf-compiler        # Perfetto traces (models/output/perfetto.*)
          chromium)  # headless, the HTML report's test (python/tests/test_report.py)
if [[ "${1:-}" == "--fuzz" ]]; then packages+=(clang-14 libclang-rt-14-dev); fi
missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
# A Python with venv support is needed for the benchmark's SimPy comparison and the Python package.
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then missing+=(python3-venv); fi
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "gmpsim needs these Debian packages: ${missing[*]}" >&2
  echo "install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}"
