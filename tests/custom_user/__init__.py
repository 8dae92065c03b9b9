"""A project's own user model, for running core's suite without core's ``User``.

``MARKETPLACE_TEST_USER_MODEL=custom_user.Member`` (the ``core-py313-django6`` tox
environment) installs this app and makes ``Member`` the ``AUTH_USER_MODEL``: a
username login (``AbstractUser``) with an email field that is not unique, plus
a field of the project's own, as in a project made with ``startproject``.
"""
