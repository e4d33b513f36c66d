#!/usr/bin/env bash
# Installs what Tether's integration suite needs, when it is missing:
#   apt: nginx-light, tinyproxy, squid, redis-server (and nodejs/npm if there is no node)
#   npm: ws, from integration/node/package-lock.json
# Idempotent: when everything is there it only checks, in well under a second.
# Anything that cannot be installed makes it fail (never a skip).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

who=integration/setup.sh
# shellcheck source=../internal/procs/apt.sh
. "$here/../internal/procs/apt.sh"

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
apt_install "${missing[@]}"
require nginx tinyproxy squid redis-server node npm
[ -x /usr/lib/squid/basic_ncsa_auth ] || { echo "integration/setup.sh: /usr/lib/squid/basic_ncsa_auth is missing" >&2; exit 1; }

if [ ! -f "$here/node/node_modules/ws/package.json" ]; then
	echo "integration/setup.sh: npm ci (ws)"
	(cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error)
fi
[ -f "$here/node/node_modules/ws/package.json" ] || { echo "integration/setup.sh: npm did not install ws" >&2; exit 1; }
