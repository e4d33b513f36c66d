#!/usr/bin/env bash
# Builds Tether.xcframework for iOS (device and simulator) and macOS from ./mobile with gomobile.
# Needs: macOS with Xcode and its command line tools (xcode-select --install), Go.
# Not runnable on Tether's CI machine (Linux, no Xcode); make mobile generates the Objective-C bindings there and checks
# that nothing is skipped, but cannot compile them.
# Usage: mobile/build/ios.sh [OUT_DIR]   (default: mobile/build/out)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/mobile/build/out}
cd "$ROOT"
[ "$(uname -s)" = Darwin ] || { echo "ios.sh: needs macOS with Xcode" >&2; exit 1; }
xcrun --sdk iphoneos --show-sdk-path >/dev/null || { echo "ios.sh: Xcode's iphoneos SDK not found (xcode-select -s /Applications/Xcode.app)" >&2; exit 1; }
V=$(go list -m -f '{{.Version}}' golang.org/x/mobile)
BIN=$ROOT/mobile/build/bin
GOBIN=$BIN go install "golang.org/x/mobile/cmd/gomobile@$V" "golang.org/x/mobile/cmd/gobind@$V"
export PATH=$BIN:$PATH
mkdir -p "$OUT"
# -prefix Tether: the classes are TetherMobileClient, TetherMobileConfig, the protocol TetherMobileHandler.
gomobile bind -target=ios,iossimulator,macos -iosversion 13.0 -prefix Tether -trimpath -ldflags=-s -o "$OUT/Tether.xcframework" ./mobile
echo "built $OUT/Tether.xcframework"
