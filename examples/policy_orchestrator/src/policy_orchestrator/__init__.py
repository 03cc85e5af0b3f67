"""Policy orchestrator: scores a policy or development plan against a questionnaire."""

__version__ = "0.1.0"
