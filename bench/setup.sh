#!/usr/bin/env bash
# Installs what `make bench` needs, when it is missing (as integration/setup.sh does):
#   apt: nginx-light, squid, tinyproxy, redis-server (and nodejs/npm if there is no node)
#   npm: socket.io, socket.io-client, https-proxy-agent, from bench/node/package-lock.json
# Idempotent: when everything is there it only checks. Anything that cannot be installed fails.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

missing=()
have nginx || missing+=(nginx-light)
have squid || missing+=(squid)
have tinyproxy || missing+=(tinyproxy)
have redis-server || missing+=(redis-server)
have taskset || missing+=(util-linux)
have node || missing+=(nodejs)
have npm || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
	echo "bench/setup.sh: installing ${missing[*]}"
	sudo=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 || { echo "bench/setup.sh: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
		sudo="sudo"
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# The bench runs its own copies on free ports: stop the system services the packages may have started.
	for pkg in "${missing[@]}"; do
		case "$pkg" in
		nginx-light) $sudo service nginx stop >/dev/null 2>&1 || true ;;
		squid | tinyproxy | redis-server) $sudo service "$pkg" stop >/dev/null 2>&1 || true ;;
		esac
	done
fi

for bin in nginx squid tinyproxy redis-server taskset node npm; do
	have "$bin" || { echo "bench/setup.sh: $bin is still missing after the install" >&2; exit 1; }
done

if [ ! -f "$here/node/node_modules/https-proxy-agent/package.json" ] || [ ! -f "$here/node/node_modules/socket.io/package.json" ]; then
	echo "bench/setup.sh: npm ci (socket.io, socket.io-client, https-proxy-agent)"
	(cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error)
fi
[ -f "$here/node/node_modules/https-proxy-agent/package.json" ] || { echo "bench/setup.sh: npm did not install https-proxy-agent" >&2; exit 1; }
