# Sourced by integration/setup.sh and bench/setup.sh (bash, set -euo pipefail): what they share to install the
# programs internal/procs starts. The caller sets `who` (its name, for messages) first.

# have NAME: NAME is in PATH or in the sbin folders (nginx and squid are in /usr/sbin, which a non-root PATH may lack).
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }

# apt_install PKG...: installs the apt packages named (none: nothing), as root or through sudo, then stops the system
# services the packages may have started where an init system runs them: the callers run their own copies on free
# ports.
apt_install() {
	[ $# -gt 0 ] || return 0
	echo "$who: installing $*"
	local sudo=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 || { echo "$who: need root (or sudo) to install $*" >&2; exit 1; }
		sudo="sudo"
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
	local pkg
	for pkg in "$@"; do
		case "$pkg" in
		nginx-light) $sudo service nginx stop >/dev/null 2>&1 || true ;;
		squid | tinyproxy | redis-server) $sudo service "$pkg" stop >/dev/null 2>&1 || true ;;
		esac
	done
}

# require BIN...: fails naming the first BIN still missing after the install.
require() {
	local bin
	for bin in "$@"; do
		have "$bin" || { echo "$who: $bin is still missing after the install" >&2; exit 1; }
	done
}
