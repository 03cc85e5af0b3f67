"""The pure domain: findings, per-file facts, the import graph and the rules over them.

Nothing here reads files, starts processes or looks at the clock; the edges hand data in.
"""
