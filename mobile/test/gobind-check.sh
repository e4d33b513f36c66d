#!/usr/bin/env bash
# Generates the Java and Objective-C bindings of ./mobile with the gobind pinned in go.mod, and fails when gobind
# skipped any API member (it exits 0 and only leaves a `// skipped` comment). Also vets the package for Android and iOS
# without cgo. Usage: mobile/test/gobind-check.sh [OUTDIR]   (from anywhere; OUTDIR defaults to a temp folder)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$(mktemp -d)}
cd "$ROOT"
GOOS=android GOARCH=arm64 CGO_ENABLED=0 go vet ./mobile
GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 go vet ./mobile # go vet refuses ios/arm64 without cgo (external linking)
for target in android/arm64 android/amd64 ios/arm64 ios/amd64; do
  GOOS=${target%/*} GOARCH=${target#*/} CGO_ENABLED=0 go build ./mobile
done
rm -rf "$OUT/gen"
go tool gobind -lang=go,java,objc -outdir "$OUT/gen" ./mobile
if grep -rn '// skipped' "$OUT/gen"; then
  echo "gobind skipped the API members above: give them bindable types (see mobile/README.md)" >&2
  exit 1
fi
echo "gobind: every member of ./mobile bound ($(ls "$OUT/gen/java/mobile" | wc -l) Java files, $OUT/gen)"
