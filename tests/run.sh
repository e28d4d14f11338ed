#!/bin/sh
# Runs every test: unit tests (cmocka binaries in $BIN/tests), then the
# integration scripts in tests/integration (real processes on 127.0.0.1).
# "sh tests/run.sh unit" runs the unit tests only.  Ends with the line
# "N passed, N failed" counting test programs and scripts.  NOT_RUN names
# integration scripts (basenames) a build cannot run meaningfully, with
# NOT_RUN_WHY saying why; each is listed as not run, never counted passed.
BIN=${BIN:-bin}
export BIN
pass=0; fail=0; failed=""
for t in "$BIN"/tests/test_*; do
	[ -x "$t" ] || continue
	echo "== $t"
	if "$t"; then pass=$((pass+1)); else fail=$((fail+1)); failed="$failed $t"; fi
done
if [ "$1" != "unit" ]; then
	for s in tests/integration/*.sh; do
		[ -f "$s" ] || continue
		case " ${NOT_RUN:-} " in
		*" $(basename "$s") "*)
			echo "== $s: not run: ${NOT_RUN_WHY:-excluded}"
			continue ;;
		esac
		echo "== $s"
		if sh "$s"; then pass=$((pass+1)); else fail=$((fail+1)); failed="$failed $s"; fi
	done
fi
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
