#!/usr/bin/env bash
# Installs what the JVM test of the mobile bindings (jni-test.sh) needs, when it is missing: gcc and ar (cgo, the JNI
# library) and a JDK (javac, java). Idempotent; anything that cannot be installed makes it fail (never a skip).
set -euo pipefail
have() { command -v "$1" >/dev/null 2>&1; }
missing=()
have gcc || missing+=(gcc libc6-dev)
have ar || missing+=(binutils)
{ have javac && have java; } || missing+=(openjdk-17-jdk-headless)
if [ ${#missing[@]} -gt 0 ]; then
	echo "mobile/test/setup.sh: installing ${missing[*]}"
	sudo=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 || { echo "mobile/test/setup.sh: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
		sudo="sudo"
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
v=$(javac -version 2>&1 | sed -n 's/^javac \([0-9]*\).*/\1/p')
[ -n "$v" ] && [ "$v" -ge 11 ] || { echo "mobile/test/setup.sh: need a JDK >= 11, have: $(javac -version 2>&1)" >&2; exit 1; }
