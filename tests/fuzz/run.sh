#!/bin/sh
# Builds and runs the fuzz targets in tests/fuzz/fuzz_*.c.
#
# With a clang that links -fsanitize=fuzzer, each target is a libFuzzer
# binary run for FUZZ_TIME seconds (default 30) over its seed corpus in
# tests/fuzz/corpus/<target>/.  New inputs go to build/fuzz/corpus/<target>
# so the seeds in the tree are never rewritten.  Without one, each target is
# built with cc + ASan/UBSan and replays the seed corpus once (FUZZ_REPLAY=1
# forces this).
#
# Targets link the library sources they need directly, so a broken module
# elsewhere in the tree does not stop the decoders from being fuzzed.
set -eu
cd "$(dirname "$0")/../.."

FUZZ_TIME=${FUZZ_TIME:-30}
OUT=build/fuzz
SRCS="chain/codec.c chain/tx.c chain/block.c chain/hash.c chain/key.c chain/error.c p2p/p2p_wire.c p2p/p2p_sec.c"
PKG_CFLAGS=$(pkg-config --cflags libsecp256k1 libsodium openssl)
PKG_LIBS=$(pkg-config --libs libsecp256k1 libsodium openssl)
CFLAGS="-std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer -Wall -Wextra -Iinclude $PKG_CFLAGS"
mkdir -p "$OUT"

have_libfuzzer() {
	[ "${FUZZ_REPLAY:-0}" = 1 ] && return 1
	command -v clang >/dev/null 2>&1 || return 1
	printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$OUT/probe.c"
	clang -fsanitize=fuzzer "$OUT/probe.c" -o "$OUT/probe" >/dev/null 2>&1
}

fail=0
if have_libfuzzer; then
	for src in tests/fuzz/fuzz_*.c; do
		t=$(basename "$src" .c)
		echo "== $t (libFuzzer, ${FUZZ_TIME}s)"
		clang $CFLAGS -fsanitize=fuzzer,address,undefined \
		  -fno-sanitize-recover=undefined -DEMBER_LIBFUZZER \
		  "$src" $SRCS $PKG_LIBS -pthread -o "$OUT/$t"
		mkdir -p "$OUT/corpus/$t"
		if ! "$OUT/$t" -max_total_time="$FUZZ_TIME" -print_final_stats=1 \
		    -artifact_prefix="$OUT/$t-" "$OUT/corpus/$t" "tests/fuzz/corpus/$t"; then
			echo "$t: FAILED (crash input in $OUT/$t-*)"
			fail=1
		fi
	done
else
	echo "fuzz: no clang with -fsanitize=fuzzer; replaying the seed corpus only"
	for src in tests/fuzz/fuzz_*.c; do
		t=$(basename "$src" .c)
		echo "== $t (replay)"
		${CC:-cc} $CFLAGS -fsanitize=address,undefined \
		  -fno-sanitize-recover=undefined \
		  "$src" $SRCS $PKG_LIBS -pthread -o "$OUT/$t"
		"$OUT/$t" "tests/fuzz/corpus/$t" || fail=1
	done
fi
[ "$fail" -eq 0 ] && echo "fuzz: all targets passed"
exit "$fail"
