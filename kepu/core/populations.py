"""The five key populations (重点人群) shared by orders, activities, resources and statistics."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Population(models.TextChoices):
    YOUTH = "youth", _("Youth")
    FARMERS = "farmers", _("Farmers")
    WORKERS = "workers", _("Industrial workers")
    ELDERLY = "elderly", _("The elderly")
    OFFICIALS = "officials", _("Officials and civil servants")
    OTHER = "other", _("Other")
