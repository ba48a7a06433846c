# deps.sh — the Debian 12 packages that building lookout and running its full test suite need.
# One list, sourced by .ci/run and tests/run-all. Installs only what is missing (apt is slow).

DEPS_PACKAGES="build-essential autoconf automake libtool pkg-config
	libncurses-dev libcurl4-openssl-dev libcjson-dev libpq-dev libesmtp-dev libmicrohttpd-dev libssl-dev
	docker.io busybox-static tmux python3 ca-certificates curl clang libclang-rt-14-dev
	python3-aiosmtpd chromium fonts-dejavu-core prometheus postgresql
	docker-compose debootstrap openssl"

# deps_missing: the packages of the list that dpkg does not have installed, one per line.
deps_missing() {
	local p
	for p in $DEPS_PACKAGES; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
	done
}

# deps_install: install what is missing, without letting apt start any daemon (docker.io would
# otherwise start the machine's default engine). Returns non-zero when it could not.
deps_install() {
	local missing sudo= made_policy= status
	command -v dpkg-query >/dev/null 2>&1 || {
		echo "deps: not a Debian system; install these yourself: $(echo $DEPS_PACKAGES)" >&2
		return 0
	}
	missing=$(deps_missing)
	if [ -z "$missing" ]; then
		echo "deps: all $(echo $DEPS_PACKAGES | wc -w) packages already installed"
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			sudo="sudo -n"
		else
			echo "deps: missing $(echo $missing); run as root (or with passwordless sudo), or:" >&2
			echo "  apt-get install --no-install-recommends $(echo $missing)" >&2
			return 1
		fi
	fi
	echo "deps: installing $(echo $missing)"
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null &&
			$sudo chmod +x /usr/sbin/policy-rc.d && made_policy=1
	fi
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
			</dev/null
	status=$?
	# Leave the machine's policy as it was, unless this is a throwaway CI machine.
	[ -n "$made_policy" ] && [ -z "${CI:-}" ] && $sudo rm -f /usr/sbin/policy-rc.d
	[ $status -eq 0 ] || echo "deps: apt-get failed (status $status)" >&2
	return $status
}
