# hunterbot — the two commands an operator or CI needs are `make demo` and
# `make test`; both install what is missing on a fresh Debian machine.

export PATH := /usr/local/go/bin:$(PATH)
GO       ?= go
CHROMIUM ?= /usr/bin/chromium
BIN      := bin/hunterbot
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps deps-prometheus build test fuzz bench bench-brain bench-brain-ref lint demo clean proto

## deps: install Debian chromium when missing and download Go modules
deps:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "installing chromium (apt-get)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
	fi
	$(GO) mod download

## deps-prometheus: install Debian's prometheus package (prometheus and
## promtool) for the tests of the alert rules, the metric names' lint and the
## real-Prometheus scrape; `make test` needs it, `make demo` does not (the
## package also installs a prometheus service, which the tests do not use)
deps-prometheus:
	@if ! command -v promtool >/dev/null; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends prometheus; \
	fi

## build: compile bin/hunterbot
build: deps
	$(GO) build -o $(BIN) ./cmd/hunterbot

## test: vet, run every test (unit, HTTP, end-to-end in headless chromium),
## then every fuzz target for a few seconds (FUZZTIME, default 3s)
test: deps deps-prometheus
	$(GO) vet ./...
	HUNTERBOT_CHROMIUM=$(CHROMIUM) $(GO) test -count=1 -timeout 18m ./...
	GO=$(GO) FUZZTIME=$${FUZZTIME:-3s} ./scripts/fuzz.sh

## fuzz: run every fuzz target longer (FUZZTIME, default 5m each; see docs/operations.md)
fuzz: deps
	GO=$(GO) FUZZTIME=$${FUZZTIME:-5m} ./scripts/fuzz.sh

## bench: run the benchmarks, the brain's closed-loop HTTP load included (figures in docs/)
bench: deps
	HUNTERBOT_CHROMIUM=$(CHROMIUM) $(GO) test -run '^$$' -bench . -benchmem ./...

## bench-brain: the brain alone in its own process, 8 connections, 5 s per endpoint (docs/brain.md)
bench-brain:
	$(GO) test -count=1 -run '^$$' -bench BrainHTTP -benchtime 5s ./brain/loadbench

## bench-brain-ref: alternate runs against a running reference brain and the built-in one
##   make bench-brain-ref REF_URL=http://127.0.0.1:PORT REF_PIDS=pid,pid [REF_ACCOUNT=id] [ROUNDS=3] [SECONDS=20] [ENDPOINTS=filter,chat,...]
bench-brain-ref:
	HUNTERBOT_LOADBENCH_REF_URL=$(REF_URL) HUNTERBOT_LOADBENCH_REF_PIDS=$(REF_PIDS) \
	HUNTERBOT_LOADBENCH_REF_ACCOUNT=$(REF_ACCOUNT) HUNTERBOT_LOADBENCH_ROUNDS=$(ROUNDS) \
	HUNTERBOT_LOADBENCH_SECONDS=$(SECONDS) HUNTERBOT_LOADBENCH_OUT=$(OUT) \
	HUNTERBOT_LOADBENCH_ENDPOINTS=$(ENDPOINTS) \
	$(GO) test -count=1 -timeout 90m -run SideBySide -v ./brain/loadbench

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## demo: run the embedded default (see README)
demo: build
	./$(BIN) demo $(DEMO_FLAGS)

clean:
	rm -rf bin

## proto: regenerate internal/chatproto/chat.pb.go (needs apt protobuf-compiler and
##        go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12)
proto:
	cd internal/chatproto && PATH="$$PATH:$$($(GO) env GOPATH)/bin" protoc --go_out=. --go_opt=paths=source_relative chat.proto
