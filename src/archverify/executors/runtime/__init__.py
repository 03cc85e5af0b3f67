"""Running tools and project code safely: processes, launchers, environment, tree state."""
