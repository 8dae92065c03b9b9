"""Google Analytics 4 for Marketplace: traffic on the seller dashboard, purchase events."""

__version__ = "0.1.0"
