"""The monthly reports written for each district (the figures themselves belong to the apps that keep them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MonthlyReport(models.Model):
    """The report of a place for a month: the figures of the year up to the end of that month, as they stood when
    it was written (kept, so a report read later says what the office was told), as PDF and .docx."""

    place = models.ForeignKey("places.Place", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    place_path = models.CharField(max_length=120, db_index=True, editable=False)
    month = models.DateField(_("month"))
    created_at = models.DateTimeField(_("written at"))
    figures = models.JSONField(_("figures"), default=dict)
    pdf = models.BinaryField(_("PDF"))
    docx = models.BinaryField(_("Word document"))

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        constraints = [models.UniqueConstraint(fields=["place", "month"], name="leaders_report_once_a_month")]
        ordering = ["-month", "place_path"]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.place_path}"
