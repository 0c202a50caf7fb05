# embed_check.sh: sourced by install_test.sh and deb_test.sh, which
# define fail(). One check both make of an installed libwiretag: the
# embedding example built through pkg-config alone, run, and loading the
# library it should.
#
# embed_check CC SANITIZE SRC DIR MODEL LIBRARY
#   builds SRC/tests/install/embed.c into DIR with CC (and -fsanitize=
#   SANITIZE when set) and `pkg-config --cflags --libs wiretag` (the
#   caller sets PKG_CONFIG_PATH), runs it on MODEL with pkg-config's
#   libdir as LD_LIBRARY_PATH, expecting the tag diplomacy, and checks
#   that the libwiretag it loaded is LIBRARY.
embed_check() {
  local cc=$1 sanitize=$2 src=$3 dir=$4 model=$5 library=$6
  local cflags libs libdir loaded san=()
  cflags=$(pkg-config --cflags wiretag) || fail "pkg-config --cflags wiretag"
  libs=$(pkg-config --libs wiretag) || fail "pkg-config --libs wiretag"
  libdir=$(pkg-config --variable=libdir wiretag)
  [ -n "$sanitize" ] && san=("-fsanitize=$sanitize")
  # shellcheck disable=SC2086
  "$cc" "${san[@]}" -std=c11 -Wall -Werror -o "$dir/embed" "$src/tests/install/embed.c" $cflags $libs ||
    fail "embed.c does not build with pkg-config --cflags --libs wiretag"
  LD_LIBRARY_PATH=$libdir "$dir/embed" "$model" diplomacy ||
    fail "embed: classify through $library"
  loaded=$(LD_LIBRARY_PATH=$libdir ldd "$dir/embed" |
    sed -n 's/.*libwiretag[^ ]* => \([^ ]*\) .*/\1/p')
  [ -n "$loaded" ] && [ "$(realpath "$loaded")" = "$(realpath "$library")" ] ||
    fail "embed loaded \"$loaded\", not $library"
}
