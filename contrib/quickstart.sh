#!/usr/bin/env bash
# quickstart.sh — set up and start lookout on a Debian/Ubuntu machine: installs the build dependencies that
# are missing (apt-get, needs root), builds in ./build, and starts lookout against the local Docker engine:
# the dashboard when run on a terminal, else `lookout --daemon` with its files in ./logs. Extra arguments go
# to lookout (e.g. --interval 1).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DEPS="build-essential autoconf automake libtool pkg-config libncurses-dev libcurl4-openssl-dev
libcjson-dev libssl-dev libpq-dev libesmtp-dev libmicrohttpd-dev"

missing=()
for p in $BUILD_DEPS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "quickstart: missing packages: ${missing[*]}; run as root or install them first" >&2
		exit 1
	fi
	echo "quickstart: installing ${missing[*]}"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

[ -x configure ] || autoreconf -fi
mkdir -p build
if [ ! -f build/Makefile ]; then
	(cd build && ../configure --quiet)
fi
make -C build -j"$(nproc)" --quiet lookout

if [ -t 0 ] && [ -t 1 ]; then
	exec build/lookout --output-dir logs "$@"
fi
echo "quickstart: starting lookout --daemon (files in ./logs; Ctrl-C stops it)"
exec build/lookout --daemon --output-dir logs "$@"
