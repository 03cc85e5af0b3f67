"""Helpers of bench/run.py: the runbook baseline, measurement, configs and the report."""
