# One entry point for people and CI. `make run` to chat, `make test` to check everything.
SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONPATH := $(CURDIR)
export ACTION_PORT ?= 5055
export RASA_PORT ?= 5005
export ACTION_SERVER_URL ?= http://127.0.0.1:$(ACTION_PORT)/webhook
export WEB_PORT ?= 8080

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPACY_MODEL := models/spacy/advisor_en
MODEL := models/advisor.tar.gz
NLU_MIN_F1 ?= 0.95
WEB_STAMP := web/node_modules/.package-lock.json
TRAINING_FILES := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null)

.PHONY: install browser services spacy train validate test test-stories test-nlu pytest run shell actions bench lint format clean esco

install: $(STAMP) $(WEB_STAMP) browser

$(STAMP): requirements.txt
	@PY=$$(scripts/find_python310.sh) || exit 1; \
	  [ -x $(BIN)/python ] || $$PY -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==24.0
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# The chat widget's socket.io client and, for the tests, axe-core (pinned in web/package-lock.json).
$(WEB_STAMP): web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund

# Debian's Chromium and ChromeDriver for the real-browser test (no browser download by a tool).
browser:
	@[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] || \
	  { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }

spacy: $(SPACY_MODEL)/meta.json

# The venv is an order-only prerequisite: updating a tool pin does not rebuild or retrain.
$(SPACY_MODEL)/meta.json: scripts/build_spacy.py actions/roles.yml actions/certifications.yml actions/knowledge.py actions/audiences.yml actions/activities.yml components/titles.py | $(STAMP)
	$(BIN)/python scripts/build_spacy.py $(SPACY_MODEL)

train: $(MODEL)

$(MODEL): $(SPACY_MODEL)/meta.json $(TRAINING_FILES) | $(STAMP)
	$(BIN)/rasa train --fixed-model-name advisor --out models --force
	touch $@

validate: $(STAMP) $(SPACY_MODEL)/meta.json
	$(BIN)/rasa data validate --fail-on-warnings

test-stories: $(MODEL)
	$(BIN)/rasa test core --model $(MODEL) --stories tests/test_stories.yml \
	  --fail-on-prediction-errors --out results/core

test-nlu: $(MODEL)
	$(BIN)/rasa test nlu --model $(MODEL) --nlu tests/nlu_holdout.yml --out results/nlu --no-plot
	$(BIN)/python scripts/check_nlu.py results/nlu/intent_report.json --min-f1 $(NLU_MIN_F1)

# The report's tests and the reliability tests run throwaway PostgreSQL/Redis servers:
# Debian's packages are installed when missing (scripts/cluster.sh setup; as root, or sudo).
services:
	scripts/cluster.sh setup

pytest: $(MODEL) $(WEB_STAMP) browser services
	$(BIN)/pytest

test: validate test-stories test-nlu pytest test-reliability

# The decision a user gets: ESCO v1.1.1 (read from ../shared, see README) and the held-out sets.
esco: $(MODEL)
	$(BIN)/pytest -q tests/test_esco.py tests/test_decisions.py
	@cat results/esco/titles.md results/esco/decisions.md

actions: $(STAMP)
	$(BIN)/python -m infra.launch actions

run: $(MODEL) $(WEB_STAMP)
	$(BIN)/python -m infra.launch server

shell: $(MODEL)
	$(BIN)/python -m infra.launch shell

# Scale-out on this machine: PostgreSQL, Redis, actions, two Rasa instances, nginx
# on 127.0.0.1 (infra/cluster.py; env vars CLUSTER_PORT, RASA_INSTANCES, ...). Ctrl-C stops.
.PHONY: cluster test-reliability
cluster: $(MODEL)
	scripts/cluster.sh run

# Persistence, cross-instance locks, load, crash, restart and outages (tests/reliability).
test-reliability: $(MODEL) services
	RELIABILITY_TESTS=1 $(BIN)/pytest tests/reliability

# Advisor vs the stock `rasa init` bot, same machine, same load (the bench/ package); not a test.
# BENCH_ARGS: e.g. BENCH_ARGS='--rounds 1 --profile 20' (see `.venv/bin/python -m bench --help`)
BENCH_ARGS ?= --rounds 3
bench: $(MODEL)
	$(BIN)/python -m bench $(BENCH_ARGS)

# The operators' conversation report (report/, docs/report.md) on the configured store
# (SQLite by default; TRACKER_DB_URL or DB_HOST... for PostgreSQL). REPORT_ARGS: e.g.
# REPORT_ARGS='--since 2026-11-01 --until 2026-11-30 --out results/november'.
.PHONY: report review purge bench-report
REPORT_ARGS ?=
report: $(STAMP)
	$(BIN)/python -m report report $(REPORT_ARGS)

# Messages not understood, as a Rasa NLU file to correct (results/review/nlu_review.yml).
review: $(STAMP)
	$(BIN)/python -m report review $(REPORT_ARGS)

# Delete conversations with no message in the last DAYS days: make purge DAYS=90
purge: $(STAMP)
	@[ -n "$(DAYS)" ] || { echo "Usage: make purge DAYS=N (conversations older than N days are deleted)"; exit 2; }
	$(BIN)/python -m report purge --days $(DAYS)

# The report on 100,000 generated conversations, SQLite and PostgreSQL; not a test.
bench-report: $(STAMP)
	$(BIN)/python -m report.bench

lint: $(STAMP)
	$(BIN)/ruff check actions bench channels components infra report scripts tests
	$(BIN)/black --check actions bench channels components infra report scripts tests
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/black actions bench channels components infra report scripts tests
	$(BIN)/ruff check --fix actions bench channels components infra report scripts tests

clean:
	rm -rf results .pytest_cache models/*.tar.gz $(SPACY_MODEL)
