"""The API v1 for integrators: core's resources for the key's seller, and the
framework plugins use (errors, pagination, form validation)."""
