#!/usr/bin/env bash
# Installs what the benchmarks need on top of the build and test packages:
# the peers wiretag is compared with (Debian's fastText and liblinear
# tools; Vowpal Wabbit and scikit-learn from PyPI, in bench/.venv) and
# gnuplot for the plot. Safe to run again.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/../tests/install-deps.sh"

packages=(fasttext liblinear-tools gnuplot-nox python3-venv python3-pip time)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "wiretag bench: installing ${missing[*]}" >&2
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

venv="$here/.venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import vowpalwabbit, sklearn' 2>/dev/null; then
  echo "wiretag bench: creating $venv (vowpalwabbit, scikit-learn)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q vowpalwabbit scikit-learn numpy scipy
fi
