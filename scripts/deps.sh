#!/bin/sh
# Install the Debian packages Ember needs, only when something is missing.
# Uses sudo when not root.  Safe to run again and again.
set -e
# man-db: tests/integration/install.sh checks the man pages with man.
PKGS="build-essential pkg-config libsecp256k1-dev libsodium-dev liblmdb-dev \
libevent-dev libssl-dev libjansson-dev libcmocka-dev jq curl python3 chromium \
man-db"
# gnuplot draws ember-sim's sim.svg (tests/integration/sim.sh needs it).
PKGS="$PKGS gnuplot-nox"
# promtool, which tests/integration/metrics.sh checks /metrics with, comes
# with Debian's Prometheus (the server is installed too, not started here).
PKGS="$PKGS prometheus"
# The explorer's browser test (tests/integration/explorer.sh) runs on Node.js
# and npm: Debian's, unless the machine has its own (a nodejs package of
# another origin bundles npm and conflicts with Debian's).
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
