"""Sellers' API keys: what an integrator sends to the API v1 instead of a session."""
