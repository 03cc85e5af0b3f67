"""Shared test helpers: factories, small projects, the in-memory cache (imported, not run)."""
