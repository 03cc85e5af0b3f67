"""Reading configuration files: ``[tool.archverify]`` and import-linter's formats."""
