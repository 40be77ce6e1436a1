"""The annual science-popularization statistics (科普统计): the indicator dictionary, the forms, their values.

The dictionary (``Table``, ``Indicator``, ``Rule``) is data, loaded from an edition file
(``editions.py``); an indicator and a rule are valid from one year to another, so a new year's
edition changes what is asked without touching the years already filed.

A ``Report`` is one form: a reporting unit's (``level=unit``: a member unit, a street or town
office, a science base, the district office's own) or a district's table (``level=district``),
for one year. Its state is the approval workflow's (``workflow.py``). A ``Value`` is one figure
of a unit's form: what the platform counted (``platform``) and what the unit says (``value``);
``ValueChange`` keeps every change with who, when and why. ``SharedFigure`` holds the records a
platform figure counted that another unit's form may count too (a co-hosted activity, a
volunteer in two teams), so a roll-up counts each of them once (``rollup.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kepu.core.models import TimeStampedModel


class FilerKind(models.TextChoices):
    """The organizations that file a form of their own (the others' records count in the form of the one above)."""

    MEMBER_UNIT = "member_unit", _("Member unit")
    STREET_OFFICE = "street_office", _("Street/town office")
    SCIENCE_BASE = "science_base", _("Science base")
    DISTRICT_OFFICE = "district_office", _("District office")


class ValueType(models.TextChoices):
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Number with decimals")


class Aggregation(models.TextChoices):
    SUM = "sum", _("Sum")
    AREA = "area", _("Area (each venue once)")
    HEADCOUNT = "headcount", _("Headcount (each person once)")


class Severity(models.TextChoices):
    ERROR = "error", _("Error")
    WARNING = "warning", _("Warning")


class Edition(models.Model):
    """One loaded edition file of the dictionary (what was loaded, from which file, by whom)."""

    name = models.CharField(_("name"), max_length=100)
    source = models.CharField(_("file"), max_length=200)
    digest = models.CharField(_("SHA-256"), max_length=64)
    valid_from = models.PositiveSmallIntegerField(_("from year"))
    indicators = models.PositiveIntegerField(_("indicators"), default=0)
    rules = models.PositiveIntegerField(_("rules"), default=0)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("edition")
        verbose_name_plural = _("editions")
        ordering = ["-loaded_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.valid_from})"


class Table(models.Model):
    """One of the survey's tables (KP-001 科普人员 …): a group of indicators and a sheet of the workbook."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    sheet = models.CharField(_("sheet name"), max_length=31)
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("table")
        verbose_name_plural = _("tables")
        ordering = ["position", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Indicator(models.Model):
    """One figure the survey asks for, valid from ``valid_from`` to ``valid_to`` (inclusive; open when empty)."""

    code = models.CharField(_("code"), max_length=20)
    valid_from = models.PositiveSmallIntegerField(_("valid from"))
    valid_to = models.PositiveSmallIntegerField(_("valid to"), null=True, blank=True)
    table = models.ForeignKey(Table, verbose_name=_("table"), on_delete=models.PROTECT, related_name="indicators")
    position = models.PositiveIntegerField(_("sort order"), default=0)
    label = models.CharField(_("label"), max_length=120)
    label_en = models.CharField(_("English label"), max_length=160, blank=True)
    unit = models.CharField(_("unit of measure"), max_length=12)
    value_type = models.CharField(_("type"), max_length=10, choices=ValueType.choices, default=ValueType.INTEGER)
    aggregation = models.CharField(_("aggregation"), max_length=10, choices=Aggregation.choices)
    parent_code = models.CharField(_("part of"), max_length=20, blank=True)
    #: The filer kinds that fill it (``FilerKind`` values); empty: every kind.
    applies_to = models.JSONField(_("filled by"), default=list, blank=True)
    #: The measure (``kepu.core.measures``) that pre-fills it, with fixed filters (e.g. ``{"kind": "lecture"}``).
    source = models.CharField(_("pre-filled from"), max_length=60, blank=True)
    source_filters = models.JSONField(_("pre-fill filters"), default=dict, blank=True)
    help = models.CharField(_("explanation"), max_length=300, blank=True)
    #: Shown in the printable summary (this year against last, by district).
    headline = models.BooleanField(_("headline figure"), default=False)
    edition = models.ForeignKey(Edition, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["table__position", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="indicator_code_from"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="indicator_years_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.label}"

    def applies(self, kind: str) -> bool:
        return not self.applies_to or kind in self.applies_to

    @property
    def filled_by(self) -> list[str]:
        """The kinds of filer, in words (empty: every kind)."""
        return [str(FilerKind(kind).label) if kind in FilerKind.values else kind for kind in self.applies_to]

    @property
    def prefilled(self) -> bool:
        return bool(self.source)


class Rule(models.Model):
    """A validation rule: ``left operator right`` over indicator codes (``last(X)``: last year's value).

    ``for_each = "*"`` makes it a template applied to every numeric indicator of a form, with ``X``
    standing for it ("a change of more than 50 % from last year needs a comment").
    """

    code = models.CharField(_("code"), max_length=20)
    valid_from = models.PositiveSmallIntegerField(_("valid from"))
    valid_to = models.PositiveSmallIntegerField(_("valid to"), null=True, blank=True)
    left = models.CharField(_("left side"), max_length=300)
    operator = models.CharField(_("operator"), max_length=2)
    right = models.CharField(_("right side"), max_length=300)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    message = models.CharField(_("text shown"), max_length=200)
    message_en = models.CharField(_("text shown in English"), max_length=300, blank=True)
    for_each = models.CharField(_("for each"), max_length=20, blank=True)
    edition = models.ForeignKey(Edition, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("validation rule")
        verbose_name_plural = _("validation rules")
        ordering = ["code", "valid_from"]
        constraints = [models.UniqueConstraint(fields=["code", "valid_from"], name="rule_code_from")]

    def __str__(self):
        return f"{self.code}: {self.left} {self.operator} {self.right}"


class ReportLevel(models.TextChoices):
    UNIT = "unit", _("Reporting unit")
    DISTRICT = "district", _("District table")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Not submitted")
    SUBMITTED = "submitted", _("Submitted for review")
    ACCEPTED = "accepted", _("Accepted at the level above")
    RETURNED = "returned", _("Returned")
    REPORTED = "reported", _("Approved above")


#: States in which the filer may still change the form.
OPEN_STATES = (ReportStatus.DRAFT, ReportStatus.RETURNED)


class Report(TimeStampedModel):
    """One form (统计报表) of one year: a reporting unit's, or a district's table."""

    year = models.PositiveSmallIntegerField(_("year"))
    level = models.CharField(_("level"), max_length=10, choices=ReportLevel.choices)
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("reporting unit"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind of unit"), max_length=20, choices=FilerKind.choices)
    district = models.ForeignKey("places.Place", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    place_path = models.CharField(max_length=120, db_index=True, editable=False)
    #: The organizations whose records the platform's figures count (the unit and those it files for).
    scope = models.JSONField(default=list, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT, db_index=True
    )
    prefilled_at = models.DateTimeField(_("pre-filled at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    return_reason = models.CharField(_("reason for returning"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("statistics form")
        verbose_name_plural = _("statistics forms")
        ordering = ["year", "district__code", "level", "kind", "organization__name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "year", "level"], name="report_once_a_year"),
        ]
        indexes = [models.Index(fields=["district", "year", "level"], name="report_district_year_idx")]

    def __str__(self):
        return f"{self.year} {self.organization}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES


class Value(models.Model):
    """One figure of a unit's form: the platform's count and the unit's figure (equal until the unit changes it)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="values")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=2, null=True, blank=True)
    platform = models.DecimalField(_("counted by the platform"), max_digits=18, decimal_places=2, null=True)
    #: The unit set a figure other than the platform's (a correction or an addition).
    changed = models.BooleanField(default=False)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("value")
        verbose_name_plural = _("values")
        constraints = [
            models.UniqueConstraint(fields=["report", "indicator"], name="value_once"),
            models.CheckConstraint(condition=Q(value__isnull=True) | Q(value__gte=0), name="value_not_negative"),
        ]

    def __str__(self):
        return f"{self.indicator_id}={self.value}"


class ValueSource(models.TextChoices):
    PLATFORM = "platform", _("Counted by the platform")
    UNIT = "unit", _("Entered by the unit")


class ValueChangeQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The history of a form is append-only.")


class ValueChange(models.Model):
    """A change of a figure: from what to what, by whom, when and why. Append-only."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="changes")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    old = models.DecimalField(_("before"), max_digits=18, decimal_places=2, null=True)
    new = models.DecimalField(_("after"), max_digits=18, decimal_places=2, null=True)
    source = models.CharField(_("source"), max_length=10, choices=ValueSource.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"))

    objects = ValueChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["report", "at"], name="value_change_report_idx")]

    def __str__(self):
        return f"{self.indicator_id}: {self.old} → {self.new}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The history of a form is append-only.")
        super().save(*args, **kwargs)


class SharedFigure(models.Model):
    """A record a platform figure counted that another unit's form may count too (see ``rollup.py``)."""

    value = models.ForeignKey(Value, on_delete=models.CASCADE, related_name="shared")
    key = models.CharField(max_length=60)
    weight = models.DecimalField(max_digits=18, decimal_places=2)
    lead = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["key"], name="shared_figure_key_idx")]

    def __str__(self):
        return f"{self.key} ({self.weight})"


class RuleNote(models.Model):
    """The unit's explanation of a warning (a warning needs one before the form can be submitted)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notes")
    rule_key = models.CharField(_("rule"), max_length=60)
    text = models.CharField(_("explanation"), max_length=1000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("explanation")
        verbose_name_plural = _("explanations")
        constraints = [models.UniqueConstraint(fields=["report", "rule_key"], name="rule_note_once")]

    def __str__(self):
        return f"{self.rule_key}: {self.text[:30]}"
