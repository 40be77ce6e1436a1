"""Service orders (订单认领模式): the menu, the orders, their history and deadlines.

The state machine itself lives in ``workflow.py``; here are the data and its invariants.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kepu.core.models import TimeStampedModel
from kepu.core.pii import EncryptedTextField, mask_phone
from kepu.core.populations import Population

# This app's catalogue carries the population labels too, so its pages are translated
# whichever app's catalogue is merged first.
POPULATION_LABELS = {
    Population.YOUTH: _("Youth"),
    Population.FARMERS: _("Farmers"),
    Population.WORKERS: _("Industrial workers"),
    Population.ELDERLY: _("The elderly"),
    Population.OFFICIALS: _("Officials and civil servants"),
    Population.OTHER: _("Other"),
}


class ServiceKind(models.TextChoices):
    LECTURE = "lecture", _("Lecture")
    EXHIBITION = "exhibition", _("Exhibition")
    CONSULTATION = "consultation", _("Consultation")
    COURSE = "course", _("Course")
    HANDS_ON = "hands_on", _("Hands-on session")
    SCREENING = "screening", _("Film screening")
    HEALTH_TALK = "health_talk", _("Health talk")
    OTHER = "other", _("Other service")


class Topic(models.TextChoices):
    """Fields of science services; the codes match the ``topics`` of member units."""

    HEALTH = "health", _("Health")
    SAFETY = "safety", _("Emergency and safety")
    ANTI_FRAUD = "anti_fraud", _("Anti-fraud")
    ELDERLY_DIGITAL = "elderly_digital", _("Smartphone use for the elderly")
    FARMING = "farming", _("Farming techniques")
    ENVIRONMENT = "environment", _("Environment")
    ASTRONOMY = "astronomy", _("Astronomy")
    AI = "ai", _("Artificial intelligence")
    YOUTH = "youth", _("Science for children")
    OTHER = "other", _("Other topic")


class ServiceItem(TimeStampedModel):
    """An item of the service menu (服务菜单), published by a member unit or a volunteer organization."""

    title = models.CharField(_("title"), max_length=100)
    kind = models.CharField(_("kind of service"), max_length=20, choices=ServiceKind.choices)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices, db_index=True)
    populations = models.JSONField(_("suited to"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    provider = models.ForeignKey(
        "orgs.Organization", verbose_name=_("offered by"), on_delete=models.PROTECT, related_name="+"
    )
    district = models.ForeignKey("places.Place", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("on the menu"), default=True)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service menu")
        ordering = ["topic", "title"]

    def __str__(self):
        return self.title


class TopicUnit(models.Model):
    """The member unit in charge of a topic in a district: where a new order is routed by default."""

    district = models.ForeignKey("places.Place", verbose_name=_("district"), on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    unit = models.ForeignKey(
        "orgs.Organization", verbose_name=_("member unit"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("unit in charge of a topic")
        verbose_name_plural = _("units in charge of topics")
        constraints = [models.UniqueConstraint(fields=["district", "topic"], name="orders_one_unit_per_topic")]

    def __str__(self):
        return f"{self.topic} → {self.unit}"


class OrderStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    DISPATCHED = "dispatched", _("Dispatched")
    REJECTED = "rejected", _("Rejected")
    CLAIMED = "claimed", _("Claimed by the unit")
    ACCEPTED = "accepted", _("Accepted")
    SCHEDULED = "scheduled", _("Scheduled")
    DELIVERED = "delivered", _("Delivered")
    RATED = "rated", _("Rated")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Order(TimeStampedModel):
    """A resident's order for a science service (点单), and where it stands.

    ``place_path`` is the path of the community (or the street when no community is set);
    every office's view of orders is a prefix query on it. ``unit`` is the member unit the
    order is routed to, ``provider`` the volunteer organization (or ``expert`` the expert)
    doing it. ``due_at`` is the deadline of the current step; ``claim_due_at`` and
    ``claimed_on_time`` are kept for the response rate.
    """

    number = models.CharField(pgettext_lazy("order", "number"), max_length=20, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.SUBMITTED, db_index=True
    )
    # What
    service_item = models.ForeignKey(
        ServiceItem,
        verbose_name=_("menu item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    kind = models.CharField(_("kind of service"), max_length=20, choices=ServiceKind.choices)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    title = models.CharField(_("what is wanted"), max_length=100)
    description = models.TextField(_("details"), blank=True)
    # For whom
    population = models.CharField(_("audience"), max_length=12, choices=Population.choices)
    expected_audience = models.PositiveIntegerField(_("expected audience"), default=20)
    # Where and when
    district = models.ForeignKey("places.Place", verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey(
        "places.Place", verbose_name=_("street/town"), on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "places.Place", verbose_name=_("community"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place_path = models.CharField(_("place"), max_length=120, db_index=True)
    address = models.CharField(_("street address"), max_length=200, blank=True)
    preferred_from = models.DateField(_("preferred from"))
    preferred_to = models.DateField(_("preferred until"))
    # Who
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_orders",
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("placed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone = EncryptedTextField(_("contact phone"), blank=True)
    # Routing
    unit = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("member unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="unit_orders",
    )
    provider = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("volunteer organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="provider_orders",
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("expert"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="expert_orders",
    )
    in_pool = models.BooleanField(_("in the order pool"), default=False)
    # Schedule and delivery
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    scheduled_place = models.CharField(_("venue"), max_length=200, blank=True)
    scheduled_people = models.CharField(_("who will serve"), max_length=200, blank=True)
    attendance = models.JSONField(_("attendance by population"), default=dict, blank=True)
    delivery_notes = models.TextField(_("delivery notes"), blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("comment"), blank=True)
    # Deadlines and the figures behind the three rates
    due_at = models.DateTimeField(_("deadline of this step"), null=True, blank=True, db_index=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    escalation_level = models.PositiveSmallIntegerField(_("escalated"), default=0)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    claim_due_at = models.DateTimeField(_("claim deadline"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claimed_on_time = models.BooleanField(_("claimed on time"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    rate_reminded_at = models.DateTimeField(_("reminded to rate at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["place_path", "-created_at"], name="orders_place_recent"),
            models.Index(fields=["unit", "status"], name="orders_unit_status"),
            # The suggestions' "busy in the wanted period": covering, so the check reads no table rows
            # (without it SQLite walked every accepted and scheduled order of the city, 0.7 s at 1M orders).
            models.Index(
                fields=["provider", "status", "preferred_to", "preferred_from", "scheduled_for"],
                name="orders_provider_busy",
            ),
            models.Index(
                fields=["expert", "status", "preferred_to", "preferred_from", "scheduled_for"],
                name="orders_expert_busy",
            ),
            models.Index(fields=["district", "created_at"], name="orders_district_created"),
            models.Index(fields=["street", "created_at"], name="orders_street_created"),
            models.Index(fields=["community", "created_at"], name="orders_community_created"),
            models.Index(fields=["unit", "created_at"], name="orders_unit_created"),
            models.Index(fields=["status", "due_at"], name="orders_status_due"),
            models.Index(fields=["created_at"], name="orders_recent"),  # read backwards: newest first, id desc
            # Partial: the few orders escalated to the district office, newest first, for its "waiting for me".
            models.Index(
                fields=["district", "-created_at"],
                condition=models.Q(escalation_level__gte=2),
                name="orders_escalated_district",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="orders_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(preferred_to__gte=models.F("preferred_from")), name="orders_preferred_window"
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def where(self):
        return self.community or self.street

    @property
    def attendance_items(self) -> list[tuple[str, int]]:
        return [(str(POPULATION_LABELS.get(k, k)), n) for k, n in (self.attendance or {}).items()]

    @property
    def attendance_total(self) -> int:
        return sum(int(v) for v in (self.attendance or {}).values())


class OrderEvent(models.Model):
    """One step in an order's history: which transition, by whom, when, and why."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(_("from"), max_length=12, choices=OrderStatus.choices)
    to_status = models.CharField(_("to"), max_length=12, choices=OrderStatus.choices)
    at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("by"), max_length=100, blank=True)
    actor_org = models.CharField(_("organization"), max_length=100, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order history")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"])]

    def __str__(self):
        return f"{self.order_id} {self.action}"

    @property
    def action_label(self):
        from kepu.orders.workflow import action_label

        return action_label(self.action)

    @property
    def moved(self) -> bool:
        """Whether this step changed the order's state (a hand-over or a reminder does not)."""
        return self.to_status != self.from_status


class OrderVolunteer(models.Model):
    """A volunteer who served on a delivered order, and for how long (for their service hours)."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="volunteers")
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="served_orders"
    )
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = _("volunteer on an order")
        verbose_name_plural = _("volunteers on orders")
        constraints = [models.UniqueConstraint(fields=["order", "volunteer"], name="orders_volunteer_once")]

    def __str__(self):
        return f"{self.volunteer_id} on {self.order_id}"


class OrderPhoto(models.Model):
    """A photo of a delivered service (optional), uploaded with the delivery record."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to="orders/%Y/%m/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery photo")
        verbose_name_plural = _("delivery photos")

    def __str__(self):
        return self.image.name


class Step(models.TextChoices):
    DISPATCH = "dispatch", _("Dispatch")
    CLAIM = "claim", _("Claim")
    ACCEPT = "accept", _("Accept")
    SCHEDULE = "schedule", _("Schedule")
    # Counted in calendar days, not working days: the resident's week, not the office's.
    RATE = "rate", _("Rating (calendar days before an unrated order closes itself)")


class StepDeadline(models.Model):
    """How many working days a district allows for a step (派单 1, 领单 2, 接单 3 by default)."""

    district = models.ForeignKey("places.Place", verbose_name=_("district"), on_delete=models.CASCADE, related_name="+")
    step = models.CharField(_("step"), max_length=12, choices=Step.choices)
    working_days = models.PositiveSmallIntegerField(_("working days"))

    class Meta:
        verbose_name = _("step deadline")
        verbose_name_plural = _("step deadlines")
        constraints = [models.UniqueConstraint(fields=["district", "step"], name="orders_one_deadline_per_step")]

    def __str__(self):
        return f"{self.step}: {self.working_days}"


class Holiday(models.Model):
    """A day of the district's calendar that differs from the Monday–Friday rule.

    ``is_workday`` False: a public holiday on a weekday; True: a make-up working day (调休)
    on a weekend. ``district`` empty means the whole city.
    """

    district = models.ForeignKey(
        "places.Place", verbose_name=_("district"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=40)
    is_workday = models.BooleanField(_("make-up working day"), default=False)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["district", "date"], name="orders_one_entry_per_day")]

    def __str__(self):
        return f"{self.date} {self.name}"


class RollupGrain(models.TextChoices):
    DAY = "day", "day"
    MONTH = "month", "month"
    #: A month of a whole street (community, unit and provider 0): what a city's or a district's year reads.
    STREET_MONTH = "area", "month of a street"


class OrderRollup(models.Model):
    """The counters behind the three rates, per period × street × community × member unit × provider.

    Every order counts in exactly one day row and one month row (by the local date it was placed);
    the services move its contribution between rows in the transaction that changes it, so the
    figures are exact on every read without aggregating the orders. A month row is the sum of its
    day rows: month rows answer whole months, day rows the edges of a period; a street-month row
    (``STREET_MONTH``) is the sum of its street's month rows, for the leaders' city-wide figures. ``0`` stands for
    "none" in the id columns (so the unique key has no NULLs, which both databases treat as distinct).
    ``python manage.py rebuild_order_rollup`` recomputes the table from the orders.

    Internal bookkeeping, shown on no page: its names are not in the catalogues.
    """

    grain = models.CharField("period length", max_length=5, choices=RollupGrain.choices)
    period = models.DateField("period start")
    district_id = models.BigIntegerField("district")
    street_id = models.BigIntegerField("street/town")
    community_id = models.BigIntegerField("community", default=0)
    unit_id = models.BigIntegerField("member unit", default=0)
    provider_id = models.BigIntegerField("volunteer organization", default=0)
    total = models.IntegerField("orders", default=0)
    routed = models.IntegerField("dispatched to a unit", default=0)
    on_time = models.IntegerField("claimed on time", default=0)
    claimed = models.IntegerField("claimed", default=0)
    done = models.IntegerField("delivered", default=0)
    rated = models.IntegerField("rated", default=0)
    satisfied = models.IntegerField("rated 4 or 5", default=0)
    rating_sum = models.IntegerField("sum of ratings", default=0)
    overdue = models.IntegerField("overdue now", default=0)
    open = models.IntegerField("open", default=0)

    COUNTERS = ("total", "routed", "on_time", "claimed", "done", "rated", "satisfied", "rating_sum", "overdue", "open")
    KEY = ("grain", "period", "street_id", "community_id", "unit_id", "provider_id")

    class Meta:
        verbose_name = "three rates roll-up row"
        verbose_name_plural = "three rates roll-up"
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "period", "street_id", "community_id", "unit_id", "provider_id"],
                name="orders_rollup_key",
            )
        ]
        # One per scope an office or an organization reads its figures in.
        indexes = [
            models.Index(fields=["grain", "district_id", "period"], name="orders_rollup_district"),
            models.Index(fields=["grain", "street_id", "period"], name="orders_rollup_street"),
            models.Index(fields=["grain", "community_id", "period"], name="orders_rollup_community"),
            models.Index(fields=["grain", "unit_id", "period"], name="orders_rollup_unit"),
            models.Index(fields=["grain", "provider_id", "period"], name="orders_rollup_provider"),
        ]

    def __str__(self):
        return f"{self.grain} {self.period} {self.street_id}/{self.community_id}/{self.unit_id}/{self.provider_id}"
