"""Orchestrator: the CLI, the questionnaire provider, reading plans and writing reports."""
