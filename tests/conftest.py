import tests.celery  # noqa: F401  (sets the default Celery app)
