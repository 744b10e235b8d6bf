#!/usr/bin/env bash
# Installs everything corral's build and tests need on Debian 12 (bookworm).
# Idempotent and non-interactive: safe to run again on a machine that has it all.
set -euo pipefail

APT_PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  clang libclang-rt-14-dev clang-format clang-tidy
  # libraries (see DESIGN.md "Dependencies")
  nlohmann-json3-dev libcpp-httplib-dev libcli11-dev libfmt-dev libssl-dev
  libcurl4-openssl-dev libpcre2-dev libedit-dev
  # the Vulkan backend: loader and headers, GLSL -> SPIR-V at build time, and lavapipe (Vulkan on
  # the CPU) so its tests run on any machine; vulkaninfo for doctor-style checks by hand
  libvulkan-dev glslc mesa-vulkan-drivers vulkan-tools
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # the registry the pull/push e2e test runs on loopback (its own config, never the system service)
  docker-registry
)
# Node.js and npm run the npm test tools (official API clients, reference Jinja renderer).
# Some images ship their own Node.js (with npm inside) that conflicts with Debian's npm package.
if ! command -v node >/dev/null 2>&1; then APT_PACKAGES+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then APT_PACKAGES+=(npm); fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi
# The docker-registry package enables a service on port 5000; the tests start their own instance.
if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled docker-registry >/dev/null 2>&1; then
  $SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

# npm test tools live in tests/npm (package.json pins versions); installed only when present.
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -f "$repo_root/tests/npm/package.json" ]; then
  if [ ! -d "$repo_root/tests/npm/node_modules" ] || [ "$repo_root/tests/npm/package.json" -nt "$repo_root/tests/npm/node_modules" ]; then
    echo "setup: installing npm test tools"
    (cd "$repo_root/tests/npm" && npm install --no-audit --no-fund --loglevel=error && touch node_modules)
  fi
fi
