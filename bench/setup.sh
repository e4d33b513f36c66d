#!/usr/bin/env bash
# Installs what `make bench` needs, when it is missing (as integration/setup.sh does):
#   apt: nginx-light, squid, tinyproxy, redis-server (and nodejs/npm if there is no node)
#   npm: socket.io, socket.io-client, https-proxy-agent, from bench/node/package-lock.json
# Idempotent: when everything is there it only checks. Anything that cannot be installed fails.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

who=bench/setup.sh
# shellcheck source=../internal/procs/apt.sh
. "$here/../internal/procs/apt.sh"

missing=()
have nginx || missing+=(nginx-light)
have squid || missing+=(squid)
have tinyproxy || missing+=(tinyproxy)
have redis-server || missing+=(redis-server)
have taskset || missing+=(util-linux)
have node || missing+=(nodejs)
have npm || missing+=(npm)
apt_install "${missing[@]}"
require nginx squid tinyproxy redis-server taskset node npm

if [ ! -f "$here/node/node_modules/https-proxy-agent/package.json" ] || [ ! -f "$here/node/node_modules/socket.io/package.json" ]; then
	echo "bench/setup.sh: npm ci (socket.io, socket.io-client, https-proxy-agent)"
	(cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error)
fi
[ -f "$here/node/node_modules/https-proxy-agent/package.json" ] || { echo "bench/setup.sh: npm did not install https-proxy-agent" >&2; exit 1; }
