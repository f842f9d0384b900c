"""sweepnet's Hydra launcher plugin (``hydra/launcher=stacked``), found by Hydra's plugin
discovery in the ``hydra_plugins`` namespace package."""
