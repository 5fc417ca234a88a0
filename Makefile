# jquants-auth: see README.md. `make test` is what CI runs.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c

GO       ?= go
GOROOT   := $(shell $(GO) env GOROOT)
WASMEXEC := $(GOROOT)/lib/wasm/go_js_wasm_exec
export WRANGLER_SEND_METRICS := false

.PHONY: all build web worker test test-go test-e2e test-wasm lint cover fuzz bench mutate demo dev run clean chromium

all: build

## Builds ---------------------------------------------------------------

build: web worker

# web: the site into build/web/: web/'s files, the browser module (auth
# compiled to WASM, named after its content) and wasm_exec.js, and the
# brotli and gzip copies that `go run .` serves.
web:
	bash scripts/build-web.sh

# worker: the Cloudflare Worker bundle into build/ (wrangler dev runs this too).
worker:
	bash worker/build.sh

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

## Tests ----------------------------------------------------------------

# All the set-up a fresh Debian machine with Go and Node needs is in the
# prerequisites: npm ci (node_modules) and a browser (chromium).
test: node_modules chromium lint cover test-go test-wasm test-e2e

# The browser for the e2e tests, found as they find it ($CHROME_PATH, then
# chromium, chromium-browser, google-chrome, google-chrome-stable in PATH).
# Missing, it is installed with apt as root; otherwise one line says how.
chromium:
	@bash scripts/ensure-chromium.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [[ -n $$out ]]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./...

# Everything but auth/... (the cover target runs those) and e2e/ (test-e2e).
test-go:
	$(GO) test -count=1 $$($(GO) list ./... | grep -v -e '/auth' -e '/e2e')

# The real parts together: the fake J-Quants, wrangler dev (workerd) and
# Chromium. The full log goes to testdata-out/e2e.log; the counts are printed.
test-e2e: node_modules chromium
	@mkdir -p testdata-out
	@echo "go test -count=1 -v ./e2e  (log: testdata-out/e2e.log)"
	@rc=0; $(GO) test -count=1 -v ./e2e >testdata-out/e2e.log 2>&1 || rc=$$?; \
	  grep -E '^(--- FAIL|ok |FAIL|reliability:|secrets:)|isolation:|rate limit|testdata-out/screenshots' testdata-out/e2e.log || true; \
	  if ((rc)); then tail -150 testdata-out/e2e.log; fi; exit $$rc

# The WASM builds: their Go (the Worker's main, auth, flatjson, the proxy
# core, wasm/) tested in WASM under Node; then, after one build of both
# (`make worker` builds the site first), the built browser module through
# build/web/jquants-auth.mjs against the real fake J-Quants and native proxy (V2:
# the fake on the test's own clock, wasm/testfake), and the built Worker's
# entry losing its Go instance: node --test's TAP goes to
# testdata-out/node-test.log and its closing counts are printed; then the
# module's types, as TypeScript 5 resolves them for a .mjs (nodenext and
# bundler).
TSC      := node_modules/.bin/tsc --noEmit --strict --target es2022 --lib es2022,dom
NODE_TESTS := wasm/jquants-auth.test.mjs wasm/jquants-auth-v2.test.mjs worker/entry.test.mjs
test-wasm: node_modules
	GOOS=js GOARCH=wasm $(GO) test -count=1 -exec $(WASMEXEC) . ./auth/... ./internal/flatjson/... ./proxy/... ./wasm/...
	$(MAKE) --no-print-directory worker
	@mkdir -p testdata-out
	@echo "node --test $(NODE_TESTS)  (log: testdata-out/node-test.log)"
	@rc=0; GO=$(GO) node --test --test-reporter=tap $(NODE_TESTS) >testdata-out/node-test.log 2>&1 || rc=$$?; \
	  grep -E '^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' testdata-out/node-test.log || true; \
	  if ((rc)); then tail -150 testdata-out/node-test.log; fi; exit $$rc
	$(TSC) --module nodenext --moduleResolution nodenext wasm/types-check.mts
	$(TSC) --module esnext --moduleResolution bundler wasm/types-check.mts

# The auth packages' tests, with their statement coverage held at 85% or
# more; then the proxy's, whose coverage is reported.
COVER_MIN := 85
cover:
	$(GO) test -count=1 -coverprofile=coverage.out ./auth/...
	@total=$$($(GO) tool cover -func=coverage.out | awk '/^total:/ {sub("%","",$$3); print $$3}'); \
	  echo "coverage of auth/...: $$total% (minimum $(COVER_MIN)%)"; \
	  awk -v t=$$total -v m=$(COVER_MIN) 'BEGIN { exit !(t >= m) }'
	$(GO) test -count=1 -cover ./proxy/...

# Every fuzz target, each for FUZZTIME (default 60s); corpora in testdata/fuzz.
fuzz:
	@for target in \
	  ./auth:FuzzDecodeAnswer \
	  ./auth:FuzzCredentials \
	  ./auth:FuzzRefreshRequest \
	  ./auth:FuzzHTTPDate \
	  ./auth:FuzzAPIKey \
	  ./auth:FuzzCheckQuery \
	  ./auth:FuzzReadPage \
	  ./proxy:FuzzBody \
	  ./proxy:FuzzQuery \
	  ./proxy:FuzzContentType \
	  ./proxy:FuzzParseIP \
	  ./proxy:FuzzAppendDuration \
	  ./proxy:FuzzResolveTarget \
	  ./internal/flatjson:FuzzParseObject \
	  ./internal/flatjson:FuzzAppendString \
	  ./internal/flatjson:FuzzElements \
	; do \
	  pkg=$${target%%:*}; name=$${target#*:}; \
	  echo "fuzz: $$name in $$pkg for $(or $(FUZZTIME),60s)"; \
	  $(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(or $(FUZZTIME),60s) "$$pkg"; \
	done

# Mutation testing with gremlins (a go tool of this module) of each path in
# MUTATE_PKGS (./auth takes in ./auth/...): fails when a path's test efficacy
# is under 99% or its mutator coverage under 95%. Not part of `make test`:
# it takes about 26 minutes on a quiet 2-core machine (see README). Full logs in testdata-out/mutate-*.log.
MUTATE_PKGS := ./auth ./proxy ./internal/flatjson ./internal/errtree ./internal/webassets
# Files whose mutants are neither run nor counted: the fake's made-up market
# data, whose formulas no contract pins (its tests check properties: ticks,
# trading days, minute times), so most of their mutants are equivalent.
MUTATE_EXCLUDE := ^auth/authtest/v2data\.go$$
mutate:
	$(GO) run ./scripts/mutate -go $(GO) -efficacy 99 -mcover 95 -exclude '$(MUTATE_EXCLUDE)' $(MUTATE_PKGS)

bench:
	@# Not part of `make test`: minutes long, and its timings are best-of-rounds on a noisy machine.
	$(MAKE) --no-print-directory node_modules web
	$(GO) run ./bench/cmd/bench $(BENCHFLAGS)

## Running --------------------------------------------------------------

# The offline demo: fake J-Quants + wrangler dev; prints the URL and account.
# PORT, FAKE_PORT and LOGIN_RATE_LIMIT (on/off) pass through: see scripts/demo.sh.
demo: node_modules
	bash scripts/demo.sh

# wrangler dev against the real J-Quants API (its V1 was retired on 2026-06-01).
dev: node_modules
	npx wrangler dev

clean:
	rm -rf build .wrangler coverage.out
