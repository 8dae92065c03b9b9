"""What the marketplace keeps about a person, for any user model.

Core and plugins need from ``settings.AUTH_USER_MODEL`` only what Django
guarantees: a primary key, ``get_email_field_name()``, ``is_active`` and, where
present, ``get_full_name()``/``get_short_name()``. The rest lives in core-owned
rows keyed by the user (:mod:`.models`), created when needed:

- :mod:`.users`: read any user model (email, display names, lookup by email,
  creating a user with the right field names).
- :mod:`.records`: the core-owned rows: load them (one query for both, cached
  on the user object), the verified address, the marketplace's own name.
- :mod:`marketplace_core.roles`: seller status (``is_seller``, ``make_seller``).
"""
