#!/usr/bin/env bash
# deb_test: `cpack -G DEB` from the build, then the three packages as apt
# would see them and as a machine would run them:
#  - libwiretag0 (libs): the runtime library, a shlibs file and the
#    ldconfig trigger; libwiretag-dev (libdevel): headers, the .so link,
#    wiretag.pc, Depends on libwiretag0 (= the exact version) and on the
#    -dev package of every module wiretag.pc requires; wiretag (net): the
#    rest, /etc/wiretag/wiretag.properties a conffile;
#  - dpkg-deb -I: Depends (from dpkg-shlibdeps) names the runtime
#    libraries; wiretag depends on libwiretag0 only if the binary links it;
#  - dpkg-deb -c: each file in its package and in no other;
#  - dpkg-deb -x of all three into one temporary root: the packaged config
#    points at the packaged model, and the extracted binary runs `model
#    info` on it and classifies a sample with it; embed.c builds against
#    the extracted headers and library through the extracted wiretag.pc
#    and classifies with the extracted library;
#  - the unit template: required directives, then `systemd-analyze
#    verify` (and its offline security score) on an instance; where
#    systemd-analyze cannot run here, only that part is skipped (exit 77
#    at the end, after every other check passed).
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR FIXTURES_DIR C_COMPILER [SANITIZE]
set -euo pipefail
build=$1 src=$2 fixtures=$3 cc=$4 sanitize=${5:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "deb_test: FAIL: $*" >&2; exit 1; }
# shellcheck source=tests/install/embed_check.sh
. "$src/tests/install/embed_check.sh"
# has_dep DEPENDS PACKAGE: PACKAGE is among DEPENDS (any version).
has_dep() { grep -Eq "(^|, )$2( |,|$)" <<<"$1"; }

(cd "$build" && cpack -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) ||
  { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
pkgs="libwiretag0 libwiretag-dev wiretag"
[ "$(cd "$tmp/out" && ls ./*.deb | wc -l)" = 3 ] ||
  fail "cpack made $(cd "$tmp/out" && ls ./*.deb | tr '\n' ' '), not three packages"
declare -A deb
for p in $pkgs; do
  deb[$p]=$(ls "$tmp"/out/"$p"_*.deb 2>/dev/null) || fail "no ${p}_*.deb"
  [ "$(dpkg-deb -f "${deb[$p]}" Package)" = "$p" ] || fail "$(basename "${deb[$p]}"): package name"
  echo "deb_test: $(basename "${deb[$p]}"), $(stat -c %s "${deb[$p]}") bytes"
done
version=$(dpkg-deb -f "${deb[wiretag]}" Version)
arch=$(dpkg-deb -f "${deb[wiretag]}" Architecture)
for p in $pkgs; do
  [ "$(basename "${deb[$p]}")" = "${p}_${version}_${arch}.deb" ] ||
    fail "$(basename "${deb[$p]}") is not ${p}_${version}_${arch}.deb"
  [ "$(dpkg-deb -f "${deb[$p]}" Version)" = "$version" ] || fail "$p: version differs"
done
declare -A section=([libwiretag0]=libs [libwiretag-dev]=libdevel [wiretag]=net)
for p in $pkgs; do
  [ "$(dpkg-deb -f "${deb[$p]}" Section)" = "${section[$p]}" ] ||
    fail "$p: Section $(dpkg-deb -f "${deb[$p]}" Section), not ${section[$p]}"
done

# Control files: shlibs and the ldconfig trigger in libwiretag0 only, the
# conffile and maintainer scripts (systemd) in wiretag only.
ctrl() { dpkg-deb --ctrl-tarfile "${deb[$1]}" | tar -x -O "./$2" 2>/dev/null; }
[ "$(ctrl libwiretag0 shlibs)" = "libwiretag 0 libwiretag0 (= $version)" ] ||
  fail "libwiretag0: shlibs is \"$(ctrl libwiretag0 shlibs || true)\", not libwiretag 0 libwiretag0 (= $version)"
ctrl libwiretag0 triggers | grep -qx 'activate-noawait ldconfig' ||
  fail "libwiretag0: no ldconfig trigger"
ctrl wiretag conffiles | grep -qx /etc/wiretag/wiretag.properties ||
  fail "/etc/wiretag/wiretag.properties is not a conffile of wiretag"
ctrl wiretag postinst | grep -q 'daemon-reload' || fail "wiretag: not the packaging/postinst"
for p in libwiretag-dev wiretag; do
  ! ctrl "$p" shlibs >/dev/null || fail "$p has a shlibs file"
done
for p in libwiretag0 libwiretag-dev; do
  ! ctrl "$p" conffiles >/dev/null || fail "$p has conffiles"
done

# Contents: the files (not directories) of each package; each is where
# expected_pkg puts it, and no file is in two packages.
expected_pkg() {
  case $1 in
    /usr/lib/libwiretag.so.[0-9]*) echo libwiretag0 ;;
    /usr/lib/libwiretag.so|/usr/lib/pkgconfig/wiretag.pc|/usr/include/*) echo libwiretag-dev ;;
    *) echo wiretag ;;
  esac
}
for p in $pkgs; do
  dpkg-deb -c "${deb[$p]}" | awk '{print $6}' | sed 's:^\./:/:' | grep -v '/$' >"$tmp/files.$p"
  while read -r f; do
    [ "$(expected_pkg "$f")" = "$p" ] || fail "$f is in $p, not in $(expected_pkg "$f")"
  done <"$tmp/files.$p"
done
dup=$(sort "$tmp"/files.* | uniq -d)
[ -z "$dup" ] || fail "in two packages: $dup"
cat "$tmp"/files.* >"$tmp/files"
need() { grep -qx "$2" "$tmp/files.$1" || fail "$2 not in $1"; }
need libwiretag0 /usr/lib/libwiretag.so.0
grep -q '^/usr/lib/libwiretag\.so\.0\.[0-9.]*$' "$tmp/files.libwiretag0" ||
  fail "no libwiretag.so.0.* in libwiretag0"
[ "$(wc -l <"$tmp/files.libwiretag0")" = 2 ] || fail "libwiretag0 holds more than the library"
need libwiretag-dev /usr/lib/libwiretag.so
need libwiretag-dev /usr/lib/pkgconfig/wiretag.pc
# Every public header, and nothing else under /usr/include.
(cd "$src/pipeline/lib" && ls ./*.h) | sed 's:^\./:/usr/include/wiretag/:' | sort >"$tmp/headers"
grep '^/usr/include/' "$tmp/files.libwiretag-dev" | sort | diff -u "$tmp/headers" - ||
  fail "libwiretag-dev's headers are not pipeline/lib/*.h"
for f in /usr/bin/wiretag /etc/wiretag/wiretag.properties \
         /usr/share/wiretag/conflict-v2.wtm /usr/share/wiretag/wiretag.properties \
         /usr/share/man/man1/wiretag.1 /usr/share/man/man5/wiretag.properties.5 \
         /usr/lib/systemd/system/wiretag@.service; do
  need wiretag "$f"
done
! grep -q '/internal/\|wt_model_int.h\|\.a$' "$tmp/files" || fail "internals in a package"

# Extract all three into one root, as apt would install them together.
root=$tmp/root
for p in $pkgs; do dpkg-deb -x "${deb[$p]}" "$root"; done
[ -e "$root/usr/lib/libwiretag.so" ] || fail "the .so link dangles once all three are extracted"

# Depends. libxxhash0 is not among them: XXH3 is compiled inline
# (XXH_INLINE_ALL), so nothing links libxxhash.so.
declare -A depends
for p in $pkgs; do
  depends[$p]=$(dpkg-deb -f "${deb[$p]}" Depends)
  echo "deb_test: $p Depends: ${depends[$p]}"
done
for dep in libc6 libjansson4 librdkafka1 liblinear4 libutf8proc2 \
           libmicrohttpd12 libssl3; do
  has_dep "${depends[wiretag]}" "$dep" || fail "wiretag: Depends lacks $dep"
done
for dep in libc6 libjansson4 liblinear4 libutf8proc2 libssl3 zlib1g; do
  has_dep "${depends[libwiretag0]}" "$dep" || fail "libwiretag0: Depends lacks $dep"
done
for dep in librdkafka1 libmicrohttpd12 libwiretag0; do
  ! has_dep "${depends[libwiretag0]}" "$dep" || fail "libwiretag0: Depends has $dep"
done
# The library package is named after its SONAME (libwiretag.so.0).
soname=$(readelf -d "$root/usr/lib/libwiretag.so.0" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libwiretag.so.0 ] || fail "SONAME $soname, not libwiretag.so.0"
# wiretag links the static core: it depends on libwiretag0 if, and only
# if, the binary needs libwiretag.so.
if readelf -d "$root/usr/bin/wiretag" | grep -q 'NEEDED.*\[libwiretag\.so'; then
  has_dep "${depends[wiretag]}" libwiretag0 || fail "wiretag links libwiretag.so but does not depend on libwiretag0"
else
  ! has_dep "${depends[wiretag]}" libwiretag0 || fail "wiretag depends on libwiretag0 but does not link it"
fi
# -dev: the library of that very build, and the -dev package of every
# module wiretag.pc requires (pkg-config wants Requires.private too, even
# for --cflags).
grep -Eq "(^|, )libwiretag0 \(= $version\)(,|$)" <<<"${depends[libwiretag-dev]}" ||
  fail "libwiretag-dev does not depend on libwiretag0 (= $version)"
pc=$root/usr/lib/pkgconfig/wiretag.pc
for m in $(sed -n 's/^Requires\(\.private\)\{0,1\}: *//p' "$pc" | tr ', ' '\n\n' | grep '^[A-Za-z]'); do
  mpc=$(pkg-config --path "$m") || fail "wiretag.pc requires $m, not installed here"
  mdev=$(dpkg -S "$mpc" 2>/dev/null || dpkg -S "$(realpath "$mpc")" 2>/dev/null) ||
    fail "no Debian package owns $mpc ($m)"
  mdev=$(head -1 <<<"$mdev" | sed 's/[:,].*//')
  has_dep "${depends[libwiretag-dev]}" "$mdev" ||
    fail "libwiretag-dev does not depend on $mdev (wiretag.pc requires $m)"
done

# Run from the extracted tree.
grep -qx 'model.path=/usr/share/wiretag/conflict-v2.wtm' "$root/etc/wiretag/wiretag.properties" ||
  fail "packaged config does not point at /usr/share/wiretag/conflict-v2.wtm"
diff <(grep -v '^model.path=' "$src/config/wiretag.properties") \
     <(grep -v '^model.path=' "$root/etc/wiretag/wiretag.properties") >/dev/null ||
  fail "packaged config differs from config/wiretag.properties beyond model.path"
"$root/usr/bin/wiretag" model info "$root/usr/share/wiretag/conflict-v2.wtm" >"$tmp/card" ||
  fail "wiretag model info on the packaged model"
grep -q 'conflict-v2' "$tmp/card" || fail "model info does not name conflict-v2"
head -1 "$fixtures/articles.jsonl" |
  "$root/usr/bin/wiretag" classify -m "$root/usr/share/wiretag/conflict-v2.wtm" - >"$tmp/out.jsonl" ||
  fail "wiretag classify with the packaged model"
grep -q '"wiretag":{"labels":\[{"label":"diplomacy"' "$tmp/out.jsonl" ||
  { cat "$tmp/out.jsonl"; fail "the packaged model does not tag the sample diplomacy"; }
LC_ALL=C.UTF-8 man --warnings -l "$root/usr/share/man/man1/wiretag.1" >/dev/null ||
  fail "packaged wiretag(1) does not render"

# The -dev package at work: embed.c built through the extracted
# wiretag.pc (relocatable: its prefix is its own place in the root), run
# with the extracted libwiretag.so.0.
export PKG_CONFIG_PATH=$root/usr/lib/pkgconfig
cflags=$(pkg-config --cflags wiretag) || fail "pkg-config --cflags wiretag (extracted)"
libs=$(pkg-config --libs wiretag) || fail "pkg-config --libs wiretag (extracted)"
incdir=$(pkg-config --variable=includedir wiretag)
libdir=$(pkg-config --variable=libdir wiretag)
[ "$(realpath "$incdir")" = "$(realpath "$root/usr/include")" ] && grep -qF -- "-I$incdir" <<<"$cflags" ||
  fail "cflags $cflags miss the extracted headers"
[ "$(realpath "$libdir")" = "$(realpath "$root/usr/lib")" ] && grep -qF -- "-L$libdir" <<<"$libs" ||
  fail "libs $libs miss the extracted library"
embed_check "$cc" "$sanitize" "$src" "$tmp" "$root/usr/share/wiretag/conflict-v2.wtm" \
  "$root/usr/lib/libwiretag.so.0"
unset PKG_CONFIG_PATH
echo "deb_test: embed.c built with libwiretag-dev, ran on libwiretag0"

# The unit template.
unit=$root/usr/lib/systemd/system/wiretag@.service
for want in 'ExecStart=/usr/bin/wiretag run -c /etc/wiretag/%i.properties' \
            'ExecReload=/bin/kill -HUP $MAINPID' 'Restart=on-failure' \
            'DynamicUser=yes' 'ProtectSystem=strict' 'NoNewPrivileges=yes' \
            'ProtectHome=yes' 'PrivateTmp=yes'; do
  grep -qxF "$want" "$unit" || fail "wiretag@.service lacks $want"
done
if ! command -v systemd-analyze >/dev/null ||
   ! systemd-analyze --version >/dev/null 2>&1; then
  echo "deb_test: SKIP (only systemd-analyze verify): systemd-analyze is not available here; every other check passed"
  exit 77
fi
# verify wants the ExecStart binary and the config to exist: point an
# instance of the packaged unit at the extracted tree.
units=$tmp/units
mkdir -p "$units"
sed -e "s|/usr/bin/wiretag|$root/usr/bin/wiretag|" \
    -e "s|/etc/wiretag/|$root/etc/wiretag/|g" "$unit" >"$units/wiretag@.service"
ln -s wiretag@.service "$units/wiretag@wiretag.service"
if ! systemd-analyze verify --man=no "$units/wiretag@wiretag.service" >"$tmp/verify" 2>&1; then
  if grep -qi 'failed to initialize\|Operation not permitted\|not been booted with systemd' "$tmp/verify"; then
    cat "$tmp/verify"
    echo "deb_test: SKIP (only systemd-analyze verify): it cannot run in this container; every other check passed"
    exit 77
  fi
  cat "$tmp/verify" >&2
  fail "systemd-analyze verify wiretag@.service"
fi
# verify exits 0 on directives it ignores: any message is a failure.
if [ -s "$tmp/verify" ]; then cat "$tmp/verify" >&2; fail "systemd-analyze verify complains"; fi
systemd-analyze security --offline=true --threshold=30 \
  "$units/wiretag@wiretag.service" >"$tmp/security" 2>&1 ||
  { tail -5 "$tmp/security"; fail "systemd-analyze security: exposure above 3.0"; }
echo "deb_test: $(grep -o 'Overall exposure level.*' "$tmp/security")"
echo "deb_test: ok"
