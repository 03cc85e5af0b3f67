"""Pure domain: data contracts, semantic chunking, evidence matching and scoring. No I/O."""
