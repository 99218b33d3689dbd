#!/usr/bin/env bash
# Installs the Debian packages the test suite uses, each only when it is missing, on a Debian 12 machine:
#   chromium              the browser tests (driven by playwright-core; no browser is ever downloaded)
#   mesa-vulkan-drivers   from <codename>-backports: lavapipe for Dawn (npm `webgpu`) in Node; Dawn refuses
#                         bookworm's own Mesa 22.3 (see the README's Tests section)
#   python3-h5py python3-numpy  fixture and reference scripts of the tests
#   python3-torch libopenblas0-pthread      train_ddp.py of an exported run (the scale-out equivalence tests)
# The backports source is derived from the Debian archive this machine is already configured with, so no
# host name is written here. Idempotent: a second run installs nothing.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "system-packages: not root and no sudo: install these yourself: chromium, mesa-vulkan-drivers (backports)" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive

. /etc/os-release
codename="${VERSION_CODENAME:?system-packages: /etc/os-release names no VERSION_CODENAME (is this Debian?)}"
backports="${codename}-backports"

apt_updated=""
apt_update() {
  if [ -z "$apt_updated" ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
}
missing=()
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' || missing+=("$1"); }

# The archive URI the machine already uses for the release itself (deb822 .sources or one-line .list).
debian_archive_uri() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$codename" '
      function flush() { if (uri != "" && suites ~ ("(^| )" suite "( |$)") && types ~ /(^| )deb( |$)/) { print uri; found = 1; exit } }
      /^[[:space:]]*$/ { flush(); uri = ""; suites = ""; types = ""; next }
      /^URIs:/ { uri = $2 }
      /^Suites:/ { $1 = ""; suites = $0 }
      /^Types:/ { $1 = ""; types = $0 }
      END { if (!found) flush() }' "$f"
  done | head -n 1
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v suite="$codename" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }' "$f"
  done | head -n 1
}

has_backports() {
  grep -rqsE "(^|[[:space:]])${backports}([[:space:]]|$)" /etc/apt/sources.list /etc/apt/sources.list.d/
}

need chromium
need python3-h5py
need python3-numpy
need python3-torch
need libopenblas0-pthread
if [ ${#missing[@]} -gt 0 ]; then
  echo "system-packages: installing ${missing[*]}"
  apt_update
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mesa_version="$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)"
if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 \
  || ! dpkg --compare-versions "${mesa_version:-0}" ge 24; then
  if ! has_backports; then
    uri="$(debian_archive_uri | head -n 1)"
    if [ -z "$uri" ]; then
      echo "system-packages: found no apt source for '$codename' in /etc/apt to derive $backports from; add $backports yourself" >&2
      exit 1
    fi
    echo "system-packages: adding $backports from the configured archive"
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$uri" "$backports" | $SUDO tee "/etc/apt/sources.list.d/${backports}.sources" >/dev/null
    apt_updated=""
  fi
  echo "system-packages: installing mesa-vulkan-drivers from $backports"
  apt_update
  $SUDO apt-get install -y -qq --no-install-recommends -t "$backports" mesa-vulkan-drivers >/dev/null
fi
echo "system-packages: chromium $(dpkg-query -W -f='${Version}' chromium), mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
