"""What a person consents to: the vocabulary other apps use when recording consent."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ConsentKind(models.TextChoices):
    TERMS = "terms", _("User agreement and privacy policy")
    VOLUNTEER_ID = "volunteer_id", _("Real-name volunteer registration (ID number)")
