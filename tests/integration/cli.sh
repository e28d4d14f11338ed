#!/bin/sh
# Integration: ember-cli against a real emberd --dev on 127.0.0.1.
#  1. every RPC method the node serves (its "help" table) has a command,
#     and every method a command names is served: a method added to
#     rpc/ without a command fails here;
#  2. 'help CMD' prints that command only, an unknown one exits 2;
#     --version; 'rpc METHOD [JSON]' for any method, bad JSON exits 2;
#  3. reads take --json; at a terminal (script(1)) status and tx print
#     text with amounts in EMB; send --wait prints the txid once;
#  4. keys: keygen --mnemonic prints 24 words, import --mnemonic of them
#     gives the same key (export), --index and the mnemonic passphrase give
#     other keys, the published "abandon ... about" phrase gives the key
#     docs/wallet.md quotes, a typed phrase's mistakes are named; an
#     imported key signs a transfer the node accepts;
#  5. admin calls need the cookie: refused without, done with --datadir
#     or --rpc-cookie; 'stop' stops the node.
set -eu
BIN=${BIN:-bin}
. "$(dirname "$0")/lib/node.sh"
it_setup cli

export EMBER_PASSPHRASE=""
ABOUT="abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
# ember key 0 of $ABOUT without a mnemonic passphrase (docs/wallet.md)
ABOUT_ADDR0=ember1qjcgx58f23vuqqq0jtz9t3whjadmycpaua7fu6fkmgmsmlw2lvcq20wfzd

# expect_fail STATUS TEXT CMD...: CMD exits STATUS and says TEXT on stderr.
expect_fail() {
	_want=$1 _text=$2
	shift 2
	_st=0
	"$@" >"$D/out" 2>"$D/err" || _st=$?
	[ "$_st" = "$_want" ] ||
		fail "'$*' exited $_st, not $_want: $(cat "$D/out" "$D/err")"
	grep -qF -- "$_text" "$D/err" ||
		fail "'$*' did not say \"$_text\": $(cat "$D/err")"
}
# at a terminal: script(1) gives the command a pty
tty_run() { script -qec "$*" /dev/null | tr -d '\r'; }

echo "-- help, version"
"$BIN/ember-cli" --version | grep -Eq '^ember-cli [0-9]+\.[0-9]+\.[0-9]+' ||
	fail "--version: $("$BIN/ember-cli" --version)"
"$BIN/ember-cli" help send >"$D/help"
grep -q "^usage: ember-cli send TO AMOUNT" "$D/help" || fail "help send: $(cat "$D/help")"
[ "$(grep -c 'usage:' "$D/help")" = 1 ] || fail "help send printed more: $(cat "$D/help")"
! grep -q "keygen\|provider-register" "$D/help" || fail "help send printed others"
expect_fail 2 "unknown command 'nosuch'" "$BIN/ember-cli" help nosuch
expect_fail 2 "contradict" "$BIN/ember-cli" --rpc-ca /dev/null --insecure status

start_node --quiet
K="$D/data/dev-keys"

echo "-- every RPC method has a command"
cli methods --json | jq -r '.[].name' | sort >"$D/node-methods"
[ -s "$D/node-methods" ] || fail "the node lists no methods"
"$BIN/ember-cli" --list-rpc-methods | sort -u >"$D/cli-methods"
missing=$(comm -23 "$D/node-methods" "$D/cli-methods" | tr '\n' ' ')
[ -z "$missing" ] || fail "RPC methods without an ember-cli command: $missing"
unknown=$(comm -13 "$D/node-methods" "$D/cli-methods" | tr '\n' ' ')
[ -z "$unknown" ] || fail "ember-cli commands name methods the node lacks: $unknown"
echo "$(wc -l <"$D/node-methods") methods, each with a command"

echo "-- rpc METHOD [JSON]"
wait_height 1
cli rpc getstatus | check '.height >= 1' || fail "rpc getstatus"
cli rpc getblock '[1]' | check '.height == 1' || fail "rpc getblock [1]"
cli rpc getblock '{"id": 1}' | check '.height == 1' || fail "rpc getblock by name"
expect_fail 2 "invalid JSON params" cli rpc getblock '[1'
expect_fail 2 "expected an array" cli rpc getblock 1
expect_fail 1 "not found" cli rpc nosuchmethod

echo "-- reads: --json, and text in EMB at a terminal"
A1=$(cli address "$K/dev1.json")
cli status --json | check '.height >= 1' || fail "status --json"
tty_run "$BIN/ember-cli" --rpc "$RPC" status >"$D/status.txt"
grep -q "^min fee .* EMB$" "$D/status.txt" || fail "status text: $(cat "$D/status.txt")"
out=$(cli send "$A1" 1.25 --from "$K/dev0.json" --wait) || fail "send --wait: $out"
TX=$(echo "$out" | awk '/committed in block/ {print $2}')
[ -n "$TX" ] || fail "send --wait printed '$out'"
[ "$(echo "$out" | grep -o "$TX" | wc -l)" = 1 ] || fail "send --wait printed the txid more than once: $out"
cli tx "$TX" --json | check '.status == "committed" and .amount == "1250000000"' ||
	fail "tx --json $TX"
tty_run "$BIN/ember-cli" --rpc "$RPC" tx "$TX" >"$D/tx.txt"
grep -q "^amount *1.25 EMB$" "$D/tx.txt" || fail "tx text: $(cat "$D/tx.txt")"
grep -q "^fee .* EMB$" "$D/tx.txt" || fail "tx text fee: $(cat "$D/tx.txt")"
H=$(cli tx "$TX" --json | field .height)
cli block "$H" --json | check ".txids | index(\"$TX\") != null" || fail "block --json"
cli balance "$A1" --json | check '.balance | tonumber > 0' || fail "balance --json"
cli challenges --json | check '.counts != null' || fail "challenges --json"
cli challenge "$A1" --json | check '.registered == false' || fail "challenge --json"

echo "-- keys: mnemonic, import, export"
cli keygen --mnemonic --out "$D/m0.json" >"$D/keygen.out" 2>"$D/keygen.err" ||
	fail "keygen --mnemonic: $(cat "$D/keygen.err")"
WORDS=$(sed -n 1p "$D/keygen.out")
M0=$(sed -n 2p "$D/keygen.out")
[ "$(echo "$WORDS" | wc -w)" = 24 ] || fail "keygen --mnemonic printed '$WORDS'"
[ "$(cli address "$D/m0.json")" = "$M0" ] || fail "keygen --mnemonic address"
grep -q "write these 24 words down" "$D/keygen.err" || fail "no warning: $(cat "$D/keygen.err")"
[ "$(stat -c %a "$D/m0.json")" = 600 ] || fail "keystore mode $(stat -c %a "$D/m0.json")"

echo "$WORDS" | cli import --mnemonic --out "$D/m0b.json" >"$D/imp" || fail "import"
[ "$(cat "$D/imp")" = "$M0" ] || fail "import gave $(cat "$D/imp"), keygen $M0"
S0=$(cli export "$D/m0.json" 2>"$D/export.err")
[ "$(cli export "$D/m0b.json" 2>/dev/null)" = "$S0" ] || fail "export differs"
echo "$S0" | grep -Eq '^[0-9a-f]{64}$' || fail "export printed '$S0'"
grep -q "warning: this is the secret key of '$M0'" "$D/export.err" ||
	fail "export warning: $(cat "$D/export.err")"

M1=$(echo "$WORDS" | cli import --mnemonic --index 1 --out "$D/m1.json")
[ -n "$M1" ] && [ "$M1" != "$M0" ] || fail "--index 1 gave '$M1'"
printf 'TREZOR\n' >"$D/bip39pass"
MP=$(echo "$WORDS" | cli import --mnemonic --mnemonic-passphrase-file "$D/bip39pass" \
	--out "$D/mp.json")
[ -n "$MP" ] && [ "$MP" != "$M0" ] && [ "$MP" != "$M1" ] ||
	fail "a mnemonic passphrase gave '$MP'"
ABOUT0=$(printf '  %s\n' "$ABOUT" | cli import --mnemonic --out "$D/about.json")
[ "$ABOUT0" = "$ABOUT_ADDR0" ] || fail "'abandon ... about' gave $ABOUT0, not $ABOUT_ADDR0"

bad() { echo "$1" | expect_fail 1 "$2" cli import --mnemonic --out "$D/bad.json"; }
bad "$(echo "$ABOUT" | sed 's/about$/abandon/')" "checksum mismatch"
bad "$(echo "$ABOUT" | sed 's/^abandon abandon abandon/abandon abandon abandn/')" \
	"unknown word 'abandn' (word 3)"
bad "$(echo "$WORDS" | cut -d' ' -f1-23)" "23 words"
bad "" "0 words"
[ ! -e "$D/bad.json" ] || fail "a refused import wrote a keystore"
expect_fail 1 "already exists" cli keygen --mnemonic --out "$D/m0.json"
expect_fail 2 "needs --mnemonic" cli import --out "$D/bad.json"
expect_fail 2 "invalid index" cli import --mnemonic --index 2147483648 --out "$D/bad.json"

# an imported key is a working account
cli send "$M1" 2 --from "$K/dev0.json" --wait >/dev/null || fail "fund $M1"
out=$(cli send "$A1" 1 --from "$D/m1.json" --wait) || fail "send from an imported key: $out"

echo "-- admin calls need the cookie"
expect_fail 1 "authoriz" cli listbanned
cli --datadir "$D/data" listbanned --json | check 'type == "array"' || fail "listbanned --datadir"
cli --rpc-cookie "$D/data/.cookie" listbanned --json | check 'type == "array"' ||
	fail "listbanned --rpc-cookie"
expect_fail 1 "cannot read rpc cookie '$D/nope'" cli --rpc-cookie "$D/nope" listbanned
cli --datadir "$D/data" stop >"$D/stop.out" || fail "stop: $(cat "$D/stop.out")"
grep -qi "stopping" "$D/stop.out" || fail "stop said '$(cat "$D/stop.out")'"
for i in $(seq 1 300); do
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
! kill -0 "$PID" 2>/dev/null || fail "the node still runs 30 s after 'stop'"
wait "$PID" 2>/dev/null || true
PID=""
echo "ok"
