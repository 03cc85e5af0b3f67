# The two commands of the README's quick start, and archverify verifying itself.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test verify venv clean

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

## test: the whole test suite
test: venv
	$(BIN)/python -m pytest

## verify: archverify on archverify, every step
verify: venv
	$(BIN)/archverify run .

clean:
	rm -rf $(VENV) .archverify_cache build dist src/*.egg-info
