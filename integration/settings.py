"""Integration tests run the example site's own settings with every part real.

The marketplace pytest plugin points ``DATABASE_URL`` at a PostgreSQL server it
started (``--marketplace-db=postgres``); everything else is the example site as
a user would run it.
"""

import os
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(_ROOT / "example_site"))
os.environ.setdefault("MARKETPLACE_VAR_DIR", os.environ.get("MARKETPLACE_TEST_RUN_DIR", "/tmp"))

from example_site.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# collectstatic never runs in tests; static files come from the app finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
WHITENOISE_USE_FINDERS = True
