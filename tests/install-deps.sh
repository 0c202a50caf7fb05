#!/usr/bin/env bash
# Installs what wiretag needs to build and test, from Debian's packages,
# plus any packages named as arguments (tests/tsan/run.sh and
# tests/fuzz/run.sh add clang and its sanitizer runtimes). Safe to run
# again: apt-get only adds what is missing.
#
#   bash tests/install-deps.sh [PACKAGE...]
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libjansson-dev liblinear-dev libxxhash-dev libutf8proc-dev libssl-dev
  libcmocka-dev librdkafka-dev libmicrohttpd-dev zlib1g-dev kcat python3
  # install_test: the man pages render
  man-db groff-base
  # deb_test: cpack's Depends (dpkg-shlibdeps), systemd-analyze verify
  dpkg-dev systemd
  # python_test: the Python API (pipeline/python)
  python3-pytest
  # prometheus_rules: promtool checks config/prometheus/wiretag-alerts.yml
  prometheus
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "wiretag: installing ${missing[*]}" >&2
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
