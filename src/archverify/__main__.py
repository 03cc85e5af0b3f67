"""Entry point for ``python -m archverify``."""

from archverify.orchestrator.cli import main

raise SystemExit(main())
