"""The customer and seller panels (seed §3-§5).

- :mod:`.mixins`: role separation and the panel layout (who may open a page,
  which sidebar it shows); plugins reuse them for their own panel pages.
- :mod:`.generic`: views shared by both roles (order history, my products);
  :mod:`.customer` and :mod:`.seller_purchases` wrap them per role.
- :mod:`.dashboard`, :mod:`.seller_products`, :mod:`.seller_categories`: the
  seller's own pages; :mod:`.api` the dashboard's JSON.
- :mod:`.billing`, :mod:`.purchases`, :mod:`.badges`: turning rows into what
  the pages show. Rules about money and products live in
  :mod:`marketplace_core.analytics` and :mod:`marketplace_core.catalog.services`.

:mod:`.views` re-exports every view class; :mod:`.urls` holds the routes.
"""
