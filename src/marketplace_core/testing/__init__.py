"""Test kit shipped with marketplace-core, for core's tests and plugin authors.

- :mod:`.pytest_plugin` (auto-loaded by pytest): ``--marketplace-db``,
  server fixtures, factories as fixtures.
- :mod:`.servers`: PostgreSQL and Redis on free loopback ports.
- :mod:`.http_fakes`: the base of in-process fakes of third-party HTTP services.
- :mod:`.factories`: users, sellers, categories, products with real files.
"""
