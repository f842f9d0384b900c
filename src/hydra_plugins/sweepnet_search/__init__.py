"""sweepnet's search sweeper (``hydra/sweeper=search``), found by Hydra's plugin discovery."""
