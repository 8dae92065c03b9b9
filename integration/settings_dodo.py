"""The integration settings with the example site configured for Dodo Payments.

The example site reads Dodo's options from its environment, as in production;
this module sets that environment before loading it: the plugin is enabled,
``PAYMENT_PROVIDER`` is ``"dodo"`` and ``DODO_PAYMENTS_BASE_URL`` points at a
free loopback port, where the tests start the fake Dodo server
(:class:`marketplace_payments_dodo.testing.FakeDodo`). Celery workers the tests
start inherit the same environment.

Run: ``pytest integration/dodo --ds=integration.settings_dodo --marketplace-db=postgres
--marketplace-redis`` (``integration/test_dodo_example_site.py`` does it).
"""

import os

from marketplace_core.testing.servers import free_port

os.environ.setdefault("DODO_FAKE_PORT", str(free_port()))
os.environ.update({
    "DODO_PAYMENTS_API_KEY": "fake_dodo_integration_key",
    # Two secrets, as while rotating; the fake signs with the first.
    "DODO_PAYMENTS_WEBHOOK_SECRET": "whsec_aW50ZWdyYXRpb24tc2lnbmluZy1zZWNyZXQtbmV3LTMyYg==,"
                                    "whsec_aW50ZWdyYXRpb24tc2lnbmluZy1zZWNyZXQtb2xkLTMyYg==",
    "DODO_PAYMENTS_ENVIRONMENT": "test_mode",
    "DODO_PAYMENTS_BASE_URL": f"http://127.0.0.1:{os.environ['DODO_FAKE_PORT']}",
})
os.environ.pop("MARKETPLACE_PAYMENT_PROVIDER", None)
os.environ.pop("MARKETPLACE_PLUGINS", None)

from integration.settings import *  # noqa: F403
