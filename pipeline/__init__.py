"""reportage: a production pipeline for factual TV programmes."""

__version__ = "0.1.0"
