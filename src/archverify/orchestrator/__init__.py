"""The edge: command line, configuration files, discovery, scheduling, cache and outputs."""
