"""The levels of the administrative tree: the vocabulary other apps use to speak of places."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlaceLevel(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street/town")
    COMMUNITY = "community", _("Community/village")
