#!/usr/bin/env bash
# Installs what infercost needs on a Debian machine (as root, or with sudo).
# Safe to run again: apt-get skips what is already there.
set -euo pipefail
pkgs="build-essential cmake pkg-config libgsl-dev libcsv-dev libcmocka-dev libopenblas-dev libcjson-dev zlib1g-dev gnuplot-nox openmpi-bin libopenmpi-dev python3 clang python3-pytest python3-pandas python3-setuptools python3-pip jq"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
