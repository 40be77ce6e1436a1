"""Science bases (科普基地): the base, its certification, the rubric, annual reviews and spot checks.

A ``Base`` is a venue, lab, farm, factory or museum that opens to the public for science,
hosted by an organization. It is certified through an ``Application`` (申报) at one level
(district, then city when the district recommends it), run by ``workflow.CERTIFICATION``;
each year it files an ``AnnualReview`` (年度考核) run by ``workflow.REVIEW``. A base's visit
slots and bookings are the activities engine's (``Base.venue`` is its venue there), never a
copy: this app reads them through ``kepu.activities.selectors``.

Where a base stands (``Base.standing``, ``level``, ``term_*``) follows from those two
machines' decisions and from its term running out; only ``kepu.bases.services`` writes it.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kepu.core.models import TimeStampedModel
from kepu.core.populations import Population


class Category(models.TextChoices):
    """Beijing's three categories of science bases (北京市科普基地)."""

    VENUE = "venue", _("Science venue (科技场馆类)")
    RESEARCH = "research", _("Science research and development (科普研发类)")
    COMMUNICATION = "communication", _("Science communication (科技传播类)")


class Level(models.TextChoices):
    DISTRICT = "district", _("District level")
    CITY = "city", _("City level")
    NATIONAL = "national", _("National level")


#: A higher level outranks a lower one: a city-level base that also holds a district title is "city".
LEVEL_RANK = {Level.DISTRICT: 1, Level.CITY: 2, Level.NATIONAL: 3}


class Theme(models.TextChoices):
    """What a base is about (its exhibits and programmes); keys shared with activities' topics where they meet."""

    ASTRONOMY = "astronomy", _("Space and astronomy")
    HEALTH = "health", _("Health")
    ENVIRONMENT = "environment", _("Environment")
    SAFETY = "safety", _("Safety and emergencies")
    AI = "ai", _("Information technology and AI")
    FARMING = "farming", _("Farming")
    ENGINEERING = "engineering", _("Engineering and industry")
    EARTH = "earth", _("Earth and natural history")
    CULTURE = "culture", _("Science culture")


class Standing(models.TextChoices):
    NEW = "new", _("Not certified yet")
    CERTIFIED = "certified", _("Certified")
    RECTIFYING = "rectifying", _("Certified, under rectification")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Term ended")


#: Bases that hold a title and may be listed (while their term runs).
IN_FORCE = (Standing.CERTIFIED, Standing.RECTIFYING)


class StudentPolicy(models.TextChoices):
    FREE = "free", _("Free for students on every open day")
    FREE_DAYS = "free_days", _("Free for students on set days")
    DISCOUNTED = "discounted", _("Discounted for students")
    NONE = "none", _("No student concession")


#: Policies that the public filter "free for students" finds.
FREE_FOR_STUDENTS = (StudentPolicy.FREE, StudentPolicy.FREE_DAYS)


def tags_to_text(values) -> str:
    """Tags are stored as ``,a,b,`` so "has tag a" is one portable LIKE on SQLite and PostgreSQL."""
    values = [v for v in dict.fromkeys(values or []) if v]
    return f",{','.join(values)}," if values else ""


def text_to_tags(text: str) -> list[str]:
    return [v for v in (text or "").split(",") if v]


class NationalType(models.Model):
    """A type of 全国科普教育基地 (data: the list the national notice of a period names)."""

    slug = models.SlugField(_("key"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=40)
    order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("national base type")
        verbose_name_plural = _("national base types")
        ordering = ["order", "slug"]

    def __str__(self):
        return self.name


class Base(TimeStampedModel):
    """A science base: who hosts it, what it is, where it is, when it opens, whom it serves."""

    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("host organization"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    national_type = models.ForeignKey(
        NationalType,
        verbose_name=_("national type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Where it stands: written by the services only.
    standing = models.CharField(
        _("standing"), max_length=12, choices=Standing.choices, default=Standing.NEW, db_index=True
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, blank=True)
    term_start = models.DateField(_("term from"), null=True, blank=True)
    term_end = models.DateField(_("term until"), null=True, blank=True)
    certificate_number = models.CharField(_("certificate number"), max_length=32, blank=True)
    # Where it is
    place = models.ForeignKey(
        "places.Place", verbose_name=_("place in the tree"), on_delete=models.PROTECT, related_name="+"
    )
    place_path = models.CharField(max_length=120, db_index=True, editable=False)
    district_code = models.CharField(max_length=20, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=200)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(39), MaxValueValidator(42)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(115), MaxValueValidator(118)],
    )
    # What it offers; figures it declares are null until given (never defaulted).
    exhibition_area = models.PositiveIntegerField(_("exhibition area (m²)"), null=True, blank=True)
    open_days_per_year = models.PositiveSmallIntegerField(
        _("open days a year"), null=True, blank=True, validators=[MaxValueValidator(366)]
    )
    hours_note = models.CharField(
        _("about the opening hours"),
        max_length=200,
        blank=True,
        help_text=_("What the weekly hours do not say: closed on public holidays, last entry, …"),
    )
    student_policy = models.CharField(_("for students"), max_length=12, choices=StudentPolicy.choices, blank=True)
    student_days_per_year = models.PositiveSmallIntegerField(
        _("free or discounted student days a year"), null=True, blank=True, validators=[MaxValueValidator(366)]
    )
    student_note = models.CharField(_("student days"), max_length=200, blank=True)
    staff_full_time = models.PositiveSmallIntegerField(_("full-time science staff"), null=True, blank=True)
    staff_part_time = models.PositiveSmallIntegerField(_("part-time science staff"), null=True, blank=True)
    guides = models.PositiveSmallIntegerField(_("guides (讲解员)"), null=True, blank=True)
    themes = models.CharField(_("themes"), max_length=200, blank=True)
    populations = models.CharField(_("populations served"), max_length=120, blank=True)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    phone = models.CharField(_("public telephone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    #: Its venue in the activities engine (opening hours, visit slots, bookings), once hours are set.
    venue = models.ForeignKey(
        "activities.Venue", verbose_name=_("venue"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: Visitors counted by the last annual review (for the public list without reading the visits).
    visitors_last_year = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("science base")
        verbose_name_plural = _("science bases")
        ordering = ["name", "pk"]
        indexes = [
            # The public list: bases in force by district, by name.
            models.Index(
                fields=["district_code", "name", "id"],
                condition=Q(standing__in=["certified", "rectifying"]),
                name="base_listed_district_idx",
            ),
            models.Index(
                fields=["name", "id"], condition=Q(standing__in=["certified", "rectifying"]), name="base_listed_idx"
            ),
            models.Index(fields=["organization", "name"], name="base_org_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_start__isnull=True) | Q(term_end__gte=F("term_start")),
                name="base_term_ordered",
            ),
            models.UniqueConstraint(
                fields=["certificate_number"], condition=~Q(certificate_number=""), name="base_certificate_unique"
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.place_id:
            self.place_path = self.place.path
            self.district_code = self.place.district_code
        super().save(*args, **kwargs)

    @property
    def theme_list(self) -> list[str]:
        return text_to_tags(self.themes)

    @property
    def population_list(self) -> list[str]:
        return text_to_tags(self.populations)

    def theme_labels(self) -> list[str]:
        return [str(Theme(t).label) for t in self.theme_list if t in Theme.values]

    def population_labels(self) -> list[str]:
        return [str(Population(p).label) for p in self.population_list if p in Population.values]

    def in_force_on(self, day: date) -> bool:
        return (
            self.standing in IN_FORCE
            and self.term_start is not None
            and self.term_end is not None
            and self.term_start <= day <= self.term_end
        )

    @property
    def free_for_students(self) -> bool:
        return self.student_policy in FREE_FOR_STUDENTS


class BasePhoto(models.Model):
    base = models.ForeignKey(Base, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to="bases/photos/%Y/")
    caption = models.CharField(_("caption"), max_length=120, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo of a base")
        verbose_name_plural = _("photos of bases")
        ordering = ["pk"]

    def __str__(self):
        return self.caption or self.image.name


# --- The rubric (data, per level and year) ---------------------------------------------------
class Metric(models.TextChoices):
    """What a hard threshold measures. For an application the base's declared figures count; for an
    annual review the platform's (open days from slots, visitors from check-ins and walk-ins, plus
    visitors the platform cannot see, declared in the self-report)."""

    AREA = "area", _("Exhibition area (m²)")
    OPEN_DAYS = "open_days", _("Open days a year")
    VISITORS = "visitors", _("Visitors a year")
    STUDENT_DAYS = "student_days", _("Free or discounted student days a year")
    GUIDES = "guides", _("Guides")


class Rubric(models.Model):
    """The standard a base is certified and reviewed by, for one level and year."""

    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=100)
    pass_line = models.DecimalField(_("pass line (points)"), max_digits=6, decimal_places=1)

    class Meta:
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")
        ordering = ["-year", "level"]
        constraints = [models.UniqueConstraint(fields=["level", "year"], name="rubric_one_per_level_year")]

    def __str__(self):
        return self.name

    @property
    def total(self):
        return sum((i.weight for i in self.items.all()), start=0)


class Threshold(models.Model):
    """A hard threshold: a base below it cannot be certified or kept, whatever its score."""

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="thresholds")
    metric = models.CharField(_("measure"), max_length=16, choices=Metric.choices)
    minimum = models.PositiveIntegerField(_("at least"))
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("hard threshold")
        verbose_name_plural = _("hard thresholds")
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["rubric", "metric"], name="threshold_one_per_metric")]

    def __str__(self):
        return f"{self.get_metric_display()} ≥ {self.minimum}"


class RubricItem(models.Model):
    """A scored item with its weight (the most points it can give)."""

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("item"), max_length=100)
    guidance = models.CharField(_("what earns the points"), max_length=300, blank=True)
    weight = models.DecimalField(_("weight (points)"), max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = _("rubric item")
        verbose_name_plural = _("rubric items")
        ordering = ["order", "pk"]

    def __str__(self):
        return self.title


# --- Certification (申报 → 认定) --------------------------------------------------------------
class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    SUBMITTED = "submitted", _("Materials being checked")
    RETURNED = "returned", _("Returned for completion")
    EXPERT_REVIEW = "expert_review", _("Expert review")
    INSPECTION = "inspection", _("Site inspection")
    DECISION = "decision", _("Waiting for the decision")
    NOTICE = "notice", _("Public notice")
    CERTIFIED = "certified", _("Certified")
    REFUSED = "refused", _("Not certified")
    WITHDRAWN = "withdrawn", _("Withdrawn by the base")


class Application(TimeStampedModel):
    """One application of a base for certification at one level (申报), and where it stands.

    ``office_path`` is the place of the office that runs it: the base's district for a district
    application, the city for a city one. ``declared`` is what the base declared when it last
    submitted (its figures then), so the experts and the decision judge one set of facts.
    """

    base = models.ForeignKey(
        Base, verbose_name=_("science base"), on_delete=models.PROTECT, related_name="applications"
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    rubric = models.ForeignKey(Rubric, verbose_name=_("rubric"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=14, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT, db_index=True
    )
    office_path = models.CharField(max_length=120, db_index=True, editable=False)
    recommended_from = models.ForeignKey(
        "self",
        verbose_name=_("recommended by the district's certification"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recommendation = models.TextField(_("recommendation"), blank=True)
    statement = models.TextField(_("statement of the application"), blank=True)
    visitors_declared = models.PositiveIntegerField(_("visitors in the last twelve months"), null=True, blank=True)
    declared = models.JSONField(_("declared figures"), default=dict, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # Site inspection
    inspected_on = models.DateField(_("inspected on"), null=True, blank=True)
    inspectors = models.CharField(_("inspectors"), max_length=200, blank=True)
    inspection_findings = models.TextField(_("findings"), blank=True)
    inspection_passed = models.BooleanField(_("the site meets the standard"), null=True, blank=True)
    # Decision and public notice
    notice_days = models.PositiveSmallIntegerField(_("days of public notice"), null=True, blank=True)
    term_years = models.PositiveSmallIntegerField(_("term (years)"), null=True, blank=True)
    notice_starts_at = models.DateTimeField(_("notice from"), null=True, blank=True)
    notice_ends_at = models.DateTimeField(_("notice until"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)
    term_start = models.DateField(_("term from"), null=True, blank=True)
    term_end = models.DateField(_("term until"), null=True, blank=True)
    certificate_number = models.CharField(_("certificate number"), max_length=32, blank=True)
    certified_at = models.DateTimeField(_("certified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("application for certification")
        verbose_name_plural = _("applications for certification")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["office_path", "status"], name="application_office_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["certificate_number"],
                condition=~Q(certificate_number=""),
                name="application_certificate_unique",
            ),
            # One application per base and level is alive at a time.
            models.UniqueConstraint(
                fields=["base", "level"],
                condition=~Q(status__in=["certified", "refused", "withdrawn"]),
                name="application_one_open_per_level",
            ),
        ]

    def __str__(self):
        return f"{self.base} · {self.get_level_display()} {self.year}"


class MaterialKind(models.TextChoices):
    FORM = "form", _("Application form")
    VENUE = "venue", _("Proof of the venue and its area")
    EXHIBITS = "exhibits", _("Exhibits and programmes")
    RECORDS = "records", _("Records of opening and visitors")
    STAFF = "staff", _("Staff and guides")
    OTHER = "other", _("Other")


class Material(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    kind = models.CharField(_("kind"), max_length=10, choices=MaterialKind.choices)
    file = models.FileField(_("file"), upload_to="bases/materials/%Y/")
    name = models.CharField(_("name"), max_length=120)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["kind", "pk"]

    def __str__(self):
        return self.name


class ApplicationEvent(models.Model):
    """The history of an application: one row per transition (with its reason), kept for the page."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=14)
    to_status = models.CharField(max_length=14)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=30, blank=True)
    reason = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.application_id} {self.action}"


class Conflict(models.Model):
    """A declared conflict of interest (回避) between an expert and an organization: never drawn for it."""

    class Source(models.TextChoices):
        EXPERT = "expert", _("Declared by the expert")
        APPLICANT = "applicant", _("Asked by the applicant")
        OFFICE = "office", _("Recorded by the office")

    expert = models.ForeignKey(
        "volunteers.Expert", verbose_name=_("expert"), on_delete=models.CASCADE, related_name="+"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("organization"), on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)
    source = models.CharField(_("declared by"), max_length=10, choices=Source.choices)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [models.UniqueConstraint(fields=["expert", "organization"], name="conflict_once")]

    def __str__(self):
        return f"{self.expert_id} × {self.organization_id}"


class ExpertDraw(models.Model):
    """One random draw of experts for an application, reproducible from its seed.

    ``pool`` is the sorted list of eligible expert ids the draw chose from, ``excluded`` says
    who was left out and why, ``drawn`` the ids chosen: ``random.Random(seed).sample(pool, n)``.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="draws")
    seed = models.BigIntegerField()
    wanted = models.PositiveSmallIntegerField()
    pool = models.JSONField(default=list)
    excluded = models.JSONField(default=dict)
    drawn = models.JSONField(default=list)
    reason = models.CharField(max_length=200, blank=True)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    drawn_at = models.DateTimeField()

    class Meta:
        ordering = ["drawn_at", "pk"]

    def __str__(self):
        return f"draw {self.pk} of application {self.application_id}"


class SheetStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the scores")
    SUBMITTED = "submitted", _("Scored")
    RECUSED = "recused", _("Withdrew (conflict of interest)")


class ScoreSheet(TimeStampedModel):
    """One scorer's sheet: an expert's for an application, or the office's for an annual review."""

    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.CASCADE, related_name="sheets")
    review = models.ForeignKey("AnnualReview", null=True, blank=True, on_delete=models.CASCADE, related_name="sheets")
    expert = models.ForeignKey("volunteers.Expert", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    scorer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=SheetStatus.choices, default=SheetStatus.PENDING)
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=1, null=True, blank=True)
    comment = models.TextField(_("overall comment"), blank=True)
    recusal_reason = models.CharField(_("reason for withdrawing"), max_length=300, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("score sheet")
        verbose_name_plural = _("score sheets")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(application__isnull=False, review__isnull=True)
                | Q(application__isnull=True, review__isnull=False),
                name="sheet_for_one_thing",
            ),
            models.UniqueConstraint(
                fields=["application", "expert"], condition=Q(application__isnull=False), name="sheet_once_per_expert"
            ),
        ]

    def __str__(self):
        return f"sheet {self.pk}"


class Score(models.Model):
    sheet = models.ForeignKey(ScoreSheet, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(RubricItem, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=1)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sheet", "item"], name="score_once_per_item")]

    def __str__(self):
        return f"{self.item_id}: {self.points}"


class Objection(models.Model):
    """An objection raised during the public notice (公示), and the office's answer."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="objections")
    text = models.TextField(_("objection"))
    lodged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    lodged_name = models.CharField(_("raised by"), max_length=60)
    lodged_at = models.DateTimeField()
    answer = models.TextField(_("answer to the objection"), blank=True)
    upheld = models.BooleanField(_("upheld"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["lodged_at", "pk"]

    def __str__(self):
        return f"objection {self.pk}"


class InspectionPhoto(models.Model):
    """A photo taken at a site inspection (of an application) or a spot check (of an annual review)."""

    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="inspection_photos"
    )
    review = models.ForeignKey(
        "AnnualReview", null=True, blank=True, on_delete=models.CASCADE, related_name="inspection_photos"
    )
    image = models.FileField(_("photo"), upload_to="bases/inspections/%Y/")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.image.name


# --- Annual review (年度考核) -------------------------------------------------------------------
class ReviewStatus(models.TextChoices):
    OPEN = "open", _("Self-report being filled in")
    SUBMITTED = "submitted", _("Self-report submitted")
    SCORED = "scored", _("Scored")
    INSPECTED = "inspected", _("Spot check done")
    KEPT = "kept", _("Kept")
    RECTIFYING = "rectifying", _("Rectification ordered")
    RECTIFIED = "rectified", _("Rectification reported")
    REVOKED = "revoked", _("Revoked")


class AnnualReview(TimeStampedModel):
    """A base's annual review for one year: its self-report, the office's score, a spot check, the outcome.

    ``figures`` is what the platform counted when the base submitted (each figure a key of
    ``review.FIGURES``), ``declared`` what the base adds that the platform cannot know.
    """

    base = models.ForeignKey(Base, verbose_name=_("science base"), on_delete=models.PROTECT, related_name="reviews")
    year = models.PositiveSmallIntegerField(_("year"))
    rubric = models.ForeignKey(Rubric, verbose_name=_("rubric"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.OPEN, db_index=True
    )
    office_path = models.CharField(max_length=120, db_index=True, editable=False)
    figures = models.JSONField(_("figures from the platform"), default=dict, blank=True)
    declared = models.JSONField(_("declared by the base"), default=dict, blank=True)
    report = models.TextField(_("report of the year"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    spot_check = models.BooleanField(_("drawn for a spot check"), default=False)
    spot_draw = models.ForeignKey(
        "SpotCheckDraw", null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    inspected_on = models.DateField(_("inspected on"), null=True, blank=True)
    inspection_findings = models.TextField(_("findings"), blank=True)
    rectify_by = models.DateField(_("rectify by"), null=True, blank=True)
    rectification = models.TextField(_("rectification done"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)

    class Meta:
        verbose_name = _("annual review")
        verbose_name_plural = _("annual reviews")
        ordering = ["-year", "pk"]
        constraints = [models.UniqueConstraint(fields=["base", "year"], name="review_once_a_year")]
        indexes = [models.Index(fields=["office_path", "year", "status"], name="review_office_idx")]

    def __str__(self):
        return f"{self.base} {self.year}"


class ReviewEvent(models.Model):
    review = models.ForeignKey(AnnualReview, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=12)
    to_status = models.CharField(max_length=12)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=100, blank=True)
    reason = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.review_id} {self.action}"


class SpotCheckDraw(models.Model):
    """A random draw of annual reviews for spot checks (抽查), reproducible from its seed.

    ``pool`` is the sorted ids of the reviews that could be drawn; ``drawn`` is
    ``sorted(random.Random(seed).sample(pool, count))``.
    """

    office_path = models.CharField(max_length=120, db_index=True)
    year = models.PositiveSmallIntegerField()
    seed = models.BigIntegerField()
    count = models.PositiveIntegerField()
    pool = models.JSONField(default=list)
    drawn = models.JSONField(default=list)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    drawn_at = models.DateTimeField()

    class Meta:
        ordering = ["-drawn_at", "-pk"]

    def __str__(self):
        return f"spot checks {self.year} ({self.count})"
