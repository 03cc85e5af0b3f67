"""What happens to findings after the steps: baseline, suppressions, ordering, report formats."""
