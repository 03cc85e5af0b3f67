"""One module per step: each turns files, facts or a tool's output into findings."""
