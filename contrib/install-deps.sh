#!/usr/bin/env bash
# Install what memberdesk needs to build, test and run its demo on Debian 12.
# The mail servers are only used by the tests and the demo, which start their
# own private instances; their packages must not start the system's copies,
# so a policy-rc.d that forbids service starts is in place during the install.
set -euo pipefail

packages=(
	build-essential autoconf automake pkg-config
	libetpan-dev libcurl4-gnutls-dev libsqlite3-dev libconfuse-dev libcmocka-dev
	libjansson-dev libpcre2-dev libxml2-dev libgnutls28-dev
	dovecot-imapd dovecot-lmtpd exim4-daemon-light
	python3 python3-aiosmtpd gnutls-bin openssl clang sqlite3 ca-certificates locales tzdata
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (apt-get install)" >&2
	exit 1
fi

created_policy=no
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	created_policy=yes
fi
cleanup() { [ "$created_policy" = yes ] && rm -f /usr/sbin/policy-rc.d; return 0; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
echo "install-deps: ${#packages[@]} packages present"
