"""Entry point for ``python -m policy_orchestrator``."""

import sys

from policy_orchestrator.orchestrator.cli import main

sys.exit(main())
