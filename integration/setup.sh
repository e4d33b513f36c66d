#!/usr/bin/env bash
# Installs what Tether's integration suite needs, when it is missing:
#   apt: nginx-light, tinyproxy, squid, redis-server (and nodejs/npm if there is no node)
#   npm: ws, from integration/node/package-lock.json
# Idempotent: when everything is there it only checks, in well under a second.
# Anything that cannot be installed makes it fail (never a skip).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

missing=()
have nginx || missing+=(nginx-light)
have tinyproxy || missing+=(tinyproxy)
have redis-server || missing+=(redis-server)
if have squid; then
	[ -x /usr/lib/squid/basic_ncsa_auth ] || missing+=(squid) # its Basic auth helper
else
	missing+=(squid)
fi
have node || missing+=(nodejs)
have npm || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
	echo "integration/setup.sh: installing ${missing[*]}"
	sudo=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 || { echo "integration/setup.sh: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
		sudo="sudo"
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# The packages start their system services where an init system runs them;
	# the suite runs its own copies on free ports, so stop the services of the
	# packages just installed, if they came up.
	for pkg in "${missing[@]}"; do
		case "$pkg" in
		nginx-light) $sudo service nginx stop >/dev/null 2>&1 || true ;;
		tinyproxy | squid | redis-server) $sudo service "$pkg" stop >/dev/null 2>&1 || true ;;
		esac
	done
fi

for bin in nginx tinyproxy squid redis-server node npm; do
	have "$bin" || { echo "integration/setup.sh: $bin is still missing after the install" >&2; exit 1; }
done
[ -x /usr/lib/squid/basic_ncsa_auth ] || { echo "integration/setup.sh: /usr/lib/squid/basic_ncsa_auth is missing" >&2; exit 1; }

if [ ! -f "$here/node/node_modules/ws/package.json" ]; then
	echo "integration/setup.sh: npm ci (ws)"
	(cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error)
fi
[ -f "$here/node/node_modules/ws/package.json" ] || { echo "integration/setup.sh: npm did not install ws" >&2; exit 1; }
