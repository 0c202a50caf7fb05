#!/usr/bin/env bash
# deb_test: `cpack -G DEB` from the build, then the package as apt would
# see it and as a machine would run it:
#  - dpkg-deb -I: Depends (from dpkg-shlibdeps) names the runtime
#    libraries; /etc/wiretag/wiretag.properties is a conffile;
#  - dpkg-deb -c: binary, library, config, models, man pages, unit;
#  - dpkg-deb -x into a temporary root: the packaged config points at the
#    packaged model, and the extracted binary runs `model info` on it and
#    classifies a sample with it;
#  - the unit template: required directives, then `systemd-analyze
#    verify` (and its offline security score) on an instance; where
#    systemd-analyze cannot run here, only that part is skipped (exit 77
#    at the end, after every other check passed).
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR FIXTURES_DIR
set -euo pipefail
build=$1 src=$2 fixtures=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "deb_test: FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) ||
  { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb=$(ls "$tmp"/out/wiretag_*.deb)
echo "deb_test: $(basename "$deb"), $(stat -c %s "$deb") bytes"

# Control: Depends, conffiles.
dpkg-deb -I "$deb" >"$tmp/info"
depends=$(dpkg-deb -f "$deb" Depends)
echo "deb_test: Depends: $depends"
# libxxhash0 is not among them: XXH3 is compiled inline (XXH_INLINE_ALL),
# so nothing links libxxhash.so.
for dep in libc6 libjansson4 librdkafka1 liblinear4 libutf8proc2 \
           libmicrohttpd12 libssl3; do
  grep -Eq "(^|, )$dep( |,|$)" <<<"$depends" || fail "Depends lacks $dep"
done
[ "$(dpkg-deb -f "$deb" Package)" = wiretag ] || fail "package name"
dpkg-deb --ctrl-tarfile "$deb" | tar -x -O ./conffiles >"$tmp/conffiles"
grep -qx /etc/wiretag/wiretag.properties "$tmp/conffiles" ||
  fail "/etc/wiretag/wiretag.properties is not a conffile"
dpkg-deb --ctrl-tarfile "$deb" | tar -x -O ./shlibs | grep -q '^libwiretag 0 wiretag' ||
  fail "no shlibs entry for libwiretag.so.0"

# Contents.
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's:^\./:/:' >"$tmp/files"
for f in /usr/bin/wiretag /usr/lib/libwiretag.so.0 /usr/lib/pkgconfig/wiretag.pc \
         /usr/include/wiretag/wt_model.h /usr/include/wiretag/wt_api.h \
         /etc/wiretag/wiretag.properties /usr/share/wiretag/conflict-v2.wtm \
         /usr/share/man/man1/wiretag.1 /usr/share/man/man5/wiretag.properties.5 \
         /usr/lib/systemd/system/wiretag@.service; do
  grep -qx "$f" "$tmp/files" || fail "$f not in the package"
done
grep -q '^/usr/lib/libwiretag.so.0.*' "$tmp/files" || fail "no libwiretag.so.0.*"
! grep -q '/internal/\|wt_model_int.h\|\.a$' "$tmp/files" || fail "internals in the package"

# Extract and run from the extracted tree.
root=$tmp/root
dpkg-deb -x "$deb" "$root"
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
