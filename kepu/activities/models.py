"""Activities, their sessions (场次), the theme calendar, registrations, check-in and what follows.

The invariant everything else protects: for every session, the places held by confirmed and
offered registrations (``Session.seats_taken``) never exceed its capacity. Services change
``seats_taken`` only while holding the session row's lock, and a check constraint refuses
any write that would break it.
"""

from __future__ import annotations

import calendar
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kepu.core.models import TimeStampedModel
from kepu.core.populations import Population
from kepu.core.tags import tags_to_text, text_to_tags  # noqa: F401 - imported from here by callers


class ActivityKind(models.TextChoices):
    LECTURE = "lecture", _("Lecture")
    EXHIBITION = "exhibition", _("Exhibition")
    HANDS_ON = "hands_on", _("Hands-on session")
    COMPETITION = "competition", _("Competition")
    COURSE = "course", _("Course")
    OPEN_DAY = "open_day", _("Open day of a lab or base")
    SCIENCE_WEEK = "science_week", _("Science week event")
    CONSULTATION = "consultation", _("Consultation")
    VISIT = "visit", _("Visit booking")
    # Counted by the emergency app toward the "people trained in emergency skills" targets (应急演练, 应急培训).
    DRILL = "drill", _("Emergency drill")
    EMERGENCY_TRAINING = "emergency_training", _("Emergency skills training")
    OTHER = "other", _("Other")


class Topic(models.TextChoices):
    HEALTH = "health", _("Health")
    SAFETY = "safety", _("Safety and emergencies")
    ENVIRONMENT = "environment", _("Environment")
    ASTRONOMY = "astronomy", _("Space and astronomy")
    AI = "ai", _("Information technology and AI")
    FARMING = "farming", _("Farming")
    ANTI_FRAUD = "anti_fraud", _("Fraud prevention")
    CULTURE = "culture", _("Science culture")
    OTHER = "other", _("Other")


# --- Theme calendar ------------------------------------------------------------------
class ThemeRule(models.TextChoices):
    FIXED = "fixed", _("Same date every year")
    NTH_WEEKDAY = "nth_weekday", _("The nth weekday of a month")
    MONTH = "month", _("A whole month")
    ANNOUNCED = "announced", _("Dates announced each year")


class Theme(models.Model):
    """A theme day, week or month of the science calendar (世界水日, 全国科普日 …).

    The rule says how to find its dates in a given year; where the dates are announced each
    year (北京科技周) or the announced dates differ from the rule, a ``ThemeOccurrence`` for
    that year wins.
    """

    slug = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    rule = models.CharField(_("rule"), max_length=12, choices=ThemeRule.choices, default=ThemeRule.FIXED)
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    day = models.PositiveSmallIntegerField(
        _("day"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday (0 = Monday)"), null=True, blank=True, validators=[MaxValueValidator(6)]
    )
    nth = models.PositiveSmallIntegerField(
        _("which one in the month"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    duration_days = models.PositiveSmallIntegerField(_("days"), default=1, validators=[MinValueValidator(1)])
    is_city_theme = models.BooleanField(_("the city's own"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("theme calendar")
        ordering = ["month", "day", "slug"]

    def __str__(self):
        return self.name

    def rule_dates(self, year: int) -> tuple[date, date] | None:
        """First and last day in ``year`` by the rule alone (None when only announced dates count)."""
        if self.rule == ThemeRule.FIXED:
            start = date(year, self.month, min(self.day or 1, calendar.monthrange(year, self.month)[1]))
        elif self.rule == ThemeRule.NTH_WEEKDAY:
            first = date(year, self.month, 1)
            offset = (self.weekday - first.weekday()) % 7
            start = first + timedelta(days=offset + 7 * ((self.nth or 1) - 1))
            if start.month != self.month:  # a 5th weekday that does not exist: take the last one
                start -= timedelta(days=7)
        elif self.rule == ThemeRule.MONTH:
            start = date(year, self.month, 1)
            return start, date(year, self.month, calendar.monthrange(year, self.month)[1])
        else:
            return None
        return start, start + timedelta(days=self.duration_days - 1)

    def dates(self, year: int, occurrences: dict | None = None) -> tuple[date, date] | None:
        """The dates in ``year``: an announced occurrence if there is one, else the rule."""
        if occurrences is not None:
            occ = occurrences.get((self.pk, year))
        else:
            occ = self.occurrences.filter(year=year).first()
        if occ is not None:
            return occ.starts_on, occ.ends_on
        return self.rule_dates(year)


class ThemeOccurrence(models.Model):
    """The dates of a theme in one year, when announced (they override the rule)."""

    theme = models.ForeignKey(Theme, verbose_name=_("theme"), on_delete=models.CASCADE, related_name="occurrences")
    year = models.PositiveSmallIntegerField(_("year"))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))

    class Meta:
        verbose_name = _("theme dates")
        verbose_name_plural = _("theme dates")
        constraints = [
            models.UniqueConstraint(fields=["theme", "year"], name="theme_occurrence_one_per_year"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="theme_occurrence_ordered"),
        ]

    def __str__(self):
        return f"{self.theme} {self.year}"


# --- Venues and district settings -------------------------------------------------------
class Venue(TimeStampedModel):
    """A place where activities happen or visitors are received (a hall, a lab, a base's museum).

    ``opening_hours`` maps a weekday ("0" = Monday) to a list of ``["09:00", "11:30"]``
    periods; visit slots are cut from them (预约参观).
    """

    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("organization"), on_delete=models.PROTECT, related_name="+"
    )
    place = models.ForeignKey("places.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    opening_hours = models.JSONField(_("opening hours"), default=dict, blank=True)
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"), default=60, validators=[MinValueValidator(15)]
    )
    slot_capacity = models.PositiveIntegerField(_("visitors per slot"), default=30, validators=[MinValueValidator(1)])
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["name"]

    def __str__(self):
        return self.name


class DistrictActivitySettings(models.Model):
    """Per district: whether activities need the office's review before they are published."""

    district = models.OneToOneField(
        "places.Place", verbose_name=_("district"), on_delete=models.CASCADE, related_name="+"
    )
    review_required = models.BooleanField(_("review before publication"), default=False)

    class Meta:
        verbose_name = _("district activity settings")
        verbose_name_plural = _("district activity settings")

    def __str__(self):
        return str(self.district)


# --- Activities and sessions -----------------------------------------------------------------
class ActivityStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("Waiting for review")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Sent back")
    CANCELLED = "cancelled", _("Cancelled")


class Activity(TimeStampedModel):
    """A science-popularization activity published by an organization (one session or a series)."""

    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("organizer"), on_delete=models.PROTECT, related_name="+"
    )
    place = models.ForeignKey(
        "places.Place", verbose_name=_("place in the tree"), on_delete=models.PROTECT, related_name="+"
    )
    # Denormalized from ``place`` so the calendar filters by district and area with one index.
    place_path = models.CharField(max_length=120, db_index=True, editable=False)
    district_code = models.CharField(max_length=20, db_index=True, editable=False)
    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    title = models.CharField(_("title"), max_length=120)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Sanitized HTML."))
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices, default=ActivityKind.LECTURE)
    topics = models.CharField(_("topics"), max_length=200, blank=True)
    populations = models.CharField(_("target populations"), max_length=120, blank=True)
    theme = models.ForeignKey(
        Theme, verbose_name=_("theme"), null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    image = models.FileField(
        _("image"),
        upload_to="activities/%Y/",
        blank=True,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp"])],
    )
    registration_opens_at = models.DateTimeField(_("sign-up opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(_("sign-up closes"), null=True, blank=True)
    needs_approval = models.BooleanField(_("sign-ups need approval"), default=False)
    is_public = models.BooleanField(_("public"), default=True)
    offer_hours = models.PositiveSmallIntegerField(
        _("hours to accept a freed place"), default=24, validators=[MinValueValidator(1)]
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ActivityStatus.choices, default=ActivityStatus.DRAFT, db_index=True
    )
    review_note = models.CharField(_("review note"), max_length=300, blank=True)
    # The first and last session, kept by the services so the calendar needs no join.
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    # The start of the next session that has not ended (None once all have): the public
    # calendar lists and orders by it. Kept by the services and moved on by a periodic task.
    next_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["starts_at", "pk"]
        indexes = [
            # The public calendar: a partial index both databases use for "published, public, by date".
            models.Index(
                fields=["starts_at", "id"], condition=Q(status="published", is_public=True), name="activity_public_idx"
            ),
            models.Index(
                fields=["next_at", "id"], condition=Q(status="published", is_public=True), name="activity_upcoming_idx"
            ),
            models.Index(fields=["district_code", "starts_at"], name="activity_district_idx"),
            # The calendar of one district, soonest first, without sorting the district's year.
            models.Index(
                fields=["district_code", "next_at", "id"],
                condition=Q(status="published", is_public=True),
                name="activity_district_next_idx",
            ),
            models.Index(fields=["organization", "starts_at"], name="activity_org_idx"),
            models.Index(fields=["theme", "starts_at"], name="activity_theme_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.place_id:
            place = self.place
            self.place_path = place.path
            self.district_code = place.district_code
        super().save(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == ActivityStatus.PUBLISHED

    @property
    def topic_list(self) -> list[str]:
        return text_to_tags(self.topics)

    @property
    def population_list(self) -> list[str]:
        return text_to_tags(self.populations)

    def topic_labels(self) -> list[str]:
        return [str(Topic(t).label) for t in self.topic_list if t in Topic.values]

    def population_labels(self) -> list[str]:
        return [str(Population(p).label) for p in self.population_list if p in Population.values]

    @property
    def is_online(self) -> bool:
        return bool(self.online_url) and not self.venue_id and not self.address


class CoOrganizer(models.Model):
    """Another organization that co-hosts an activity (联合主办 / 协办).

    The activity's ``organization`` stays its lead organizer (牵头单位). Each co-organizer counts
    the activity among its own in the annual statistics; a roll-up above them counts it once,
    its person-times credited to the lead (see ``kepu/activities/measures.py``).
    """

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="co_organizers"
    )
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("co-organizer"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("co-organizer")
        verbose_name_plural = _("co-organizers")
        constraints = [models.UniqueConstraint(fields=["activity", "organization"], name="co_organizer_once")]
        indexes = [models.Index(fields=["organization", "activity"], name="co_organizer_org_idx")]

    def __str__(self):
        return f"{self.activity_id}+{self.organization_id}"


#: The tally column of each population.
ATTENDANCE_FIELDS = {p: f"att_{p}" for p in Population.values}


class Session(models.Model):
    """One session (场次) of an activity, or one timed visit slot of a venue.

    Besides its places, a session carries its own figures (the tallies below), kept by the
    services under the session's lock, and a copy of the activity's place, organizer, theme
    and publication, so that the dashboard sums one table instead of millions of
    registrations.
    """

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="sessions"
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("places"), validators=[MinValueValidator(1)])
    seats_taken = models.PositiveIntegerField(_("places taken"), default=0, editable=False)
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    next_waiting_seq = models.PositiveIntegerField(default=1, editable=False)
    # Copied from the activity by ``services.sync_sessions`` (see the docstring).
    counted = models.BooleanField(default=False, editable=False)
    place_path = models.CharField(max_length=120, blank=True, editable=False)
    district_code = models.CharField(max_length=20, blank=True, editable=False)
    organization_id_copy = models.BigIntegerField(null=True, editable=False)
    theme_id_copy = models.BigIntegerField(null=True, editable=False)
    # Tallies: head counts of live registrations, of those checked in, of walk-ins, and
    # person-times by population (checked in + walk-ins); survey score sum and count.
    is_first = models.BooleanField(default=False, editable=False)  # the activity's first session: counts it once
    registered = models.PositiveIntegerField(default=0, editable=False)
    checked_in = models.PositiveIntegerField(default=0, editable=False)
    walk_in_count = models.PositiveIntegerField(default=0, editable=False)
    att_youth = models.PositiveIntegerField(default=0, editable=False)
    att_farmers = models.PositiveIntegerField(default=0, editable=False)
    att_workers = models.PositiveIntegerField(default=0, editable=False)
    att_elderly = models.PositiveIntegerField(default=0, editable=False)
    att_officials = models.PositiveIntegerField(default=0, editable=False)
    att_other = models.PositiveIntegerField(default=0, editable=False)
    survey_sum = models.PositiveIntegerField(default=0, editable=False)
    survey_count = models.PositiveIntegerField(default=0, editable=False)
    #: When the attendees were invited to the satisfaction survey (once the session had ended).
    surveys_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(seats_taken__lte=F("capacity")), name="session_within_capacity"),
            models.CheckConstraint(condition=Q(ends_at__gte=F("starts_at")), name="session_ordered"),
        ]
        indexes = [
            models.Index(fields=["activity", "starts_at"], name="session_activity_idx"),
            # Partial on "counted and not cancelled", the figures' own condition, so that both
            # databases range-scan (and order by) the date instead of skip-scanning a boolean.
            models.Index(
                fields=["starts_at"], condition=Q(counted=True, is_cancelled=False), name="session_figures_idx"
            ),
            models.Index(
                fields=["district_code", "starts_at"],
                condition=Q(counted=True, is_cancelled=False),
                name="session_district_idx",
            ),
            models.Index(
                fields=["organization_id_copy", "starts_at"],
                condition=Q(counted=True, is_cancelled=False),
                name="session_org_idx",
            ),
        ]

    def __str__(self):
        return f"{self.activity} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def checkin_opens_at(self):
        """Check-in at the door opens a configurable time before the start (``KEPU_CHECKIN_OPENS_MINUTES``)."""
        return self.starts_at - timedelta(minutes=settings.KEPU_CHECKIN_OPENS_MINUTES)

    @property
    def checkin_closes_at(self):
        """…and closes when the session ends; later, only a late entry (补登) with a reason counts someone."""
        return self.ends_at


# --- Calendar tags and the figures roll-up ------------------------------------------------------------------
class CalendarTag(models.Model):
    """One tag of an activity, with a copy of what the public calendar filters and orders by.

    ``Activity.topics`` / ``populations`` stay the source; these rows are kept by the services
    (``services.sync_tags``) so that "topic = health, soonest first" is one range of one index
    instead of a ``LIKE`` over every activity. ``listed`` is "published and public".
    """

    listed = models.BooleanField(default=False)
    starts_at = models.DateTimeField(null=True)
    ends_at = models.DateTimeField(null=True)
    next_at = models.DateTimeField(null=True)

    class Meta:
        abstract = True


class ActivityTopic(CalendarTag):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="topic_tags")
    topic = models.CharField(max_length=20, choices=Topic.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "topic"], name="activity_topic_unique")]
        indexes = [
            models.Index(
                fields=["topic", "next_at", "activity"], condition=Q(listed=True), name="activity_topic_next_idx"
            ),
            models.Index(
                fields=["topic", "starts_at", "ends_at", "activity"],
                condition=Q(listed=True),
                name="activity_topic_start_idx",
            ),
        ]

    def __str__(self):
        return f"{self.activity_id}:{self.topic}"


class ActivityPopulation(CalendarTag):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="population_tags")
    population = models.CharField(max_length=12, choices=Population.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "population"], name="activity_population_unique")]
        indexes = [
            models.Index(
                fields=["population", "next_at", "activity"], condition=Q(listed=True), name="activity_pop_next_idx"
            ),
            models.Index(
                fields=["population", "starts_at", "ends_at", "activity"],
                condition=Q(listed=True),
                name="activity_pop_start_idx",
            ),
        ]

    def __str__(self):
        return f"{self.activity_id}:{self.population}"


class RollupFigures(models.Model):
    """The figures a roll-up row sums (see ``FiguresMonth``)."""

    activities = models.IntegerField(default=0)
    sessions = models.IntegerField(default=0)
    services = models.IntegerField(default=0)
    registered = models.IntegerField(default=0)
    checked_in = models.IntegerField(default=0)
    walk_ins = models.IntegerField(default=0)
    att_youth = models.IntegerField(default=0)
    att_farmers = models.IntegerField(default=0)
    att_workers = models.IntegerField(default=0)
    att_elderly = models.IntegerField(default=0)
    att_officials = models.IntegerField(default=0)
    att_other = models.IntegerField(default=0)
    survey_sum = models.IntegerField(default=0)
    survey_count = models.IntegerField(default=0)

    class Meta:
        abstract = True


class FiguresMonth(RollupFigures):
    """The dashboard's figures per month (local time), place, organizer and theme.

    Every session that counts (published, not cancelled) and every delivered service order
    not delivered as one of our activities adds its figures to exactly one row. The services
    move a row by the same amounts and under the same lock as the session's tallies, so a
    row always equals the sum over its sessions; ``manage.py activities_rebuild`` recomputes
    the table from the sessions. ``organization_id`` and ``theme_id`` are 0 when absent, so
    the key is unique.
    """

    month = models.DateField()
    district_code = models.CharField(max_length=20)
    place_path = models.CharField(max_length=120)
    organization_id = models.BigIntegerField(default=0)
    theme_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "district_code", "place_path", "organization_id", "theme_id"], name="figures_month_key"
            ),
        ]
        indexes = [
            models.Index(fields=["district_code", "month"], name="figures_month_district_idx"),
            models.Index(fields=["organization_id", "month"], name="figures_month_org_idx"),
            # Found by path prefix (LIKE 'path/%'): a pattern-ops index on PostgreSQL (see volunteers' HoursMonth).
            models.Index(
                fields=["place_path", "month"],
                name="figures_month_place_idx",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.place_path} {self.organization_id}/{self.theme_id}"


class FiguresMonthDistrict(RollupFigures):
    """The same figures per month, district and theme only: what the city and district dashboards read.

    A year of the city is a few thousand of these rows instead of tens of thousands of
    ``FiguresMonth`` rows (one per organizer and place). Moved together with ``FiguresMonth``
    by the same calls, so each row is the sum of its district's ``FiguresMonth`` rows.
    """

    month = models.DateField()
    district_code = models.CharField(max_length=20)
    theme_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "district_code", "theme_id"], name="figures_month_district_key"),
        ]
        indexes = [models.Index(fields=["district_code", "month"], name="figures_district_month_idx")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.district_code} {self.theme_id}"


# --- Registrations ----------------------------------------------------------------------------
class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    CONFIRMED = "confirmed", _("Confirmed")
    WAITING = "waiting", _("On the waiting list")
    OFFERED = "offered", _("Place offered")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Not approved")
    LAPSED = "lapsed", _("Offer lapsed")


#: Registrations that hold places in ``Session.seats_taken``.
HOLDING = (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED)
#: Registrations that are still alive (may end up attending).
ACTIVE = (
    RegistrationStatus.PENDING,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITING,
    RegistrationStatus.OFFERED,
)


def new_ticket_code() -> str:
    return secrets.token_urlsafe(12)


class Registration(TimeStampedModel):
    """A sign-up for one session: one person, or a group with a head count (a class, a group of elderly residents).

    ``user`` is the attendee when they have an account; ``registered_by`` is whoever filled it
    in (the attendee, or a teacher or community worker on their behalf). ``waiting_seq``
    orders the waiting list: lower goes first, and it never changes once given.
    """

    session = models.ForeignKey(
        Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("attendee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activity_registrations",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=60)
    head_count = models.PositiveIntegerField(_("head count"), default=1, validators=[MinValueValidator(1)])
    population = models.CharField(_("population"), max_length=12, choices=Population.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RegistrationStatus.choices, db_index=True)
    waiting_seq = models.PositiveIntegerField(_("place in the waiting list"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    ticket_code = models.CharField(max_length=24, unique=True, default=new_ticket_code, editable=False)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set once a place has been offered: a registration is promoted at most once.
    promoted_at = models.DateTimeField(null=True, blank=True)
    #: Why someone was checked in after the check-in window (补登); empty for a check-in at the door.
    late_entry_reason = models.CharField(_("reason for the late entry"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"],
                condition=Q(status__in=["pending", "confirmed", "waiting", "offered"], user__isnull=False),
                name="registration_one_active_per_person",
            ),
            models.UniqueConstraint(fields=["session", "waiting_seq"], name="registration_unique_waiting_seq"),
        ]
        indexes = [
            models.Index(fields=["session", "status", "waiting_seq"], name="registration_queue_idx"),
            models.Index(fields=["status", "offer_expires_at"], name="registration_offer_idx"),
            models.Index(fields=["user", "status"], name="registration_user_idx"),
        ]

    def __str__(self):
        return f"{self.name} · {self.session}"

    @property
    def qr_payload(self) -> str:
        return f"KEPU-TICKET:{self.ticket_code}"

    @property
    def is_checked_in(self) -> bool:
        return self.checked_in_at is not None

    @property
    def is_confirmed(self) -> bool:
        return self.status == RegistrationStatus.CONFIRMED

    @property
    def is_waiting(self) -> bool:
        return self.status == RegistrationStatus.WAITING

    @property
    def is_offered(self) -> bool:
        return self.status == RegistrationStatus.OFFERED

    @property
    def is_pending(self) -> bool:
        return self.status == RegistrationStatus.PENDING


class WalkIn(models.Model):
    """People who came without signing up, counted by staff at the door."""

    session = models.ForeignKey(Session, verbose_name=_("session"), on_delete=models.CASCADE, related_name="walk_ins")
    head_count = models.PositiveIntegerField(_("head count"), validators=[MinValueValidator(1)])
    population = models.CharField(_("population"), max_length=12, choices=Population.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    #: The offline check-in list these walk-ins came from, so a second import of it counts them once.
    sheet_key = models.CharField(max_length=20, blank=True, default="")
    #: Why they were counted after the session had ended (补登); empty when counted at the door.
    late_entry_reason = models.CharField(_("reason for the late entry"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("walk-in")
        verbose_name_plural = _("walk-ins")

    def __str__(self):
        return f"{self.head_count} · {self.session}"


# --- After the activity ------------------------------------------------------------------------------
class SurveyResponse(models.Model):
    """A checked-in attendee's satisfaction rating (one per registration)."""

    registration = models.OneToOneField(Registration, on_delete=models.CASCADE, related_name="survey")
    score = models.PositiveSmallIntegerField(_("satisfaction"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self):
        return f"{self.score} · {self.registration}"


class ActivityReport(TimeStampedModel):
    """The organizer's notes after the activity."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="report")
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("activity report")
        verbose_name_plural = _("activity reports")

    def __str__(self):
        return str(self.activity)


class ActivityPhoto(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(
        _("photo"),
        upload_to="activities/photos/%Y/",
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp"])],
    )
    caption = models.CharField(_("caption"), max_length=120, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self):
        return self.caption or self.file.name


class DeliveredService(models.Model):
    """A service order delivered through the orders app, counted in the activity figures once.

    Filled by the receiver of ``kepu.orders.signals.order_delivered``; ``order_id`` is unique
    so a repeated signal never counts an order twice, and an order that was delivered *as*
    one of our activities (``activity``) is not counted again as a separate session.
    """

    order_id = models.BigIntegerField(unique=True)
    organization = models.ForeignKey("orgs.Organization", null=True, on_delete=models.SET_NULL, related_name="+")
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    place_path = models.CharField(max_length=120, db_index=True)
    district_code = models.CharField(max_length=20, db_index=True)
    title = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(db_index=True)
    attendance = models.JSONField(default=dict, blank=True)  # population -> person-times
    activity = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("delivered service order")
        verbose_name_plural = _("delivered service orders")

    def __str__(self):
        return f"order {self.order_id}"
