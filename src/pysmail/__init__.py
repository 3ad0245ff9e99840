"""pysmail: a SMAIL-compatible command-line mail sender with OAuth 2.0 built in."""

__version__ = "0.1.0"

__all__ = ["__version__"]
