"""Processors: aggregate answers into scores and render reports (as text, no file I/O)."""
