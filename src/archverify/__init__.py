"""archverify: prove a layered Python codebase is architecturally sound in one command."""

__version__ = "0.1.0"
