"""Typed organizations placed in the administrative tree."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kepu.core.models import TimeStampedModel
from kepu.orgs.choices import OrgKind  # noqa: F401 - the vocabulary other apps share


class Organization(TimeStampedModel):
    """An organization: an office, a member unit, a committee, a team, a base, a school.

    ``place`` is where it sits in the tree (a district for a member unit, a community for a
    community committee). ``aliases`` holds other names the organization is written as in
    documents (区科委 / 区科学技术委员会), used when plans are imported.
    """

    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrgKind.choices, db_index=True)
    place = models.ForeignKey("places.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self",
        verbose_name=_("supervising organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    aliases = models.JSONField(_("other names"), default=list, blank=True)
    topics = models.JSONField(_("fields"), default=list, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["place__path", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["place", "name"], name="org_unique_name_per_place")]

    def __str__(self):
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name
