#!/usr/bin/env bash
# install_test: `cmake --install` into a temporary prefix, then what a
# user of the installed tree sees:
#  - the files: bin/wiretag, libwiretag.so.N (SONAME, only the public API
#    exported), the public headers and no internal one, wiretag.pc, the
#    models, the example config, the man pages;
#  - a C program built through pkg-config only (no path of the source or
#    build tree), run against the installed library: it loads the
#    installed default model and classifies a sample; and a C++ program
#    including every public header;
#  - the man pages render (man -l, groff warnings are errors) and say what
#    --help and --print-config say.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR C_COMPILER [SANITIZE]
set -euo pipefail
build=$1 src=$2 cc=$3 sanitize=${4:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "install_test: FAIL: $*" >&2; exit 1; }
# shellcheck source=tests/install/embed_check.sh
. "$src/tests/install/embed_check.sh"

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" ||
  { cat "$tmp/install.log"; fail "cmake --install"; }

for f in bin/wiretag lib/pkgconfig/wiretag.pc include/wiretag/wt_model.h \
         include/wiretag/wt_api.h include/wiretag/wt_err.h \
         share/wiretag/conflict-v2.wtm share/wiretag/wiretag.properties \
         share/wiretag/grafana/wiretag.json \
         share/wiretag/prometheus/wiretag-alerts.yml \
         share/man/man1/wiretag.1 share/man/man5/wiretag.properties.5; do
  [ -e "$prefix/$f" ] || fail "$f not installed"
done
[ -x "$prefix/bin/wiretag" ] || fail "bin/wiretag not executable"
if [ -e "$src/models/conflict-v1.wtm" ]; then
  [ -e "$prefix/share/wiretag/conflict-v1.wtm" ] || fail "conflict-v1.wtm not installed"
fi
# Internal headers stay internal.
for h in "$src"/pipeline/lib/internal/*.h; do
  [ ! -e "$prefix/include/wiretag/$(basename "$h")" ] ||
    fail "internal header $(basename "$h") installed"
done
[ -z "$(find "$prefix" -name '*.a')" ] || fail "a static library was installed"

# The shared library: SONAME, and the public API only.
so=$(cd "$prefix/lib" && ls libwiretag.so.*.*.*)
soname=$(readelf -d "$prefix/lib/$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ -n "$soname" ] || fail "$so has no SONAME"
[ -L "$prefix/lib/$soname" ] || fail "$soname symlink missing"
nm -D --defined-only "$prefix/lib/$so" | awk '$2 == "T" {print $3}' |
  sed 's/@.*//' | sort -u >"$tmp/exported"
# The functions the public headers declare (as packaging/gen_exports.py
# reads them), and none that the internal headers declare.
python3 "$src/packaging/gen_exports.py" "$tmp/public.map" X "$prefix"/include/wiretag/*.h
sed -n 's/^ *\(wt_[a-z0-9_]*\);$/\1/p' "$tmp/public.map" | sort -u >"$tmp/declared"
if ! diff -u "$tmp/declared" "$tmp/exported"; then
  fail "exported symbols differ from the functions the public headers declare"
fi
# gen_exports.py itself: declarations over several lines are exported;
# static inline helpers, calls in their bodies and struct members are not.
cat >"$tmp/t.h" <<'HDR'
typedef struct wt_x { int a; void (*cb)(int); } wt_x_t;
wt_err_t wt_real_fn(int a,
                    int b);
static inline int wt_inline_fn(int x) { return wt_other_call(x) + 1; }
/* wt_in_comment() */
const char *wt_name(void);
static inline int
wt_inline2(void) {
        if (x) wt_called(3);
        return 0;
}
HDR
python3 "$src/packaging/gen_exports.py" "$tmp/t.map" X "$tmp/t.h"
[ "$(sed -n 's/^ *\(wt_[a-z0-9_]*\);$/\1/p' "$tmp/t.map" | tr '\n' ' ')" = "wt_name wt_real_fn " ] ||
  { cat "$tmp/t.map"; fail "gen_exports.py reads declarations wrong"; }
python3 "$src/packaging/gen_exports.py" "$tmp/internal.map" X "$src"/pipeline/lib/internal/*.h
sed -n 's/^ *\(wt_[a-z0-9_]*\);$/\1/p' "$tmp/internal.map" >"$tmp/internal"
[ -s "$tmp/internal" ] || fail "no internal functions found (test broken?)"
if grep -qxFf "$tmp/internal" "$tmp/exported"; then
  fail "internal functions exported: $(grep -xFf "$tmp/internal" "$tmp/exported" | tr '\n' ' ')"
fi
echo "install_test: $so: SONAME $soname, $(wc -l <"$tmp/exported") exported functions"

# pkg-config only.
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
pkg-config --exists wiretag || fail "pkg-config cannot find wiretag"
pkg-config --print-requires wiretag | grep -qw jansson || fail "jansson not in Requires"
pkg-config --print-requires wiretag | grep -qw libxxhash && fail "libxxhash in Requires (private)"
cflags=$(pkg-config --cflags wiretag)
libs=$(pkg-config --libs wiretag)
case "$cflags $libs" in *"$src"*|*"$build"*) fail "pkg-config points into the source or build tree";; esac
embed_check "$cc" "$sanitize" "$src" "$tmp" "$prefix/share/wiretag/conflict-v2.wtm" \
  "$prefix/lib/$so"
san=()
[ -n "$sanitize" ] && san=("-fsanitize=$sanitize")

# C++: every public header in one translation unit (extern "C" keeps the
# names unmangled), linked and run against the installed library.
cxx=$(command -v c++ || command -v g++ || true)
if [ -n "$cxx" ]; then
  {
    for h in "$prefix"/include/wiretag/*.h; do
      echo "#include <wiretag/$(basename "$h")>"
    done
    echo 'int main() { return wt_err_name(WT_ERR_JSON)[0] ? 0 : 1; }'
  } >"$tmp/headers.cpp"
  # shellcheck disable=SC2086
  "$cxx" "${san[@]}" -std=c++11 -Wall -Werror -o "$tmp/headers" "$tmp/headers.cpp" $cflags $libs ||
    fail "the public headers do not build and link as C++"
  LD_LIBRARY_PATH=$(pkg-config --variable=libdir wiretag) "$tmp/headers" ||
    fail "a C++ program against the installed library"
  echo "install_test: the public headers build and link as C++ ($("$cxx" --version | head -n 1))"
else
  echo "install_test: no C++ compiler here: the C++ check is skipped"
fi

# The Python package finds the installed library through pkg-config
# (before the build tree). Not under sanitizers: python cannot load an
# instrumented library without preloading the runtime.
if [ -z "$sanitize" ]; then
  got=$(cd "$tmp" && env -u WIRETAG_LIBRARY PYTHONDONTWRITEBYTECODE=1 \
        PYTHONPATH="$src/pipeline/python" python3 -c '
import sys, wiretag
m = wiretag.Model(sys.argv[1])
print(wiretag.library_path, m.classify("Foreign ministers agree to resume border talks")[0][0])
' "$prefix/share/wiretag/conflict-v2.wtm") || fail "python: import wiretag against the installed library"
  set -- $got
  [ "$(realpath "$1")" = "$(realpath "$prefix/lib/$soname")" ] ||
    fail "python loaded $1, not the installed $soname (pkg-config)"
  [ "$2" = diplomacy ] || fail "python: the sample is tagged $2"
  echo "install_test: python found $soname through pkg-config"
fi

# The man pages render without warnings and carry --help and
# --print-config.
for page in share/man/man1/wiretag.1 share/man/man5/wiretag.properties.5; do
  out=$(LC_ALL=C.UTF-8 MANWIDTH=100 man --warnings -l "$prefix/$page" 2>"$tmp/man.err") ||
    fail "man -l $page"
  if [ -s "$tmp/man.err" ]; then cat "$tmp/man.err" >&2; fail "man -l $page warns"; fi
  printf '%s\n' "$out" >"$tmp/$(basename "$page").txt"
done
for cmd in run classify eval train "model info"; do
  grep -q "^ *wiretag $cmd" "$tmp/wiretag.1.txt" || fail "wiretag(1) lacks wiretag $cmd"
done
"$build/wiretag" train --help | grep -o -- '--[a-z][a-z-]*' | sort -u |
  while read -r opt; do
    grep -q -- "$opt" "$tmp/wiretag.1.txt" || { echo "wiretag(1) lacks train $opt" >&2; exit 1; }
  done || fail "wiretag(1) does not carry train --help"
"$build/wiretag" run --print-config | sed -n 's/^#\{0,1\}\([a-z][a-z.]*\)=.*/\1/p' |
  while read -r key; do
    grep -q "$key" "$tmp/wiretag.properties.5.txt" || { echo "wiretag.properties(5) lacks $key" >&2; exit 1; }
  done || fail "wiretag.properties(5) does not carry --print-config"
echo "install_test: ok"
