"""Science volunteers (科普志愿者), their organizations' needs, the service-hours ledger and the expert library.

The hours ledger (``HoursEntry``) is append-only: a wrong entry is balanced by a correction,
never edited. ``HoursBalance`` is a projection of the ledger per volunteer and organization,
kept in the same transaction as each entry so that totals never scan the ledger; ``HoursMonth`` is another,
per month and organization, for the figures of a place.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kepu.core.models import TimeStampedModel
from kepu.core.pii import EncryptedTextField, mask_id_number, mask_phone

#: Star levels (星级志愿者) by credited hours.
STAR_THRESHOLDS_HOURS = (100, 300, 600, 1000, 1500)


def star_level(minutes: int) -> int:
    """0 to 5 stars for a total of ``minutes`` credited minutes."""
    hours = max(minutes, 0) / 60
    return sum(1 for t in STAR_THRESHOLDS_HOURS if hours >= t)


class Education(models.TextChoices):
    PRIMARY = "primary", _("Primary school or below")
    SECONDARY = "secondary", _("Secondary school")
    COLLEGE = "college", _("College")
    BACHELOR = "bachelor", _("Bachelor's degree")
    MASTER = "master", _("Master's degree")
    DOCTORATE = "doctorate", _("Doctorate")


class Availability(models.TextChoices):
    WEEKDAY_DAY = "weekday_day", _("Weekday daytime")
    WEEKDAY_EVENING = "weekday_evening", _("Weekday evenings")
    WEEKEND = "weekend", _("Weekends")
    HOLIDAY = "holiday", _("Public holidays")


class Audience(models.TextChoices):
    """The five key populations (重点人群) and the general public."""

    YOUTH = "youth", _("Youth")
    FARMERS = "farmers", _("Farmers")
    WORKERS = "workers", _("Industrial workers")
    ELDERLY = "elderly", _("The elderly")
    OFFICIALS = "officials", _("Officials and civil servants")
    PUBLIC = "public", _("General public")


class Volunteer(TimeStampedModel):
    """A registered science volunteer (科普志愿者), with real-name data.

    ``id_number`` is encrypted at rest; ``id_index`` is its blind index, so one ID number
    registers once. After anonymization the personal fields are emptied and
    ``anonymized_at`` is set; the ledger rows stay, so totals still count the hours.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteer",
    )
    real_name = models.CharField(_("real name"), max_length=50)
    id_number = EncryptedTextField(_("ID number"), blank=True)
    id_index = models.CharField(max_length=40, unique=True, null=True, blank=True, editable=False)
    #: When the person themselves gave or confirmed the ID number (registering, or confirming what a team's import
    #: entered). An unconfirmed number does not keep its real holder out: registering with it takes it back.
    id_confirmed_at = models.DateTimeField(_("ID number confirmed at"), null=True, blank=True)
    phone = EncryptedTextField(_("mobile phone"), blank=True)
    street = models.ForeignKey(
        "places.Place",
        verbose_name=_("home street or town"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    skills = models.JSONField(_("skills"), default=list, blank=True)
    topics = models.JSONField(_("topics"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    availability = models.JSONField(_("availability"), default=list, blank=True)
    education = models.CharField(_("education"), max_length=12, choices=Education.choices, blank=True)
    title = models.CharField(_("professional title"), max_length=50, blank=True)
    #: A random token printed as the volunteer's QR code for sign-in at a need.
    qr_token = models.CharField(max_length=32, unique=True)
    anonymized_at = models.DateTimeField(_("anonymized at"), null=True, blank=True)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["real_name", "pk"]

    def __str__(self):
        return self.real_name

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class JoinStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the organization")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class JoinRequest(TimeStampedModel):
    """A volunteer asks to join a volunteer organization; its staff approve or reject."""

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.CASCADE, related_name="join_requests"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=JoinStatus.choices, default=JoinStatus.PENDING)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "organization"], condition=models.Q(status="pending"), name="join_one_pending"
            ),
        ]

    def __str__(self):
        return f"{self.volunteer} → {self.organization}"


class Training(TimeStampedModel):
    """A course for volunteers or science-popularization staff (科普人才培训)."""

    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("organizer"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    hours = models.DecimalField(_("training hours"), max_digits=5, decimal_places=1, default=0)

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["title"]

    def __str__(self):
        return self.title


class TrainingSession(models.Model):
    training = models.ForeignKey(
        Training, verbose_name=_("training"), on_delete=models.CASCADE, related_name="sessions"
    )
    starts_at = models.DateTimeField(_("starts at"))
    location = models.CharField(_("location"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["starts_at"]

    def __str__(self):
        return f"{self.training} {self.starts_at:%Y-%m-%d}"


class TrainingAttendance(models.Model):
    """A volunteer attended a session; attending any session completes the training."""

    session = models.ForeignKey(
        TrainingSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendances"
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.CASCADE, related_name="trainings"
    )
    certificate_no = models.CharField(_("certificate number"), max_length=32, unique=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendances")
        constraints = [models.UniqueConstraint(fields=["session", "volunteer"], name="attendance_once")]

    def __str__(self):
        return f"{self.volunteer} @ {self.session}"


class NeedKind(models.TextChoices):
    ACTIVITY = "activity", _("Activity")
    ORDER = "order", _("Service order")
    OPEN_DAY = "open_day", _("Science base open day")
    OTHER = "other", _("Other")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("Open for sign-up")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Need(TimeStampedModel):
    """An organization needs volunteers: how many, with which skills, when, plus standby places.

    ``ref_kind``/``ref_id`` point to the activity, order or open day it is for; they are ids
    only because those records live in other apps.
    """

    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("for"), max_length=10, choices=NeedKind.choices, default=NeedKind.OTHER)
    ref_id = models.PositiveBigIntegerField(_("activity or order number"), null=True, blank=True)
    place = models.ForeignKey("places.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("address"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    slots = models.PositiveIntegerField(_("volunteers needed"))
    standby_slots = models.PositiveIntegerField(_("standby places"), default=0)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    required_training = models.ForeignKey(
        Training, verbose_name=_("required training"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN)

    class Meta:
        verbose_name = _("volunteer need")
        verbose_name_plural = _("volunteer needs")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="need_ends_after_start")
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == NeedStatus.OPEN


class SignUpStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    CONFIRMED = "confirmed", _("Confirmed")
    STANDBY = "standby", _("Standby")
    REJECTED = "rejected", _("Not taken")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SignUp(TimeStampedModel):
    """A volunteer signs up for a need; presence (sign-in and sign-out) is recorded on the day."""

    need = models.ForeignKey(Need, verbose_name=_("need"), on_delete=models.CASCADE, related_name="signups")
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.CASCADE, related_name="signups"
    )
    status = models.CharField(_("status"), max_length=10, choices=SignUpStatus.choices, default=SignUpStatus.APPLIED)
    signed_in_at = models.DateTimeField(_("signed in"), null=True, blank=True)
    signed_out_at = models.DateTimeField(_("signed out"), null=True, blank=True)
    minutes = models.PositiveIntegerField(_("minutes served"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["need", "volunteer"], name="signup_once")]

    def __str__(self):
        return f"{self.volunteer} · {self.need}"

    @property
    def is_confirmed(self) -> bool:
        return self.status == SignUpStatus.CONFIRMED


class HoursSource(models.TextChoices):
    NEED = "need", _("Volunteer need")
    ACTIVITY = "activity", _("Activity")
    ORDER = "order", _("Service order")
    REPORT = "report", _("Reported by the volunteer")
    CORRECTION = "correction", _("Correction")
    IMPORT = "import", _("Imported")


class HoursEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The hours ledger is append-only; add a correction instead.")

    def delete(self):
        raise TypeError("The hours ledger is append-only; add a correction instead.")


class HoursEntry(models.Model):
    """One line of the service-hours ledger (志愿服务时长). Append-only.

    ``key`` is the idempotency key of what earned the hours (``order:12:34``): the unique
    constraint makes crediting the same service twice impossible, whoever tries.
    """

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="hours"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    minutes = models.IntegerField(_("minutes"))
    source = models.CharField(_("source"), max_length=12, choices=HoursSource.choices)
    key = models.CharField(max_length=80, unique=True)
    served_on = models.DateField(_("served on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    corrects = models.ForeignKey(
        "self", verbose_name=_("corrects"), null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = HoursEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("hours entry")
        verbose_name_plural = _("hours ledger")
        ordering = ["-served_on", "-pk"]
        indexes = [models.Index(fields=["volunteer", "served_on"]), models.Index(fields=["organization", "served_on"])]

    def __str__(self):
        return f"{self.volunteer} {self.minutes:+d} min ({self.key})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The hours ledger is append-only; add a correction instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The hours ledger is append-only; add a correction instead.")

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)


class HoursBalance(models.Model):
    """Running total of the ledger per volunteer and organization (a projection, updated with each entry)."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="balances")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    minutes = models.BigIntegerField(default=0)
    entries = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("hours balance")
        verbose_name_plural = _("hours balances")
        constraints = [models.UniqueConstraint(fields=["volunteer", "organization"], name="balance_once")]
        indexes = [models.Index(fields=["organization", "minutes"])]

    def __str__(self):
        return f"{self.volunteer} @ {self.organization}: {self.minutes}"


class HoursMonth(models.Model):
    """The ledger's minutes per month served, organization and the place the organization sits in: what the
    city's and districts' figures read (a city's year is months × teams rows, not every ledger line).

    Another projection of the ledger, moved by ``credit_hours`` in the entry's own transaction by one atomic
    upsert (two teams' entries never lose each other's minutes); ``place_path`` is the organization's, which
    does not move. Internal bookkeeping, shown on no page: its names are not in the catalogues.
    """

    month = models.DateField("month served")
    organization_id = models.BigIntegerField("organization")
    place_path = models.CharField("organization's place", max_length=120)
    minutes = models.BigIntegerField(default=0)
    entries = models.IntegerField(default=0)

    KEY = ("month", "organization_id", "place_path")

    class Meta:
        verbose_name = "hours per month"
        verbose_name_plural = "hours per month"
        constraints = [
            models.UniqueConstraint(fields=["month", "organization_id", "place_path"], name="hours_month_key")
        ]
        # A place's rows are found by path prefix (LIKE 'path/%'): on PostgreSQL only a pattern-ops index serves
        # that under a non-C collation (19 ms → 0.5 ms for a street's year at city scale); SQLite ignores opclasses.
        indexes = [
            models.Index(
                fields=["place_path", "month"],
                name="hours_month_place_idx",
                opclasses=["varchar_pattern_ops", "date_ops"],
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.place_path} {self.organization_id}: {self.minutes}"


class HoursMonthDistrict(models.Model):
    """The same minutes per month and district only (``district_code`` is blank for organizations of the city
    itself): what the city's and districts' figures read, a city's year being 12 × 17 rows instead of every
    team's months. Moved by ``credit_hours`` together with ``HoursMonth``, so each row is the sum of its
    district's ``HoursMonth`` rows. Internal bookkeeping, shown on no page.
    """

    month = models.DateField("month served")
    district_code = models.CharField("district", max_length=20, blank=True)
    minutes = models.BigIntegerField(default=0)
    entries = models.IntegerField(default=0)

    KEY = ("month", "district_code")

    class Meta:
        verbose_name = "hours per month and district"
        verbose_name_plural = "hours per month and district"
        constraints = [models.UniqueConstraint(fields=["month", "district_code"], name="hours_month_district_key")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.district_code or '-'}: {self.minutes}"


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class HoursReport(TimeStampedModel):
    """A volunteer reports hours served outside the platform; the organization approves or rejects with a reason."""

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.CASCADE, related_name="reports"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    served_on = models.DateField(_("served on"))
    minutes = models.PositiveIntegerField(_("minutes"))
    description = models.CharField(_("what you did"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("hours report")
        verbose_name_plural = _("hours reports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.volunteer} {self.served_on} {self.minutes}"


class Certificate(models.Model):
    """A certificate of service hours; its number is printed as a QR code that verifies it on the platform."""

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="certificates"
    )
    number = models.CharField(_("certificate number"), max_length=32, unique=True)
    minutes = models.BigIntegerField(_("minutes"))
    stars = models.PositiveSmallIntegerField(_("stars"))
    #: The volunteer organization where most of the certified hours were served; it issues the certificate.
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("issuing organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: The first and last day of service that the certified hours cover (fixed at issue).
    period_start = models.DateField(_("service from"), null=True, blank=True)
    period_end = models.DateField(_("service until"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("hours certificate")
        verbose_name_plural = _("hours certificates")
        ordering = ["-issued_at"]

    def __str__(self):
        return self.number


class ExpertField(models.TextChoices):
    """The expert library's top-level fields (domain); sub-fields are in ``EXPERT_SUBFIELDS``."""

    LIFE = "life", _("Life sciences and medicine")
    EARTH = "earth", _("Earth, environment and disasters")
    ENGINEERING = "engineering", _("Engineering and technology")
    INFORMATION = "information", _("Information and artificial intelligence")
    AGRICULTURE = "agriculture", _("Agriculture")
    PHYSICS = "physics", _("Physics, chemistry and space")
    SAFETY = "safety", _("Safety and emergency")
    SOCIETY = "society", _("Science communication and education")


EXPERT_SUBFIELDS = {
    ExpertField.LIFE: [
        _("Public health"),
        _("Infectious diseases"),
        _("Nutrition"),
        _("Mental health"),
        _("Geriatrics"),
    ],
    ExpertField.EARTH: [_("Meteorology"), _("Earthquakes"), _("Floods"), _("Ecology"), _("Climate")],
    ExpertField.ENGINEERING: [_("Energy"), _("Transport"), _("Buildings"), _("Manufacturing")],
    ExpertField.INFORMATION: [_("Artificial intelligence"), _("Cyber security"), _("Digital skills")],
    ExpertField.AGRICULTURE: [_("Crops"), _("Livestock"), _("Food safety")],
    ExpertField.PHYSICS: [_("Astronomy"), _("Space flight"), _("Chemistry"), _("Physics")],
    ExpertField.SAFETY: [_("Fire safety"), _("Road safety"), _("Workplace safety"), _("First aid")],
    ExpertField.SOCIETY: [_("Science education"), _("Museums"), _("Science writing")],
}


class EmergencyField(models.TextChoices):
    DISASTERS = "disasters", _("Natural disasters")
    PUBLIC_HEALTH = "public_health", _("Public health")
    SAFETY = "safety", _("Accidents and safety")
    ENVIRONMENT = "environment", _("Environmental incidents")


class Expert(TimeStampedModel):
    """An expert in the library (科普专家库); ``is_emergency`` marks the emergency team (应急科普专家队伍).

    The columns the library filters on are indexed; ``search_text`` holds the lower-cased name,
    affiliation, title, sub-field and topics that the library's index is made from (``kepu.volunteers.search``).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="expert",
    )
    name = models.CharField(_("name"), max_length=50)
    phone = EncryptedTextField(_("mobile phone"), blank=True)
    field = models.CharField(_("field"), max_length=16, choices=ExpertField.choices)
    subfield = models.CharField(_("sub-field"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=50, blank=True)
    affiliation = models.CharField(_("affiliation"), max_length=100, blank=True)
    district = models.ForeignKey("places.Place", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    topics = models.JSONField(_("topics"), default=list, blank=True)
    audiences = models.JSONField(_("audiences"), default=list, blank=True)
    #: Audiences as ``|youth|elderly|`` so a filter is one indexed-free LIKE without JSON functions.
    audience_tags = models.CharField(max_length=120, blank=True, editable=False)
    available = models.BooleanField(_("available now"), default=True)
    term_start = models.DateField(_("term starts"), null=True, blank=True)
    term_end = models.DateField(_("term ends"), null=True, blank=True)
    is_emergency = models.BooleanField(_("emergency team"), default=False)
    emergency_fields = models.JSONField(_("emergency fields"), default=list, blank=True)
    search_text = models.CharField(max_length=400, blank=True, editable=False)

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["district", "field", "available"]),
            models.Index(fields=["field", "available"]),
            models.Index(fields=["is_emergency", "field"]),
        ]

    @property
    def emergency_field_labels(self) -> list[str]:
        """The emergency fields in words (a value no longer in the list shows as it is)."""
        return [str(EmergencyField(f).label) if f in EmergencyField.values else f for f in self.emergency_fields]

    def __str__(self):
        return self.name

    @property
    def audience_labels(self) -> list[str]:
        """The audiences in words (stored as population codes)."""
        from kepu.core.populations import Population

        return [str(Population(a).label) if a in Population.values else a for a in self.audiences]

    def refresh_search(self) -> None:
        self.audience_tags = "|" + "|".join(self.audiences) + "|" if self.audiences else ""
        parts = [self.name, self.affiliation, self.title, self.subfield, *self.topics]
        self.search_text = " ".join(p for p in parts if p).lower()[:400]

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class ExpertTerm(models.Model):
    """The expert library's inverted index: one row per expert and term. Written and read only by
    ``kepu.volunteers.search``, which says what the terms are and why the library has an index of its own."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=24)
    #: Copies of the expert's field and district, so that a term's list can be read already
    #: narrowed to them (a common pair is in a quarter of the library; in one field, a thirtieth).
    field = models.CharField(max_length=16, null=True)  # noqa: DJ001 (null: added without rewriting the table)
    district_id = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = _("expert search term")
        verbose_name_plural = _("expert search terms")
        constraints = [models.UniqueConstraint(fields=["term", "expert"], name="expert_term_once")]
        indexes = [
            models.Index(fields=["term", "field", "expert"], name="expert_term_field"),
            models.Index(fields=["term", "district_id", "field", "expert"], name="expert_term_district"),
        ]

    def __str__(self):
        return self.term


class InvitationTarget(models.TextChoices):
    ORDER = "order", _("Service order")
    ACTIVITY = "activity", _("Activity")


class InvitationOutcome(models.TextChoices):
    INVITED = "invited", _("Invited, no answer yet")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    DELIVERED = "delivered", _("Took part")
    NO_SHOW = "no_show", _("Did not come")


class ExpertInvitation(TimeStampedModel):
    """An office invites an expert to an order or an activity and records the outcome."""

    expert = models.ForeignKey(Expert, verbose_name=_("expert"), on_delete=models.CASCADE, related_name="invitations")
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("invited by"), on_delete=models.PROTECT, related_name="+"
    )
    target = models.CharField(_("for"), max_length=10, choices=InvitationTarget.choices)
    target_id = models.PositiveBigIntegerField(_("order or activity number"))
    message = models.CharField(_("message"), max_length=200, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=InvitationOutcome.choices, default=InvitationOutcome.INVITED
    )
    outcome_note = models.CharField(_("note on the outcome"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("expert invitation")
        verbose_name_plural = _("expert invitations")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.expert} → {self.target} {self.target_id}"


class ImportKind(models.TextChoices):
    VOLUNTEERS = "volunteers", _("Volunteers")
    EXPERTS = "experts", _("Experts")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Checking and importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Nothing imported: see the errors")
    INTERRUPTED = "interrupted", _("Interrupted: nothing imported, run it again")


class ImportJob(TimeStampedModel):
    """An Excel import run in the background; all rows or none are imported."""

    kind = models.CharField(_("kind"), max_length=12, choices=ImportKind.choices)
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # Deleted when the job ends (it holds ID numbers and phones in clear); kept while it may be run again.
    file = models.FileField(upload_to="volunteer-imports/", blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} #{self.pk}"

    @property
    def is_pending(self) -> bool:
        """Still waiting or running: the page keeps polling."""
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)

    @property
    def is_done(self) -> bool:
        return self.status == ImportStatus.DONE

    @property
    def is_failed(self) -> bool:
        return self.status == ImportStatus.FAILED

    @property
    def is_interrupted(self) -> bool:
        return self.status == ImportStatus.INTERRUPTED

    @property
    def invites_existing(self) -> bool:
        """A volunteer import adds new people and invites those already on the platform."""
        return self.kind == "volunteers"

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else 0
