"""The on-disk cache: its folder, its authentication, facts and key-value entries."""
