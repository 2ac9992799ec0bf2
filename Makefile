# Vigil build, demo and test entry points. See README.md.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/vigilsec/vigil/internal/version.Version=$(VERSION)
BINARIES  := vigil-center vigil-agent vigil vigil-scan
WEB_DIST  := internal/center/console/dist

.PHONY: all build go web demo test test-go test-web test-e2e fuzz lint proto bpf clean

all: build

## build: the console (when npm is present) and every binary into bin/
build: web go

go:
	@mkdir -p bin
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/ $(addprefix ./cmd/,$(BINARIES))

web:
	@if command -v npm >/dev/null 2>&1; then \
		cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build; \
	else \
		echo "npm not found: the console is not built (vigil-center serves a notice instead)" >&2; \
	fi

## demo: a center and a local agent on the embedded defaults
demo: build
	scripts/demo.sh

## test: every test (Go unit and integration, fuzz smoke, console, end to end)
test: build lint test-go fuzz test-web test-e2e

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './web/*')); \
		if [ -n "$$out" ]; then echo "not gofmt'ed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/e2e/

test-go:
	$(GO) test -count=1 -timeout 20m ./...

fuzz:
	scripts/fuzz-smoke.sh

test-web:
	cd web && npm test && npm run test:ui

test-e2e: build
	VIGIL_BIN=$(CURDIR)/bin $(GO) test -count=1 -timeout 20m -tags e2e ./test/e2e/...

proto:
	protoc --go_out=. --go_opt=module=github.com/vigilsec/vigil api/bus/v1/bus.proto

# Regenerates the agent's eBPF objects (committed); needs clang and libbpf-dev.
bpf:
	$(GO) generate ./internal/agent/...

clean:
	rm -rf bin
