# Every target installs what it needs by itself (idempotent: a stamp file makes it instant once done).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-stamp
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install report test test-live record bench lint realworld clean

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)

# What the tool itself needs (make report): no test extras.
$(RUNTIME): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e .
	touch $(RUNTIME)

# Everything the project's own tests and linters need.
$(STAMP): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $(RUNTIME) $(STAMP)

install: $(STAMP)

## The main job: probe every account x combination against the embedded fake, write the report.
report: $(RUNTIME)
	$(BIN)/dg-entitlements check $(PYTEST_ARGS)

## The project's own tests: unit, fake fidelity, SDK, real-world corpus, engine, installed wheel, ...
test: install
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)

## The suite against live Deepgram: needs DEEPGRAM_API_KEY (one line and exit 2 without it).
test-live: $(RUNTIME)
	$(BIN)/dg-entitlements check --dg-mode live $(PYTEST_ARGS)

## Record cassettes (default: from a fake started for the purpose; DG_RECORD_ARGS to record live).
record: $(RUNTIME)
	$(BIN)/dg-entitlements record $(DG_RECORD_ARGS)

## The diagnosis scored on real-world failures (tests/realworld), into reports/realworld.json.
realworld: install
	$(BIN)/python tests/realworld/score.py --json reports/realworld.json

bench: install
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/table.py

lint: install
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(BIN)/mypy
	$(BIN)/vulture src vulture_whitelist.py --min-confidence 80

clean:
	rm -rf $(VENV) reports/*.html reports/*.json reports/*.jsonl reports/*.xml reports/*.png
