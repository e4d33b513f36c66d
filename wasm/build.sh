#!/bin/sh
# make wasm: builds the browser bundle into wasm/dist/ and prints its sizes.
#   LDFLAGS   linker flags of the release build (default: -s -w, no symbol table or DWARF)
#   WASM_OPT  1: also run binaryen's wasm-opt -Oz on tether.wasm (Debian's binaryen)
#   GCFLAGS   compiler flags, as one -gcflags value (default: none). 'std=-l' (no inlining in the standard library)
#             makes the bundle 39 kB smaller in gzip, 'all=-l' 65 kB, at a cost in speed in the browser
#             (wasm/README.md, "Size")
#   OUT       output folder (default wasm/dist)
set -eu
GO=${GO:-go}
OUT=${OUT:-wasm/dist}
LDFLAGS=${LDFLAGS--s -w}
GCFLAGS=${GCFLAGS-}
mkdir -p "$OUT"
GOOS=js GOARCH=wasm $GO build -trimpath -gcflags="$GCFLAGS" -ldflags="$LDFLAGS" -o "$OUT/tether.wasm" ./wasm/cmd/tether-wasm
cp "$($GO env GOROOT)/lib/wasm/wasm_exec.js" "$OUT/wasm_exec.js"
cp wasm/js/tether.js wasm/js/tether.d.ts wasm/js/package.json "$OUT/"

need() { # need TOOL PACKAGE: install from apt when missing (as root), else fail with the fix
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ]; then
		echo "installing $2 (for $1)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$2" >/dev/null; }
	fi
	command -v "$1" >/dev/null 2>&1 || { echo "make wasm: $1 is missing: apt-get install $2" >&2; exit 1; }
}
if [ "${WASM_OPT:-0}" = 1 ]; then
	need wasm-opt binaryen
	# Go's wasm uses sign-extension and non-trapping float-to-int; keep every feature enabled.
	wasm-opt -Oz --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory --enable-mutable-globals \
		"$OUT/tether.wasm" -o "$OUT/tether.wasm.opt"
	mv "$OUT/tether.wasm.opt" "$OUT/tether.wasm"
fi
need brotli brotli
raw=$(wc -c <"$OUT/tether.wasm")
gz=$(gzip -9 -c "$OUT/tether.wasm" | wc -c)
br=$(brotli -c -q 11 "$OUT/tether.wasm" | wc -c)
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1000000 }'; }
echo "$OUT/tether.wasm (ldflags '$LDFLAGS'${GCFLAGS:+, gcflags '$GCFLAGS'}${WASM_OPT:+, WASM_OPT=$WASM_OPT}): raw $raw bytes ($(mb "$raw")), gzip -9 $gz ($(mb "$gz")), brotli $br ($(mb "$br"))"
