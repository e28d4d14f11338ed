#!/bin/sh
# Integration: ember-sim's default example (no options) and its plot.
#  1. bme and hybrid reach the burn-mint steady state: the summary says
#     "steady state from epoch N: burn/mint = X" with N = 10 (the end of the
#     default ramp) and X within 0.1% of 1; sfa (fee burn only) does not.
#  2. gnuplot drew sim.svg (gnuplot comes from scripts/deps.sh: this test
#     fails without it), and sim.gp gives every panel an x and a y axis
#     title, a y range from 0, and a key outside the data area.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
it_setup sim

command -v gnuplot >/dev/null 2>&1 ||
	fail "gnuplot not found: sh scripts/deps.sh installs it (gnuplot-nox)"

"$BIN/ember-sim" --out "$D/out" >"$D/summary" 2>&1 ||
	{ cat "$D/summary"; fail "ember-sim failed"; }

# 1. the steady state, per model
for m in bme hybrid; do
	line=$(grep "^$m  *steady state from epoch " "$D/summary") ||
		{ cat "$D/summary"; fail "$m: no steady state in the default example"; }
	from=$(echo "$line" | sed -n 's/.*from epoch \([0-9]*\):.*/\1/p')
	ratio=$(echo "$line" | sed -n 's/.*burn\/mint = \([0-9.]*\).*/\1/p')
	[ "$from" = 10 ] || fail "$m: steady from epoch '$from', want 10"
	awk -v r="$ratio" 'BEGIN { exit !(r >= 0.999 && r <= 1.001) }' ||
		fail "$m: burn/mint '$ratio' is not within 0.1% of 1"
done
grep -q '^sfa  *no steady state' "$D/summary" ||
	{ cat "$D/summary"; fail "sfa: the summary claims a steady state"; }
# the CSV agrees: every bme epoch from 10 on burns what it mints, to 0.1%
awk -F, '$2 == "bme" && $1 >= 10 { n++; d = $8 - $7; if (d < 0) d = -d;
	if ($7 <= 0 || d > $7 / 1000) bad = $1 }
	END { exit !(n >= 10 && bad == "") }' "$D/out/sim.csv" ||
	fail "sim.csv: bme burn and mint differ after epoch 10"

# 2. the plot
[ -s "$D/out/sim.svg" ] || fail "no sim.svg (see $D/out/gnuplot.log)"
grep -q '<svg' "$D/out/sim.svg" || fail "sim.svg is not SVG"
gp="$D/out/sim.gp"
panels=$(grep -c '^plot ' "$gp")
[ "$panels" -ge 4 ] || fail "sim.gp has $panels panels, want at least 4"
for k in 'set xlabel' 'set ylabel' 'set yrange \[0:'; do
	n=$(grep -c "^$k" "$gp")
	[ "$n" = "$panels" ] || fail "sim.gp: $n '$k' for $panels panels"
done
# every axis title names a unit (or says it is a ratio)
if grep '^set [xy]label' "$gp" | grep -v -e 'epoch (' -e EMB -e USD -e ratio; then
	fail "sim.gp: an axis title without a unit"
fi
grep -q '^set key outside' "$gp" || fail "sim.gp: the key is not outside the plot"
grep -q 'margins ' "$gp" || fail "sim.gp: panels without common margins"
echo "sim: ok ($(grep -c 'steady state from' "$D/summary") models steady, $panels panels)"
