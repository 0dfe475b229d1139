#!/usr/bin/env bash
# A software GPU for the WebGPU tests on a machine without one: Mesa's lavapipe (Vulkan on the CPU) from
# bookworm-backports (bookworm's own Mesa 22.3 is too old for Dawn), plus EGL/GLES for the OpenGL ES fallback.
# Idempotent and quiet: does nothing when a recent lavapipe is already installed. Needs root, Debian bookworm.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes

lavapipe_ok() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 23 && dpkg -s libgles2 >/dev/null 2>&1 && dpkg -s libegl-mesa0 >/dev/null 2>&1
}
lavapipe_ok && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-gpu.sh: run as root to install mesa-vulkan-drivers from bookworm-backports" >&2
  exit 1
fi

# bookworm-backports: the main archive's entry with its suite replaced (no new host).
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  src=/etc/apt/sources.list.d/debian.sources
  if [ -f "$src" ]; then
    awk 'BEGIN { RS = ""; ORS = "\n" } NR == 1 { print; exit }' "$src" | sed -E 's/^Suites:.*/Suites: bookworm-backports/' \
      > /etc/apt/sources.list.d/bookworm-backports.sources
  else
    echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/bookworm-backports.list
  fi
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers >/dev/null
apt-get install -y -qq --no-install-recommends libvulkan1 libegl1 libegl-mesa0 libgles2 >/dev/null
lavapipe_ok || { echo "install-gpu.sh: lavapipe is still missing after the install" >&2; exit 1; }
