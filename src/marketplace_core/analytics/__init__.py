"""Seller analytics: the dashboard's numbers, computed from core's own tables.

- :mod:`.months`: calendar months in the site's time zone.
- :mod:`.sales`: customers, revenue per month and currency, latest buyers.
- :mod:`.periods`: the dashboard periods (7d, 30d, 90d, 12m) and the one before.
- :mod:`.performance`: figures per period, per product and per day or month.
- :mod:`.series`: chart series for the dashboard API, built-in and from plugins.

Views only call these functions; every rule about what counts as a sale lives
in :mod:`.sales`.
"""
