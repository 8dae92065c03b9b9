from marketplace_core.celery_app import create_celery_app

create_celery_app("tests")
