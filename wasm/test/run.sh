#!/bin/sh
# make wasm-test: the browser build in real headless Chromium.
# Builds the bundle (make wasm), installs Debian's chromium and certutil and playwright-core (npm ci) when missing,
# starts the test server (wasm/test/server: test pages, the bundle, a Tether endpoint and the controls of the cut,
# freeze and blocked-upgrade scenarios on one https origin with a fresh test CA), a real `tether serve` (echo mode,
# the pages and the bundle as its --static site) with nginx in front of it (wasm/test/nginx.conf.tmpl: an origin
# without Upgrade forwarding, one that also buffers event streams) and `tether serve` with examples/browser, trusts that CA through an NSS db, and runs wasm/test/www/tests.js's scenarios through
# wasm/test/driver/drive.mjs. Arguments: scenario names (default: all).
set -eu
cd "$(dirname "$0")/../.."
GO=${GO:-go}

need() { # need TOOL PACKAGE...
	command -v "$1" >/dev/null 2>&1 && return 0
	tool=$1
	shift
	if [ "$(id -u)" != 0 ]; then
		echo "wasm-test: $tool is missing: apt-get install $*" >&2
		exit 1
	fi
	echo "installing $* (for $tool)"
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >/dev/null
}
need chromium chromium
need certutil libnss3-tools
need node nodejs npm
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need nginx nginx-light
nginx=$(command -v nginx || echo /usr/sbin/nginx)
(cd wasm/test/driver && { [ -d node_modules/playwright-core ] || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund; })

GO=$GO sh wasm/build.sh

work=$(mktemp -d)
srv_pid=
nginx_pid=
example_pid=
echo_pid=
cleanup() {
	[ -n "$example_pid" ] && kill "$example_pid" 2>/dev/null && wait "$example_pid" 2>/dev/null
	[ -n "$echo_pid" ] && kill "$echo_pid" 2>/dev/null && wait "$echo_pid" 2>/dev/null
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT INT TERM
$GO build -o "$work/server" ./wasm/test/server
"$work/server" -certs "$work/certs" -www wasm/test/www -dist wasm/dist -portfile "$work/port" 2>"$work/server.log" &
srv_pid=$!
i=0
while [ ! -s "$work/port" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$srv_pid" 2>/dev/null; then
		echo "wasm-test: the test server did not start:" >&2
		cat "$work/server.log" >&2
		exit 1
	fi
	sleep 0.1
done
port=$(cat "$work/port")

freeport() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
waitport() { # waitport PORT PID NAME LOG
	i=0
	until node -e "require('net').connect($1,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$2" 2>/dev/null; then
			echo "wasm-test: $3 did not start:" >&2
			cat "$4" >&2
			exit 1
		fi
		sleep 0.1
	done
}
$GO build -o "$work/tether" ./cmd/tether

# A real `tether serve` (echo mode) behind nginx: the test pages and the bundle as its --static site, /live its
# endpoint, with the test CA's certificate.
mkdir -p "$work/site"
cp -R wasm/test/www/. "$work/site/"
cp -R wasm/dist "$work/site/dist"
echo_port=$(freeport)
"$work/tether" serve --cert "$work/certs/cert.pem" --key "$work/certs/key.pem" --listen "127.0.0.1:$echo_port" \
	--mode echo --path /live --static "$work/site" 2>"$work/echo.log" &
echo_pid=$!
waitport "$echo_port" "$echo_pid" "tether serve (echo, behind nginx)" "$work/echo.log"

# nginx in front of it: two origins, one without Upgrade forwarding, one that also buffers event streams.
noupgrade=$(freeport)
buffering=$(freeport)
mkdir -p "$work/nginx/tmp" "$work/nginx/logs"
sed -e "s|@PREFIX@|$work/nginx|g" -e "s|@CERT@|$work/certs/cert.pem|g" -e "s|@KEY@|$work/certs/key.pem|g" \
	-e "s|@BACKEND_PORT@|$echo_port|g" -e "s|@NOUPGRADE_PORT@|$noupgrade|g" -e "s|@BUFFERING_PORT@|$buffering|g" \
	wasm/test/nginx.conf.tmpl >"$work/nginx/nginx.conf"
"$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx.log" &
nginx_pid=$!
waitport "$buffering" "$nginx_pid" nginx "$work/nginx.log"

# examples/browser on a real `tether serve --static` (chat mode), with the same certificate.
example=$(freeport)
"$work/tether" serve --cert "$work/certs/cert.pem" --key "$work/certs/key.pem" --listen "127.0.0.1:$example" \
	--mode chat --path /live --static examples/browser 2>"$work/tether.log" &
example_pid=$!
waitport "$example" "$example_pid" "tether serve (the example)" "$work/tether.log"

mkdir -p "$work/home/.pki/nssdb"
certutil -d "sql:$work/home/.pki/nssdb" -N --empty-password
certutil -d "sql:$work/home/.pki/nssdb" -A -t "C,," -n tether-wasm-test-ca -i "$work/certs/ca.pem"
status=0
NSS_HOME="$work/home" ORIGIN_EXAMPLE="https://127.0.0.1:$example" ORIGIN_NOUPGRADE="https://127.0.0.1:$noupgrade" ORIGIN_BUFFERING="https://127.0.0.1:$buffering" \
	node wasm/test/driver/drive.mjs "https://127.0.0.1:$port" "$@" || status=$?
if [ $status != 0 ]; then
	echo "--- test server log" >&2
	tail -50 "$work/server.log" >&2
fi
exit $status
