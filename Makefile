# jquants-auth: see README.md. `make test` is what CI runs.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

GO       ?= go
GOROOT   := $(shell $(GO) env GOROOT)
WASMEXEC := $(GOROOT)/lib/wasm/go_js_wasm_exec
export WRANGLER_SEND_METRICS := false

.PHONY: all build web worker test test-go test-e2e test-wasm lint cover fuzz bench demo dev run clean

all: build

## Builds ---------------------------------------------------------------

build: web worker

# web: the browser module (auth compiled to WASM) and wasm_exec.js into web/.
web:
	bash scripts/build-web.sh

# worker: the Cloudflare Worker bundle into build/ (wrangler dev runs this too).
worker:
	bash worker/build.sh

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

## Tests ----------------------------------------------------------------

test: node_modules lint cover test-go test-wasm test-e2e

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [[ -n $$out ]]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./...

# Everything but auth/... (the cover target runs those) and e2e/ (test-e2e).
test-go:
	$(GO) test -count=1 $$($(GO) list ./... | grep -v -e '/auth' -e '/e2e')

# The real parts together: the fake J-Quants, wrangler dev (workerd) and
# Chromium. The full log goes to testdata-out/e2e.log; the counts are printed.
test-e2e:
	@mkdir -p testdata-out
	@echo "go test -count=1 -v ./e2e  (log: testdata-out/e2e.log)"
	@rc=0; $(GO) test -count=1 -v ./e2e >testdata-out/e2e.log 2>&1 || rc=$$?; \
	  grep -E '^(--- FAIL|ok |FAIL|reliability:|secrets:)|isolation:|rate limit|testdata-out/screenshots' testdata-out/e2e.log || true; \
	  if ((rc)); then tail -150 testdata-out/e2e.log; fi; exit $$rc

# The auth core ships inside WASM: run its tests there too, under Node.
test-wasm:
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec $(WASMEXEC) ./auth/...
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec $(WASMEXEC) ./internal/jsfetch/... ./internal/workerglue/... ./wasm/...
	$(MAKE) --no-print-directory web && node --test wasm/jquants-auth.test.mjs

# The auth packages' tests, with their statement coverage held at 85% or more.
COVER_MIN := 85
cover:
	$(GO) test -count=1 -coverprofile=coverage.out ./auth/...
	@total=$$($(GO) tool cover -func=coverage.out | awk '/^total:/ {sub("%","",$$3); print $$3}'); \
	  echo "coverage of auth/...: $$total% (minimum $(COVER_MIN)%)"; \
	  awk -v t=$$total -v m=$(COVER_MIN) 'BEGIN { exit !(t >= m) }'

fuzz:
	@for target in \
	  ./auth:FuzzDecodeAnswer \
	  ./auth:FuzzCredentials \
	  ./proxy:FuzzParseBody \
	  ./proxy:FuzzAppendJSONString \
	; do \
	  pkg=$${target%%:*}; name=$${target#*:}; \
	  echo "fuzz: $$name in $$pkg for $(or $(FUZZTIME),60s)"; \
	  $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(or $(FUZZTIME),60s) "$$pkg"; \
	done

bench:
	@# Not part of `make test`: minutes long, and its timings are best-of-rounds on a noisy machine.
	$(MAKE) --no-print-directory node_modules web
	$(GO) run ./bench/cmd/bench $(BENCHFLAGS)

## Running --------------------------------------------------------------

# The offline demo: fake J-Quants + wrangler dev; prints the URL and account.
demo: node_modules
	bash scripts/demo.sh

# wrangler dev against the real J-Quants API (its V1 was retired on 2026-06-01).
dev: node_modules
	npx wrangler dev

clean:
	rm -rf build web/*.wasm web/wasm_exec.js .wrangler coverage.out
