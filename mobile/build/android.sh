#!/usr/bin/env bash
# Builds tether.aar (and tether-sources.jar) for Android from ./mobile with gomobile.
# Needs: Go, a JDK, the Android SDK (ANDROID_HOME) with an NDK (ANDROID_NDK_HOME, or ndk/<version> under the SDK).
# Not runnable on Tether's CI machine, which has neither SDK nor NDK (make mobile tests the same bindings in a JVM).
# Usage: mobile/build/android.sh [OUT_DIR]   (default: mobile/build/out)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/mobile/build/out}
cd "$ROOT"
: "${ANDROID_HOME:?set ANDROID_HOME to the Android SDK (with an NDK installed: sdkmanager \"ndk;27.2.12479018\")}"
# gomobile and gobind at the version go.mod pins, so the bindings are the ones make mobile tested.
V=$(go list -m -f '{{.Version}}' golang.org/x/mobile)
BIN=$ROOT/mobile/build/bin
GOBIN=$BIN go install "golang.org/x/mobile/cmd/gomobile@$V" "golang.org/x/mobile/cmd/gobind@$V"
export PATH=$BIN:$PATH
mkdir -p "$OUT"
# -androidapi 21: Android 5.0 and later. -javapkg: classes land in dev.tether.mobile (Client, Config, Handler, ...).
gomobile bind -target=android -androidapi 21 -javapkg=dev.tether -trimpath -ldflags=-s -o "$OUT/tether.aar" ./mobile
echo "built $OUT/tether.aar"
