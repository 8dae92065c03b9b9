from django.contrib.auth.models import AbstractUser
from django.db import models


class Member(AbstractUser):
    """Django's username-based user, plus a field of the project's own."""

    favourite_colour = models.CharField(max_length=30, blank=True)
