from django.apps import AppConfig


class ExampleSiteConfig(AppConfig):
    """Holds the site's templates, static files and its ``testimonials``."""

    name = "example_site"
    label = "example_site"
