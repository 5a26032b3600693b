#!/usr/bin/env bash
# Runs every test of dars on a fresh Debian machine: installs what the tests need
# (PDF text extraction, fonts, headless Chromium) from Debian's packages, then cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(poppler-utils fonts-noto-core chromium chromium-driver)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Heavy crates (typst) take minutes to compile: keep the build cache outside the clone
# so the next run reuses it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/dars-target}"
# The benchmarks are not run here, but they must keep compiling.
cargo build --release --locked --benches
cargo test --release --locked "$@"
