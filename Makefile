# hunterbot — the two commands an operator or CI needs are `make demo` and
# `make test`; both install what is missing on a fresh Debian machine.

export PATH := /usr/local/go/bin:$(PATH)
GO       ?= go
CHROMIUM ?= /usr/bin/chromium
BIN      := bin/hunterbot
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build test fuzz bench lint demo clean

## deps: install Debian chromium when missing and download Go modules
deps:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "installing chromium (apt-get)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
	fi
	$(GO) mod download

## build: compile bin/hunterbot
build: deps
	$(GO) build -o $(BIN) ./cmd/hunterbot

## test: vet, run every test (unit, HTTP, end-to-end in headless chromium),
## then every fuzz target for a few seconds (FUZZTIME, default 3s)
test: deps
	$(GO) vet ./...
	HUNTERBOT_CHROMIUM=$(CHROMIUM) $(GO) test -count=1 -timeout 18m ./...
	GO=$(GO) FUZZTIME=$${FUZZTIME:-3s} ./scripts/fuzz.sh

## fuzz: run every fuzz target longer (FUZZTIME, default 5m each; see docs/operations.md)
fuzz: deps
	GO=$(GO) FUZZTIME=$${FUZZTIME:-5m} ./scripts/fuzz.sh

## bench: run the benchmarks (figures are recorded in docs/benchmarks.md)
bench: deps
	HUNTERBOT_CHROMIUM=$(CHROMIUM) $(GO) test -run '^$$' -bench . -benchmem ./...

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## demo: run the embedded default (see README)
demo: build
	./$(BIN) demo $(DEMO_FLAGS)

clean:
	rm -rf bin
