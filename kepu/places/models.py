"""The administrative tree: city → district → street/town → community/village."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kepu.places.choices import PlaceLevel  # noqa: F401 - the vocabulary other apps share

LEVEL_DEPTH = {PlaceLevel.CITY: 0, PlaceLevel.DISTRICT: 1, PlaceLevel.STREET: 2, PlaceLevel.COMMUNITY: 3}
PARENT_LEVEL = {
    PlaceLevel.DISTRICT: PlaceLevel.CITY,
    PlaceLevel.STREET: PlaceLevel.DISTRICT,
    PlaceLevel.COMMUNITY: PlaceLevel.STREET,
}


class Place(models.Model):
    """A node of the administrative tree.

    ``path`` is the materialized path of keys from the root (``110000/110115/110115001/``),
    so "everything in 大兴区" is one indexed prefix query on any table that stores it. The
    key is the official GB/T 2260 (district) or township code where one exists; places
    without an official code (most communities in the demo) get a stable local key.
    """

    code = models.CharField(_("code"), max_length=20, unique=True)
    official = models.BooleanField(_("official code"), default=True)
    name = models.CharField(_("name"), max_length=60)
    level = models.CharField(_("level"), max_length=12, choices=PlaceLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("path"), max_length=120, unique=True)
    # Denormalized for cheap grouping in statistics (which district/street a place is in).
    district_code = models.CharField(_("district code"), max_length=20, blank=True, db_index=True)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level="city", parent__isnull=True)
                | models.Q(parent__isnull=False) & ~models.Q(level="city"),
                name="place_only_city_is_root",
            )
        ]

    def __str__(self):
        return self.name

    def full_name(self) -> str:
        """北京市 大兴区 清源街道 …: the names along the path (one query)."""
        return " ".join(p.name for p in self.ancestors(include_self=True))

    def ancestors(self, include_self=False):
        codes = [c for c in self.path.strip("/").split("/") if c]
        if not include_self:
            codes = codes[:-1]
        by_code = {p.code: p for p in Place.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]
