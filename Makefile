# offerstream — everything a fresh clone needs goes through these targets.
#   make demo   install what is missing, start the stack and services, run the main job
#   make test   install what is missing, start the stack, lint, unit + integration tests
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT        := $(CURDIR)
LOCAL       := $(ROOT)/.local
PNPM_VERSION := $(shell node -p "require('./package.json').packageManager.split('@')[1]")
PNPM        := $(LOCAL)/tools/node_modules/.bin/pnpm
STACK       := deploy/local/stack.sh
TRAINER     := services/trainer
# Outside services/ so tools that scan the sources never walk into site-packages.
VENV        := $(LOCAL)/trainer-venv
PYTHON      ?= python3
export PATH := $(LOCAL)/tools/node_modules/.bin:$(PATH)
export ONNXRUNTIME_NODE_INSTALL := skip
export npm_config_onnxruntime_node_install := skip

.PHONY: help
help: ## list targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  %-16s %s\n", $$1, $$2}'

# ---------------------------------------------------------------- install
.PHONY: check-node
check-node:
	@node -e 'const [M]=process.versions.node.split(".").map(Number); if (M<20) { console.error("offerstream needs Node >= 20 (found " + process.version + ")"); process.exit(1) }'

$(PNPM): package.json
	@echo "installing pnpm $(PNPM_VERSION) into .local/tools"
	@npm install --prefix $(LOCAL)/tools --no-save --no-audit --no-fund --loglevel=error pnpm@$(PNPM_VERSION) >/dev/null
	@touch $(PNPM)

node_modules/.installed: $(PNPM) pnpm-lock.yaml package.json pnpm-workspace.yaml $(wildcard libs/*/package.json services/*/package.json tools/*/package.json test/package.json)
	$(PNPM) install --frozen-lockfile --reporter=append-only
	@touch $@

.PHONY: deps
deps: check-node node_modules/.installed ## install Node dependencies (pnpm, pinned by the lockfile)

$(VENV)/.installed: $(TRAINER)/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e '$(TRAINER)[dev]'
	@touch $@

.PHONY: trainer-venv
trainer-venv: $(VENV)/.installed ## create the trainer's Python venv

# The market run's outside reference: Vowpal Wabbit (pinned) in its own venv.
VW_VENV     := $(LOCAL)/vw-venv
$(VW_VENV)/.installed: tools/market/vw/requirements.txt
	$(PYTHON) -m venv $(VW_VENV)
	$(VW_VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/market/vw/requirements.txt
	@touch $@

.PHONY: vw-venv
vw-venv: $(VW_VENV)/.installed ## create the Vowpal Wabbit reference's Python venv (make demo, bench-market)

# ---------------------------------------------------------------- build
.PHONY: gen build
gen: deps ## generate TypeScript from proto/ (ts-proto via buf)
	$(PNPM) gen

build: gen ## compile every package
	$(PNPM) exec tsc -b tsconfig.build.json

# ---------------------------------------------------------------- local stack
.PHONY: stack-up stack-down stack-status stack-logs
stack-up: ## start Kafka (KRaft) and ClickHouse on 127.0.0.1 (installs them if missing)
	@bash $(STACK) up
stack-down: ## stop the local stack (data kept in .local/)
	@bash $(STACK) down
stack-status: ## show the local stack
	@bash $(STACK) status
stack-logs:
	@bash $(STACK) logs

.PHONY: migrate topics
# The local stack's addresses for the CLIs, the demo and the benchmarks: KAFKA_BROKERS and
# CLICKHOUSE_URL when set, else what the stack's own port variables make of them (as in
# `deploy/local/stack.sh env`), so `KAFKA_PORT=… CLICKHOUSE_HTTP_PORT=… make demo` works.
STACK_ADDRS = KAFKA_BROKERS="$${KAFKA_BROKERS:-127.0.0.1:$${KAFKA_PORT:-9092}}" \
  CLICKHOUSE_URL="$${CLICKHOUSE_URL:-http://127.0.0.1:$${CLICKHOUSE_HTTP_PORT:-8123}}"
migrate: build stack-up ## apply ClickHouse migrations
	$(STACK_ADDRS) node libs/clickhouse/dist/cli.js migrate
topics: build stack-up ## create/update the declared Kafka topics
	$(STACK_ADDRS) node libs/kafka/dist/cli.js provision

# ---------------------------------------------------------------- quality
.PHONY: lint typecheck test test-unit test-int test-trainer test-compat proto-baseline
typecheck: gen
	$(PNPM) exec tsc -p tsconfig.json

KUSTOMIZE := $(LOCAL)/tools/bin/kustomize
$(KUSTOMIZE):
	GOBIN=$(LOCAL)/tools/bin go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1

.PHONY: k8s-check
k8s-check: $(KUSTOMIZE) trainer-venv ## build the kustomize overlays and check least privilege + consistency with the code
	@mkdir -p $(LOCAL)/k8s
	@$(KUSTOMIZE) build k8s/infra > $(LOCAL)/k8s/infra.yaml
	@for o in dev prod-gpu; do \
	  $(KUSTOMIZE) build k8s/overlays/$$o > $(LOCAL)/k8s/$$o.yaml; \
	  if $(VENV)/bin/python k8s/check_manifests.py $(LOCAL)/k8s/$$o.yaml $(LOCAL)/k8s/infra.yaml libs/kafka/src/topics.ts $$o > $(LOCAL)/k8s/$$o.check.txt; \
	  then echo "k8s/overlays/$$o: $$(tail -1 $(LOCAL)/k8s/$$o.check.txt)"; else cat $(LOCAL)/k8s/$$o.check.txt; exit 1; fi; \
	done

lint: gen trainer-venv k8s-check ## ESLint, Prettier, buf lint + breaking-change check, ruff, manifest checks
	$(PNPM) exec eslint . --max-warnings 0
	$(PNPM) exec prettier --check .
	cd libs/contracts && ./node_modules/.bin/buf lint ../../proto
	cd libs/contracts && ./node_modules/.bin/buf breaking ../../proto --against ../../proto/baseline/offerstream-v1.binpb
	$(VENV)/bin/ruff check $(TRAINER) test/compat k8s/check_manifests.py --config $(TRAINER)/pyproject.toml
	$(VENV)/bin/ruff format --check $(TRAINER) test/compat --config $(TRAINER)/pyproject.toml

proto-baseline: deps ## accept the current protos as the new compatibility baseline (breaking changes need a new package version)
	cd libs/contracts && ./node_modules/.bin/buf build ../../proto -o ../../proto/baseline/offerstream-v1.binpb

RESULTS := $(LOCAL)/test-results
test-unit: gen
	@mkdir -p $(RESULTS)
	$(PNPM) exec jest --selectProjects unit --json --outputFile=$(RESULTS)/unit.json

test-int: build stack-up
	@mkdir -p $(RESULTS)
	$(PNPM) exec jest --selectProjects integration --runInBand --json --outputFile=$(RESULTS)/integration.json

COMPAT_VENV := $(LOCAL)/compat-venv
$(COMPAT_VENV)/.installed: test/compat/requirements.txt
	$(PYTHON) -m venv $(COMPAT_VENV)
	$(COMPAT_VENV)/bin/pip install --quiet --disable-pip-version-check -r test/compat/requirements.txt
	@touch $@

test-compat: build $(COMPAT_VENV)/.installed ## run offerstream's SQL on a current ClickHouse (26.x, in-process via chDB)
	@mkdir -p $(RESULTS)
	node test/compat/make-corpus.js $(RESULTS)/clickhouse-corpus.json
	$(COMPAT_VENV)/bin/python test/compat/run_corpus.py $(RESULTS)/clickhouse-corpus.json | tee $(RESULTS)/compat.txt

# The trainer's ClickHouse tests use the local stack (or CLICKHOUSE_URL), so none is skipped here.
test-trainer: trainer-venv stack-up
	@mkdir -p $(RESULTS)
	cd $(TRAINER) && $(STACK_ADDRS) sh -c 'OFFERSTREAM_TRAINER_IT_CLICKHOUSE_URL="$$CLICKHOUSE_URL" \
	  OFFERSTREAM_TRAINER_IT_KAFKA_BROKERS="$$KAFKA_BROKERS" exec $(VENV)/bin/pytest -q --junitxml=$(RESULTS)/trainer.xml'

test: deps build typecheck lint docs-check test-unit test-trainer test-compat test-int ## lint, unit and integration tests against the real stack
	@node tools/test-summary.js $(RESULTS)

# ---------------------------------------------------------------- run
.PHONY: bench bench-ingest bench-features bench-scoring bench-offers
bench: bench-ingest bench-features bench-scoring bench-offers bench-trainer bench-market ## run every benchmark (each prints a table and key=value figures last)

bench-ingest: build stack-up ## sustained ingest events/s, event→queryable p50/p99, ingest RSS (BENCH_SECONDS=30)
	$(STACK_ADDRS) node bench/dist/ingest.bench.js

bench-features: build stack-up ## feature service: event→GetFeatures freshness p99, GetFeatures p99 at 1,000 req/s (50 candidates), RSS per 100k users and the user cap (BENCH_SECONDS=30)
	$(STACK_ADDRS) node --experimental-websocket bench/dist/features.bench.js

bench-offers: build stack-up ## GetOffers end to end (features + scoring + policy + log, 20 candidates): p50/p99 at rising req/s, the highest rate with p99 ≤ 25 ms (BENCH_SECONDS=30)
	$(STACK_ADDRS) node bench/dist/offers.bench.js

bench-scoring: build stack-up ## scoring: candidate-scores/s and p50/p99 for K=20/100 at rising concurrency, MLP and sequence model, vs raw session.run (BENCH_SECONDS=30)
	$(STACK_ADDRS) node bench/dist/scoring.bench.js

.PHONY: bench-market
bench-market: build stack-up migrate topics trainer-venv vw-venv ## the market run (make demo) with each live phase bounded by BENCH_SECONDS (default 120): profit vs oracle and vs Vowpal Wabbit last
	$(STACK_ADDRS) node bench/dist/market.bench.js

.PHONY: bench-trainer
bench-trainer: build stack-up trainer-venv ## trainer: training examples/s (CPU), model size, held-out AUC vs LightGBM, ONNX parity, candidate-scores/s from Node (K=100)
	$(STACK_ADDRS) node bench/dist/trainer.bench.js

.PHONY: demo docs clean
demo: build stack-up migrate topics trainer-venv vw-venv ## the market campaign end to end: baselines, live Thompson sampling and a Vowpal Wabbit reference, a trained model in phase 2; prints the report's path (MARKET_USERS=0 for the full size)
	$(STACK_ADDRS) node tools/demo/dist/main.js

# The offline lab: LAB_RUN = a demo run's digits (default: the latest finished report's);
# LAB_VARIANTS = "name:key=value,... ..." (ForestConfig fields), each compared with the default.
LAB_RUN ?= $(shell ls -t $(LOCAL)/reports/market-*-[0-9]*.json 2>/dev/null | head -1 | sed -E 's/.*-([0-9]+)\.json$$/\1/')
.PHONY: lab
lab: stack-up trainer-venv ## offline lab: the uplift forest (and LAB_VARIANTS of it) refitted on a demo run's phase 1, greedy on its phase 2, valued with the market's truth (LAB_RUN, default the latest run)
	@[ -n "$(LAB_RUN)" ] || { echo "make lab: no demo run to read (run make demo first, or set LAB_RUN)" >&2; exit 2; }
	$(STACK_ADDRS) $(VENV)/bin/offerstream-trainer lab --demo-run $(LAB_RUN) $(foreach v,$(LAB_VARIANTS),--variant $(v))

# The pacing lab: the same LAB_RUN's model arm replayed under budget pacers with redemption
# draws; PACING_VARIANTS = "name:key=value,... ..." (PacerRules fields), PACING_SEEDS draws each.
PACING_SEEDS ?= 24
.PHONY: pacing-lab
pacing-lab: stack-up trainer-venv ## pacing lab: a demo run's model arm replayed under bandit-policy's budget pacer (and PACING_VARIANTS of it), PACING_SEEDS redemption draws each: how much of the result is the pacer's and how much luck (LAB_RUN, default the latest run)
	@[ -n "$(LAB_RUN)" ] || { echo "make pacing-lab: no demo run to read (run make demo first, or set LAB_RUN)" >&2; exit 2; }
	$(STACK_ADDRS) $(VENV)/bin/offerstream-trainer pacing-lab --demo-run $(LAB_RUN) --seeds $(PACING_SEEDS) $(foreach v,$(PACING_VARIANTS),--variant $(v))

docs: build ## regenerate docs/configuration.md from the config schemas and README's feature list from the spec
	@$(MAKE) --no-print-directory config-reference > docs/configuration.md
	@echo "wrote docs/configuration.md"
	@node libs/features/scripts/feature-table.js README.md > $(LOCAL)/README.md.new && mv $(LOCAL)/README.md.new README.md
	@echo "wrote the feature list in README.md"

.PHONY: config-reference docs-check
config-reference:
	@{ echo '# Configuration reference'; echo; echo 'Generated by `make docs` from the services'"'"' config schemas; every service also prints its own with `node services/<name>/dist/main.js --config-reference`.'; echo; \
	  for s in ingest feature scoring bandit-policy; do node services/$$s/dist/main.js --config-reference; done; }

docs-check: build ## fail when docs/configuration.md or README's feature list is out of date
	@$(MAKE) --no-print-directory config-reference | diff -u docs/configuration.md - \
	  || { echo "docs/configuration.md is out of date: run make docs"; exit 1; }
	@node libs/features/scripts/feature-table.js README.md | diff -u README.md - \
	  || { echo "README.md's feature list is out of date with libs/features/spec: run make docs"; exit 1; }

clean: ## remove build outputs (keeps .local/ data)
	rm -rf libs/*/dist services/*/dist tools/*/dist libs/contracts/src/gen
