"""One module per report format, each rendering a ``Report`` to a string."""
