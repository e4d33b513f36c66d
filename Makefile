# Tether's build and test entry points. `make test` runs every test the project has.
GO ?= go
# Packages the browser (js/wasm) build imports; they must vet clean for GOOS=js GOARCH=wasm.
WASM_PKGS ?= ./transport/... ./fallback/... ./internal/wire/... ./internal/seq/... ./internal/link/... ./internal/sse/... ./internal/jsutil/... ./internal/xfmt ./internal/urlx/... ./client/... ./wasm/...
# Execution counts, not wall time: a wall-clock -fuzztime can end in the coordinator's deadline race
# (golang/go#75804, "context deadline exceeded" with no crasher) on a loaded machine.
FUZZTIME ?= 2000x

.PHONY: test check fmt vet vet-wasm wasm-deps api unit fuzz build integration staticcheck mobile redis-test

test: check unit redis-test fuzz integration wasm-unit wasm-test mobile
	@echo "make test: all checks passed"

check: fmt vet vet-wasm wasm-deps api build staticcheck

# staticcheck, pinned; run through `go run` so the SDK's go.mod does not carry the tool's dependencies.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
staticcheck:
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags integration ./integration/...
	$(GO) run $(STATICCHECK) -tags redis ./server/... ./cmd/tether/

build:
	$(GO) build ./...

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

vet-wasm:
	GOOS=js GOARCH=wasm $(GO) build $(WASM_PKGS)
	GOOS=js GOARCH=wasm $(GO) vet $(WASM_PKGS)

# The browser build keeps net/http, net, crypto/tls and crypto/x509 out of its bundle (issue 12): the JS bridge and the
# packages it runs on must not import them on js/wasm. Nor encoding/json, log/slog, mime, net/url (internal/urlx has a
# copy of its URL), fmt, reflect, os and net/netip (the bundle's size: see wasm/README.md, "Size"). The check on the
# linked code (a build with symbols may hold no function of WASM_FORBIDDEN_CODE: wasm/cmd/wasmsize) stays as a second
# guard.
WASM_FORBIDDEN = net net/http crypto/tls crypto/x509 encoding/json log/slog mime net/url fmt reflect os net/netip
WASM_FORBIDDEN_CODE = fmt,reflect,encoding/json,log/slog,mime
wasm-deps:
	@set -e; for pkg in ./wasm/cmd/tether-wasm ./client ./transport ./fallback; do \
	  deps=$$(GOOS=js GOARCH=wasm $(GO) list -deps $$pkg); \
	  for bad in $(WASM_FORBIDDEN); do \
	    if echo "$$deps" | grep -qx "$$bad"; then \
	      echo "wasm-deps: $$pkg imports $$bad on js/wasm:"; \
	      GOOS=js GOARCH=wasm $(GO) list -deps -f '{{.ImportPath}}: {{join .Imports " "}}' $$pkg | grep -E " $$bad( |\$$)" | grep -v "^$$bad:" | head -5; \
	      exit 1; \
	    fi; \
	  done; \
	done; echo "wasm-deps: none of $(WASM_FORBIDDEN) in the browser build"
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	GOOS=js GOARCH=wasm $(GO) build -trimpath -o "$$tmp/tether.wasm" ./wasm/cmd/tether-wasm; \
	$(GO) run ./wasm/cmd/wasmsize -top 0 -forbid $(WASM_FORBIDDEN_CODE) "$$tmp/tether.wasm"; \
	$(GO) run ./internal/xfmt/rewrite -check; \
	echo "wasm-deps: no code of $(WASM_FORBIDDEN_CODE) linked into the bundle; the core's js files use internal/xfmt"

# No exported identifier a module outside cannot use: no internal types and no gorilla types in exported signatures.
api:
	$(GO) test -count=1 -run '^TestExportedAPI$$' ./internal/apicheck/

unit:
	$(GO) test -race -count=1 ./...
	# Stack sizes are larger under -race: the idle-memory test (build tag !race) runs here without it.
	$(GO) test -count=1 -run '^TestIdleClientMemory$$' ./client/

# Short runs of every fuzz target (seed corpora are in testdata/fuzz and also run in `unit`).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "fuzz $$pkg $$t"; \
	    $(GO) test -run='^$$' -fuzz="^$$t\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

# The shared store on a real Redis (server/redisstore, build tag `redis`): the tests start redis-server themselves
# on a free loopback port and fail without it; this target installs it from apt when it is missing. TestCluster
# (server/redisstore) and TestServeRedisClusterChat start a 3-master Redis Cluster the same way (redis-cli joins it).
redis-test:
	@command -v redis-server >/dev/null && command -v redis-cli >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends redis-server; }
	$(GO) vet -tags redis ./server/... ./cmd/tether/
	$(GO) test -tags redis -race -count=1 ./server/redisstore/
	$(GO) test -tags redis -race -count=1 -run 'Redis' ./cmd/tether/

# The hostile-network suite (integration/): real nginx, tinyproxy, squid and Node's ws on loopback, the real client,
# server/ as the backend. setup.sh installs what is missing (apt, npm); a component that cannot be installed fails the
# run. The tests carry the build tag `integration`, so a plain `go test ./...` leaves them out. Writes
# integration/RESULTS.md.
integration:
	bash integration/setup.sh
	$(GO) vet -tags integration ./integration/...
	$(GO) test -tags integration -race -count=1 -timeout 30m ./integration/...

# The browser bundle (issue 12): wasm/dist/ with tether.wasm, wasm_exec.js (from this Go), tether.js, tether.d.ts and
# package.json; prints raw, gzip -9 and brotli sizes. LDFLAGS='' builds with symbols; WASM_OPT=1 adds wasm-opt -Oz.
.PHONY: wasm wasm-test wasm-unit
wasm:
	GO=$(GO) sh wasm/build.sh

# wasm/'s Go tests that need no server, run in Node through the Go toolchain's go_js_wasm_exec.
wasm-unit:
	PATH="$$PATH:$$($(GO) env GOROOT)/lib/wasm" GOOS=js GOARCH=wasm $(GO) test -count=1 ./wasm/... ./fallback/ ./transport/ ./internal/jsutil/ ./internal/link/ ./internal/xfmt/ ./internal/urlx/ ./internal/wire/

# The browser build in real headless Chromium (Debian's, through playwright-core) against a real server.Handler on an
# https origin whose test CA is trusted through an NSS db; installs chromium, certutil and playwright-core if missing.
wasm-test:
	GO=$(GO) sh wasm/test/run.sh

# The gomobile bindings (mobile/, issue 13): gobind (pinned in go.mod as a tool) over ./mobile, failing on any member it
# skips; GOOS=android and GOOS=ios builds without cgo; then the generated Java + Go glue built as a linux JNI library
# and driven from a plain JVM against real `tether serve` processes (mobile/test/java/tethertest/BindTest.java). setup.sh installs gcc
# and a JDK when missing. About 20 s warm, 3 minutes cold (the cgo build). The real targets (.aar, .xcframework) need
# the Android SDK/NDK or Xcode: see mobile/README.md.
mobile:
	bash mobile/test/setup.sh
	bash mobile/test/jni-test.sh

# Side-by-side benchmarks (issues 7, 14, 15, 16): Tether against gorilla/websocket, coder/websocket and Socket.IO, and
# against the machine's AES-GCM limit; time to connected through real nginx, squid and tinyproxy beside Socket.IO; several
# nodes on Redis against the in-memory store. bench/ is a module of its own (its comparison-only dependencies stay out of
# go.mod); bench/node holds Socket.IO. bench/setup.sh installs what is missing (apt: nginx-light, squid, tinyproxy,
# redis-server; npm ci in bench/node). Prints the table and writes BENCHMARKS.md (above its keep marker); about 7 minutes
# on 2 cores. BENCHFLAGS=-quick: short runs for developing the harness; -only 3,7 some rows; -net direct,hole some set-ups.
.PHONY: bench
bench:
	bash bench/setup.sh
	cd bench && $(GO) build -o bin/ ./cmd/benchserver ./cmd/benchrun
	cd bench && bin/benchrun run -out ../BENCHMARKS.md $(BENCHFLAGS)
