#!/bin/sh
# Integration: make install and make uninstall, on the binaries in $BIN as
# they were built (make -o: nothing is rebuilt or relinked here).
#  1. make install PREFIX=/opt/ember DESTDIR=$D/root puts exactly the
#     expected files there, with their modes: the four programs (the same
#     bytes as $BIN's), libember.a, the public headers, the explorer, the
#     four man pages, ember.conf.example and the systemd unit (in
#     share/doc/ember: /opt is not on systemd's unit path) with its
#     ExecStart naming /opt/ember/bin/emberd.  With PREFIX=/usr the unit
#     goes to /usr/lib/systemd/system, with /usr/local to
#     /usr/local/lib/systemd/system.
#  2. The installed programs run (--version), every library they need is
#     found (ember-prover's CUDA runtime, when it has one, through the
#     RUNPATH of the toolkit it was built with); a program that includes
#     every installed header builds and links on the installed libember.a.
#  3. The installed emberd --dev serves /explorer/ from PREFIX/share/explorer
#     (a marker added to the installed index.html comes back), and the
#     installed ember-cli talks to it.
#  4. The man pages format without a warning (man-db, else groff) and man
#     finds them under PREFIX/share/man; every option and command that the
#     programs' --help lists is in their page, and every emberd option that
#     a config file can hold is in ember.conf.example, which the installed
#     emberd accepts whole.
#  5. systemd-analyze verify accepts the unit (the one check that is
#     skipped, with a note, when systemd-analyze is missing).
#  6. make uninstall leaves no file behind.
# man-db comes from scripts/deps.sh.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
it_setup install
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
unset EMBER_SHARE_DIR

# The build directory of $BIN (O= of the build that made it), where
# libember.a is: build/X for BIN=build/X/bin, else $O (make exports it when
# given on its command line), else build, the default bin/'s.
if [ -f "$(dirname "$BIN")/libember.a" ]; then O=$(dirname "$BIN"); else O=${O:-build}; fi
[ -f "$O/libember.a" ] || fail "no '$O/libember.a': run make (or set O to the build directory)"
BINA=$(cd "$BIN" && pwd)
OA=$(cd "$O" && pwd)
PROGS="emberd ember-cli ember-prover ember-sim"
for p in $PROGS; do
	[ -x "$BINA/$p" ] || fail "no '$BIN/$p': run make first"
done
VER=$(sed -n 's/^#define EMBER_VERSION "\(.*\)"$/\1/p' "$ROOT/include/ember/version.h")

# mk ARGS: make in the source tree on $BIN and $O as they are.  -o marks
# each installed build product as up to date, so an edit made since the
# build cannot relink it here with other flags.  An outer make's MAKEFLAGS
# (make test WERROR=1 -j2) stays out.
mk() {
	_o=""
	for p in $PROGS; do _o="$_o -o $BINA/$p"; done
	# shellcheck disable=SC2086
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$ROOT" \
		$_o -o "$OA/libember.a" O="$OA" BIN="$BINA" "$@"
}

echo "-- make install PREFIX=/opt/ember"
mk install PREFIX=/opt/ember DESTDIR="$D/root" >"$D/make.log" 2>&1 ||
	{ cat "$D/make.log" >&2; fail "make install failed"; }
P=$D/root/opt/ember
{
	for p in $PROGS; do echo "bin/$p 755"; done
	echo "lib/libember.a 644"
	for h in "$ROOT"/include/ember/*.h; do echo "include/ember/${h##*/} 644"; done
	for f in index.html app.js style.css; do echo "share/explorer/$f 644"; done
	for p in $PROGS; do echo "share/man/man1/$p.1 644"; done
	echo "share/doc/ember/ember.conf.example 644"
	echo "share/doc/ember/emberd.service 644"
} | sort >"$D/want"
(cd "$D/root" && find . -type f -exec stat -c '%n %a' {} +) |
	sed 's|^\./opt/ember/||' | sort >"$D/got"
diff "$D/want" "$D/got" >"$D/diff" ||
	{ cat "$D/diff" >&2; fail "installed files differ from the list (< wanted, > got)"; }
[ -z "$(cd "$D/root" && find . ! -type f ! -type d)" ] || fail "make install made something not a file"
for p in $PROGS; do
	cmp -s "$BINA/$p" "$P/bin/$p" || fail "installed $p is not $BIN/$p"
done
cmp -s "$OA/libember.a" "$P/lib/libember.a" || fail "installed libember.a is not $O/libember.a"
for f in index.html app.js style.css; do
	cmp -s "$ROOT/share/explorer/$f" "$P/share/explorer/$f" || fail "installed explorer $f differs"
done
UNIT=$P/share/doc/ember/emberd.service
grep -qx 'ExecStart=/opt/ember/bin/emberd --datadir /var/lib/ember' "$UNIT" ||
	fail "unit: no 'ExecStart=/opt/ember/bin/emberd --datadir /var/lib/ember'"
! grep -q '@[a-z]*@' "$UNIT" || fail "unit: a placeholder is left: $(grep '@[a-z]*@' "$UNIT")"

echo "-- the unit's place under /usr and /usr/local"
mk install PREFIX=/usr DESTDIR="$D/usr" >"$D/make.log" 2>&1 ||
	{ cat "$D/make.log" >&2; fail "make install PREFIX=/usr failed"; }
grep -qx 'ExecStart=/usr/bin/emberd --datadir /var/lib/ember' \
	"$D/usr/usr/lib/systemd/system/emberd.service" ||
	fail "PREFIX=/usr: no unit at lib/systemd/system/emberd.service running /usr/bin/emberd"
[ ! -e "$D/usr/usr/share/doc/ember/emberd.service" ] || fail "PREFIX=/usr: a unit in share/doc too"
mk uninstall PREFIX=/usr DESTDIR="$D/usr" || fail "make uninstall PREFIX=/usr failed"
[ -z "$(find "$D/usr" -type f)" ] || fail "PREFIX=/usr: uninstall left $(find "$D/usr" -type f)"
mk -n install PREFIX=/usr/local DESTDIR=/nonexistent >"$D/make.log" 2>&1 || true
grep -q "> /nonexistent/usr/local/lib/systemd/system/emberd.service" "$D/make.log" ||
	fail "PREFIX=/usr/local: the unit would not go to /usr/local/lib/systemd/system"

echo "-- installed programs run"
for p in $PROGS; do
	out=$("$P/bin/$p" --version 2>&1) || fail "installed $p --version exited $?: $out"
	[ "$out" = "$p $VER" ] || fail "installed $p --version: '$out', want '$p $VER'"
	! ldd "$P/bin/$p" | grep 'not found' || fail "installed $p: a library is not found"
done
if ldd "$P/bin/ember-prover" | grep -q libcudart; then
	rp=$(readelf -d "$P/bin/ember-prover" | sed -n 's/.*R[UN]*PATH.*\[\(.*\)\]/\1/p')
	echo "ember-prover: CUDA runtime from $(ldd "$P/bin/ember-prover" |
		sed -n 's/.*libcudart[^ ]* => \([^ ]*\).*/\1/p') (runpath '$rp')"
fi

echo "-- installed library and headers"
# One program that includes every installed header and links the
# installed library, with nothing from the source tree.
{
	for h in "$P"/include/ember/*.h; do echo "#include <ember/${h##*/}>"; done
	echo '#include <stdio.h>'
	printf '%s\n' 'int main(void) { printf("%s %s\n", EMBER_VERSION, ember_strerror(0)); return 0; }'
} >"$D/use.c"
PKGS="libsecp256k1 libsodium lmdb libevent libevent_openssl libevent_pthreads openssl jansson"
# a library built by make asan needs its sanitizers' runtimes
SAN=""
nm "$P/lib/libember.a" 2>/dev/null | grep -q ' U __asan_' && SAN="$SAN -fsanitize=address"
nm "$P/lib/libember.a" 2>/dev/null | grep -q ' U __ubsan_' && SAN="$SAN -fsanitize=undefined"
# shellcheck disable=SC2046,SC2086
${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Werror $SAN -I"$P/include" $(pkg-config --cflags $PKGS) \
	-o "$D/use" "$D/use.c" "$P/lib/libember.a" $(pkg-config --libs $PKGS) -lm -pthread \
	>"$D/cc.log" 2>&1 || { cat "$D/cc.log" >&2; fail "a program on the installed headers and library does not build"; }
"$D/use" | grep -q "^$VER " || fail "the program on the installed library printed '$("$D/use")'"

echo "-- installed emberd serves its share directory"
printf '<!-- installed copy %s -->\n' "$$" >>"$P/share/explorer/index.html"
BIN=$P/bin
start_node
code=$(curl -s -o "$D/body" -w '%{http_code}' "${RPC}explorer/")
[ "$code" = 200 ] || fail "GET /explorer/: $code"
grep -q "installed copy $$" "$D/body" || fail "GET /explorer/ did not come from $P/share/explorer"
code=$(curl -s -o "$D/body" -w '%{http_code}' "${RPC}explorer/app.js")
[ "$code" = 200 ] || fail "GET /explorer/app.js: $code"
cmp -s "$D/body" "$ROOT/share/explorer/app.js" || fail "GET /explorer/app.js: not the installed file"
cli status | check '.height >= 0' || fail "installed ember-cli status"
kill -TERM "$PID"
wait "$PID" || fail "installed emberd exited $? on SIGTERM"
PID=""

echo "-- man pages"
for p in $PROGS; do
	f=$P/share/man/man1/$p.1
	if command -v man >/dev/null 2>&1; then
		w=$(LC_ALL=C.UTF-8 MANWIDTH=80 MANPAGER=cat man --warnings -E UTF-8 -l "$f" 2>&1 >"$D/page") ||
			fail "man -l $f exited $?: $w"
	elif command -v groff >/dev/null 2>&1; then
		w=$(groff -mandoc -Tutf8 -ww "$f" 2>&1 >"$D/page") || fail "groff $f exited $?: $w"
	else
		fail "neither man nor groff: run scripts/deps.sh (Debian package man-db)"
	fi
	[ -z "$w" ] || fail "$p.1 formats with warnings: $w"
	grep -q "^NAME" "$D/page" || fail "$p.1 formats to no page"
	if command -v man >/dev/null 2>&1; then
		where=$(MANPATH='' man -M "$P/share/man" -w "$p" 2>/dev/null) || true
		[ "$where" = "$f" ] || fail "man -M PREFIX/share/man -w $p: '$where', want '$f'"
	fi
done
# WORDS | covers PAGE: each --OPTION, or COMMAND, has an item (.It) in PAGE.
covers() {
	_page=$1
	while read -r _o; do
		case $_o in
		--*) grep -Eq "^\\.It .*Fl \\\\-${_o#--}( |$)" "$_page" || fail "${_page##*/}: $_o is not described" ;;
		*) grep -Eq "^\\.It Cm $_o( |$)" "$_page" || fail "${_page##*/}: command '$_o' is not described" ;;
		esac
	done
}
opts() { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
M=$P/share/man/man1
"$P/bin/emberd" --help | grep -E '^  --' | opts | covers "$M/emberd.1"
"$P/bin/emberd" testnet --help | opts | covers "$M/emberd.1"
"$P/bin/ember-cli" --help | grep -E '^  --' | opts | covers "$M/ember-cli.1"
"$P/bin/ember-cli" --help | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' | sort -u |
	covers "$M/ember-cli.1"
"$P/bin/ember-prover" --help | opts | covers "$M/ember-prover.1"
"$P/bin/ember-sim" --help | opts | covers "$M/ember-sim.1"

echo "-- ember.conf.example"
CONF=$P/share/doc/ember/ember.conf.example
for o in $("$P/bin/emberd" --help | grep -E '^  --' | opts); do
	case $o in --conf|--help|--version) continue ;; esac
	grep -Eq "^#${o#--}(=|$)" "$CONF" || fail "ember.conf.example: no '#${o#--}' setting"
done
# Every setting uncommented at once (datadir is allowed in a --conf file):
# all are read and applied, and emberd stops only at what the file cannot
# hold together (dev with genesis), before it touches anything.
sed -n 's/^#\([a-z][a-z0-9-]*\(=.*\)\{0,1\}\)$/\1/p' "$CONF" |
	sed "s|/var/lib/ember|$D/var|" >"$D/all.conf"
st=0
"$P/bin/emberd" --conf "$D/all.conf" >"$D/conf.out" 2>&1 || st=$?
if [ "$st" != 2 ] || grep -q "all.conf" "$D/conf.out" ||
   ! grep -q "dev makes its own genesis" "$D/conf.out"; then
	fail "ember.conf.example, uncommented, not accepted (exit $st): $(cat "$D/conf.out")"
fi
[ ! -e "$D/var" ] || fail "emberd with the example config created '$D/var'"

echo "-- systemd unit"
if command -v systemd-analyze >/dev/null 2>&1; then
	# the staged emberd stands for /opt/ember/bin/emberd; man:emberd(1)
	# must be found among the installed pages
	mkdir "$D/unit"
	sed "s|^ExecStart=/opt/ember/bin/|ExecStart=$P/bin/|" "$UNIT" >"$D/unit/emberd.service"
	MANPATH=$P/share/man systemd-analyze verify "$D/unit/emberd.service" >"$D/verify.log" 2>&1 ||
		{ cat "$D/verify.log" >&2; fail "systemd-analyze verify emberd.service"; }
else
	echo "note: no systemd-analyze here; the unit is not verified (Debian package systemd)"
fi

echo "-- make uninstall"
mk uninstall PREFIX=/opt/ember DESTDIR="$D/root" >"$D/make.log" 2>&1 ||
	{ cat "$D/make.log" >&2; fail "make uninstall failed"; }
left=$(find "$D/root" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
for d in include/ember share/explorer share/doc/ember; do
	[ ! -e "$P/$d" ] || fail "make uninstall left the directory $d"
done
echo "install: ok"
