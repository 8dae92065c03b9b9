"""License keys: a Marketplace plugin."""

__version__ = "0.1.0"
