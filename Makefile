# The two commands of the README's quick start, the lint gate, and archverify verifying itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test verify lint fmt venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "archverify needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

## demo: archverify on the reference example, then on a broken copy to show failures
demo: venv
	$(BIN)/archverify run examples/policy_orchestrator
	@echo
	@echo "=== The same example with one violation per rule injected (this run is meant to fail) ==="
	@rm -rf $(VENV)/demo-broken
	$(BIN)/python scripts/make_broken_copy.py examples/policy_orchestrator $(VENV)/demo-broken
	@$(BIN)/archverify run $(VENV)/demo-broken || echo "(archverify exited $$?: expected, this copy is broken on purpose)"

## test: the whole test suite, once, under coverage, in archverify's tests step beside every
## other step of archverify on itself; the failing tests' tracebacks follow the report
test: venv
	@bash .ci/with_tracebacks $(BIN)/archverify run .

## verify: the same as test (archverify on archverify, every step)
verify: test

## lint: formatting, lint and types of the whole repository, then archverify's static steps
lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy src tests
	$(BIN)/archverify run . --steps compile,purity,contracts,boundaries,cycles

## fmt: format and fix what ruff fixes safely (imports order, upgrades)
fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .archverify_cache build dist src/*.egg-info
