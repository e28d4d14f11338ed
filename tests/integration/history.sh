#!/bin/sh
# Integration: account history (getaccounthistory, ember-cli history)
# against a real emberd --dev on 127.0.0.1.
#  1. transfers between dev accounts; each account's history, read page
#     by page with the cursor, holds exactly the txs that name it, each
#     once, newest first, with the role (sender or recipient), height and
#     index gettx gives;
#  2. an account with no history, text output and its next-page hint;
#  3. bad params (limit, cursor, address) get -32602 with a message;
#  4. after a restart (kill -9) the history is the same.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
it_setup history

export EMBER_PASSPHRASE=""
start_node --quiet
K="$D/data/dev-keys"
A0=$(cli address "$K/dev0.json"); A1=$(cli address "$K/dev1.json")
A2=$(cli address "$K/dev2.json")

echo "-- transfers"
# dev0 -> dev1 x5, dev1 -> dev0 x3, dev2 -> dev0 x2; each send prints its
# txid; the last of each sender waits for its block (a sender's txs commit
# in nonce order, so then all of them are in).
: >"$D/sent"
send() { # FROM-KEY TO AMOUNT [--wait]
	_out=$(cli send "$2" "$3" --from "$K/$1.json" ${4:-}) || fail "send from $1: $_out"
	_tx=$(echo "$_out" | grep -Eo '[0-9a-f]{64}' | head -1)
	[ -n "$_tx" ] || fail "send printed '$_out'"
	echo "$_tx $1 $2" >>"$D/sent"
}
for i in 1 2 3 4; do send dev0 "$A1" 0.1; done
send dev0 "$A1" 0.1 --wait
for i in 1 2; do send dev1 "$A0" 0.2; done
send dev1 "$A0" 0.2 --wait
send dev2 "$A0" 0.3
send dev2 "$A0" 0.3 --wait
[ "$(wc -l <"$D/sent")" = 10 ] || fail "sent $(wc -l <"$D/sent") txs"

# pages ADDRESS LIMIT: every entry of the account's history, one JSON object
# a line, read page by page with the cursor; checks each page's size.
pages() {
	_cur=""
	_n=0
	: >"$D/all"
	while :; do
		if [ -n "$_cur" ]; then
			cli history "$1" --limit "$2" --cursor "$_cur" --json >"$D/page"
		else
			cli history "$1" --limit "$2" --json >"$D/page"
		fi || fail "history $1 --cursor '$_cur'"
		check ".address == \"$1\"" <"$D/page" || fail "page address: $(cat "$D/page")"
		_cnt=$(field '.txs | length' <"$D/page")
		_cur=$(field '.next // empty' <"$D/page")
		[ "$_cnt" -le "$2" ] || fail "a page of $_cnt entries, limit $2"
		[ -z "$_cur" ] || [ "$_cnt" = "$2" ] || fail "a page of $_cnt before the last"
		jq -c '.txs[]' <"$D/page" >>"$D/all"
		_n=$((_n + 1))
		[ "$_n" -le 50 ] || fail "more than 50 pages"
		[ -n "$_cur" ] || break
	done
}

# expect ADDRESS LIMIT: the history is exactly what $D/sent says names ADDRESS
expect() {
	pages "$1" "$2"
	want=$(awk -v a="$1" -v k0="$A0" -v k1="$A1" -v k2="$A2" '
		{ from = ($2 == "dev0") ? k0 : ($2 == "dev1") ? k1 : k2 }
		from == a { print $1, "sender" }
		$3 == a && from != a { print $1, "recipient" }' "$D/sent" | sort)
	got=$(jq -r '"\(.txid) \(.role)"' <"$D/all" | sort)
	[ "$got" = "$want" ] || fail "history of $1 (pages of $2):
got:
$got
want:
$want"
	# newest first: (height, index) strictly descending across all pages
	jq -s -e '[.[] | [.height, .index]] as $p |
		($p | length) == ($p | unique | length) and $p == ($p | sort | reverse)' \
		<"$D/all" >/dev/null || fail "history of $1 is not newest first: $(cat "$D/all")"
	jq -s -e 'all(.kind == "transfer" and .time_ms > 0)' <"$D/all" >/dev/null ||
		fail "kind or time_ms: $(cat "$D/all")"
}

echo "-- history, page by page"
expect "$A0" 50
expect "$A0" 3
expect "$A0" 1
# each entry agrees with gettx: height, index, sender
jq -r '"\(.txid) \(.height) \(.index) \(.from)"' <"$D/all" >"$D/entries"
while read -r tx h ix from; do
	cli tx "$tx" --json | check ".height == $h and .index == $ix and .from == \"$from\"" ||
		fail "history entry $tx $h $ix $from disagrees with gettx"
done <"$D/entries"
expect "$A1" 4
expect "$A2" 2
echo "history of $A0: $(cli history "$A0" --json | field '.txs | length') txs"

echo "-- no history, text output"
cli keygen --out "$D/new.json" >/dev/null 2>&1 || fail "keygen"
N=$(cli address "$D/new.json")
cli history "$N" --json | check '.txs == [] and .next == null' || fail "empty history"
[ "$(cli history "$N")" = "no transactions" ] || fail "empty text: $(cli history "$N")"
cli history "$A0" --limit 2 >"$D/text"
[ "$(grep -c '^ *[0-9]\+  [0-9a-f]\{64\}  transfer  *\(sender\|recipient\)' "$D/text")" = 2 ] ||
	fail "text lines: $(cat "$D/text")"
grep -q "^(more: --cursor [0-9]*:[0-9]*)$" "$D/text" || fail "no next-page hint: $(cat "$D/text")"
grep -q "recipient  from $A1\|recipient  from $A2" "$D/text" || fail "text from: $(cat "$D/text")"

echo "-- bad params"
req() { rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"getaccounthistory\",\"params\":$1}"; }
req "[\"$A0\", null, 0]" | check '.error.code == -32602 and (.error.message | test("limit.*1 to 500"))' ||
	fail "limit 0"
req "[\"$A0\", null, 501]" | check '.error.code == -32602' || fail "limit 501"
req "[\"$A0\", \"abc\"]" | check '.error.code == -32602 and (.error.message | test("invalid cursor .abc."))' ||
	fail "bad cursor"
req "[\"$A0\", \"5:-1\"]" | check '.error.code == -32602' || fail "bad cursor 5:-1"
req "[\"$A0\", 12]" | check '.error.code == -32602' || fail "cursor of the wrong type"
req '["ember1xyz"]' | check '.error.code == -32602 and (.error.message | test("invalid address"))' ||
	fail "bad address"
req '[]' | check '.error.code == -32602' || fail "no address"
req "{\"address\": \"$A0\", \"limit\": 2}" | check '(.result.txs | length) == 2 and (.result.next | type) == "string"' ||
	fail "params by name"
C=$(req "{\"address\": \"$A0\", \"limit\": 2}" | field .result.next)
req "{\"address\": \"$A0\", \"cursor\": \"$C\", \"limit\": 1}" | check '(.result.txs | length) == 1' ||
	fail "cursor by name"
expect_fail() { # STATUS TEXT CMD...
	_want=$1 _text=$2; shift 2
	_st=0; "$@" >"$D/out" 2>"$D/err" || _st=$?
	[ "$_st" = "$_want" ] || fail "'$*' exited $_st, not $_want"
	grep -qF -- "$_text" "$D/err" || fail "'$*' did not say \"$_text\": $(cat "$D/err")"
}
expect_fail 1 "invalid cursor 'x:1'" cli history "$A0" --cursor x:1
expect_fail 1 "invalid limit '0'" cli history "$A0" --limit 0
kill -0 "$PID" || fail "node died on bad params"

echo "-- after a restart"
cli history "$A0" --json >"$D/before"
kill -9 "$PID"; wait "$PID" 2>/dev/null || true
start_node --quiet
cli history "$A0" --json >"$D/after"
cmp -s "$D/before" "$D/after" || fail "history changed across a restart"
echo "ok"
