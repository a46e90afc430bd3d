"""The web package: what a provincial portal puts online (streaming package, player page, social cuts)."""
