"""Entry point for ``python -m archverify``."""

from archverify.orchestrator.cli import console_main

console_main()
