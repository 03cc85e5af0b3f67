"""The external-tool steps: ruff, mypy, bandit and the tests, with their shared glue and cache."""
