# Every target installs what it needs by itself (idempotent: a stamp file makes it instant once done).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install report test test-live record bench lint clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## The main job: probe every account x combination against the embedded fake, write the report.
report: install
	$(BIN)/dg-entitlements check $(PYTEST_ARGS)

## The project's own tests: unit, fake fidelity, SDK, contract suite in fake and replay modes.
test: install
	$(BIN)/python -m pytest tests $(PYTEST_ARGS)

## The suite against live Deepgram: needs DEEPGRAM_API_KEY (fails with one line without it).
test-live: install
	$(BIN)/dg-entitlements check --dg-mode live $(PYTEST_ARGS)

## Record cassettes (default: from a fake started for the purpose; DG_RECORD_ARGS to record live).
record: install
	$(BIN)/dg-entitlements record $(DG_RECORD_ARGS)

bench: install
	$(BIN)/python benchmarks/run.py

lint: install
	$(BIN)/ruff check src tests benchmarks conftest.py
	$(BIN)/mypy

clean:
	rm -rf $(VENV) reports/*.html reports/*.json reports/*.xml reports/*.png
