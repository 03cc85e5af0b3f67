"""One module per subcommand, plus the arguments they share."""
