# Tether's build and test entry points. `make test` runs every test the project has.
GO ?= go
# Packages the browser (js/wasm) build imports; they must vet clean for GOOS=js GOARCH=wasm.
WASM_PKGS ?= ./transport/... ./internal/wire/... ./internal/seq/... ./internal/link/... ./client/...
FUZZTIME ?= 5s

.PHONY: test check fmt vet vet-wasm unit fuzz build

test: check unit fuzz
	@echo "make test: all checks passed"

check: fmt vet vet-wasm build

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

unit:
	$(GO) test -race -count=1 ./...

# Short runs of every fuzz target (seed corpora are in testdata/fuzz and also run in `unit`).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "fuzz $$pkg $$t"; \
	    $(GO) test -run='^$$' -fuzz="^$$t\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done
