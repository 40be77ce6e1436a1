"""Emergency science communication (应急科普): hazards, prepared packs, events and what reaches whom.

A *pack* is guidance prepared in calm times for one hazard: pieces of the reviewed library (only published
ones), an SMS text, a poster and an elder-friendly version, approved by an office until a review date. An
*event* is a warning an office declared (or a warning feed sent) for places of the tree; declaring it sends
the pack to the residents of those places (one ``Delivery`` per person and event: nobody twice), gives each
community a checklist, and calls the emergency expert team on duty.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kepu.core.models import TimeStampedModel


class Hazard(models.Model):
    """A kind of emergency, as data (a migration seeds the usual ones; an office may add others in the admin)."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=30)
    name_en = models.CharField(_("name in English"), max_length=60, blank=True)
    #: The field of the expert library's emergency team that is called (``volunteers.EmergencyField``).
    expert_field = models.CharField(_("emergency field of the experts"), max_length=16)
    position = models.PositiveSmallIntegerField(_("order in lists"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class PackStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    APPROVED = "approved", _("Approved")
    EXPIRED = "expired", _("Past its review date")


class Pack(TimeStampedModel):
    """A hazard's prepared guidance, approved by the office that owns it until ``review_by``."""

    hazard = models.ForeignKey(Hazard, verbose_name=_("hazard"), on_delete=models.PROTECT, related_name="packs")
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("issuing office"), on_delete=models.PROTECT, related_name="+"
    )
    place_path = models.CharField(max_length=120, db_index=True, editable=False)
    title = models.CharField(_("title"), max_length=100)
    sms_text = models.CharField(_("SMS text"), max_length=140)
    #: Ids of published versions of the library (the poster and the elder-friendly version among them).
    poster_id = models.BigIntegerField(_("poster"), null=True, blank=True)
    elder_id = models.BigIntegerField(_("elder-friendly version"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PackStatus.choices, default=PackStatus.DRAFT)
    review_by = models.DateField(_("review by"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("emergency pack")
        verbose_name_plural = _("emergency packs")
        ordering = ["hazard__position", "-pk"]

    def __str__(self):
        return self.title


class PackItem(models.Model):
    """One piece of the library in a pack (its guidance, read in this order)."""

    pack = models.ForeignKey(Pack, on_delete=models.CASCADE, related_name="items")
    resource_id = models.BigIntegerField(_("piece"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("piece of a pack")
        verbose_name_plural = _("pieces of packs")
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["pack", "resource_id"], name="pack_item_once")]

    def __str__(self):
        return f"{self.pack_id}:{self.resource_id}"


class Level(models.TextChoices):
    BLUE = "blue", _("Blue")
    YELLOW = "yellow", _("Yellow")
    ORANGE = "orange", _("Orange")
    RED = "red", _("Red")


class EventStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not declared")
    DECLARED = "declared", _("In force (guidance sent)")
    CLOSED = "closed", pgettext_lazy("emergency event", "Closed")
    DISMISSED = "dismissed", _("Dismissed")


class Source(models.TextChoices):
    OFFICE = "office", _("Declared by the office")
    FEED = "feed", _("Warning feed")


class Event(TimeStampedModel):
    """A warning for places of the tree, and the emergency communication it sets off."""

    hazard = models.ForeignKey(Hazard, verbose_name=_("hazard"), on_delete=models.PROTECT, related_name="events")
    level = models.CharField(_("warning level"), max_length=8, choices=Level.choices)
    title = models.CharField(_("title"), max_length=120)
    pack = models.ForeignKey(Pack, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("issuing office"), on_delete=models.PROTECT, related_name="+"
    )
    #: The deepest place covering every affected place (scopes the event to the offices above it).
    place_path = models.CharField(max_length=120, db_index=True, editable=False)
    starts_at = models.DateTimeField(_("starts"))
    expected_end = models.DateTimeField(_("expected end"))
    status = models.CharField(_("status"), max_length=10, choices=EventStatus.choices, default=EventStatus.RECEIVED)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.OFFICE)
    feed_id = models.CharField(_("warning id"), max_length=80, null=True, blank=True, unique=True)  # noqa: DJ001
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override_reason = models.CharField(_("reason for sending an unreviewed pack"), max_length=500, blank=True)
    first_message_at = models.DateTimeField(_("first message at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    review = models.TextField(_("review"), blank=True)

    class Meta:
        verbose_name = _("emergency event")
        verbose_name_plural = _("emergency events")
        ordering = ["-starts_at", "-pk"]

    def __str__(self):
        return self.title


class EventPlace(models.Model):
    """An affected place, and the fan-out to its residents (elderly first, then everyone else, by ``FanOutStep``)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="places")
    place = models.ForeignKey("places.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    place_path = models.CharField(max_length=120)
    residents = models.PositiveIntegerField(_("residents"), null=True, blank=True)
    sent = models.PositiveIntegerField(_("messages sent"), default=0)
    elderly_done = models.BooleanField(default=False)
    reached_at = models.DateTimeField(_("everyone reached at"), null=True, blank=True)
    beat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("affected place")
        verbose_name_plural = _("affected places")
        ordering = ["place_path"]
        constraints = [models.UniqueConstraint(fields=["event", "place"], name="event_place_once")]

    def __str__(self):
        return self.place_path


class FanOutStep(models.Model):
    """One statement of the fan-out: the elderly, or everyone not told yet, whose home is one place of an affected
    subtree. Workers take steps (each locked while it runs, others skipped), so several share a district and a
    stopped fan-out resumes at the steps not done."""

    event_place = models.ForeignKey(EventPlace, on_delete=models.CASCADE, related_name="steps")
    place_id = models.BigIntegerField()
    elderly = models.BooleanField()
    done_at = models.DateTimeField(null=True, blank=True)
    sent = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("fan-out step")
        verbose_name_plural = _("fan-out steps")
        constraints = [models.UniqueConstraint(fields=["event_place", "place_id", "elderly"], name="fan_out_step_once")]

    def __str__(self):
        return f"{self.event_place_id}:{self.place_id}:{self.elderly}"


class Delivery(models.Model):
    """The pack sent to one person for one event: the unique row is what makes "nobody twice" hold."""

    # Millions of rows per district event, every index entry paid while they are written: the unique (user,
    # event) serves the lookups by person (their own messages, "opened the page") and the (event_place, wave)
    # index those by place and step, so no key carries an index of its own; the index of those who opened the
    # page holds only them (nothing to update while the rows are written). Nor are the keys checked by the
    # database: three deferred checks per row cost more than writing the row (bench/emergency); the rows are
    # written by a SELECT of existing people for an existing event and place, and Django deletes them with those.
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="deliveries", db_index=False, db_constraint=False
    )
    event_place = models.ForeignKey(
        EventPlace, on_delete=models.CASCADE, related_name="deliveries", db_index=False, db_constraint=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    elderly = models.BooleanField(default=False)
    sent_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    #: The step of the fan-out that wrote the row (a ``FanOutStep`` id): its inbox rows and its SMS/WeChat task
    #: read exactly the rows it wrote.
    wave = models.BigIntegerField(default=0)
    #: When the row was handed to SMS and WeChat (empty: queued for the channel task).
    channels_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="delivery_once_per_person")]
        indexes = [
            models.Index(fields=["event_place"], condition=models.Q(read_at__isnull=False), name="delivery_read"),
            models.Index(fields=["event_place", "wave"], name="delivery_wave"),
        ]

    def __str__(self):
        return f"{self.event_id}:{self.user_id}"


class Task(models.TextChoices):
    POSTERS = "posters", _("Posters up")
    GROUP_CHATS = "group_chats", _("Group chats told")
    DOOR_TO_DOOR = "door_to_door", _("Door to door for those living alone")


class ChecklistItem(models.Model):
    """One task of one community for one event, ticked off by its staff."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="checklist")
    event_place = models.ForeignKey(EventPlace, on_delete=models.CASCADE, related_name="checklist")
    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    community_path = models.CharField(max_length=120, db_index=True)
    task = models.CharField(_("task"), max_length=16, choices=Task.choices)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["community_path", "pk"]
        constraints = [models.UniqueConstraint(fields=["event", "community", "task"], name="checklist_once")]

    def __str__(self):
        return f"{self.community_path} {self.task}"


class Moment(models.TextChoices):
    DECLARED = "declared", _("Event declared")
    FIRST_MESSAGE = "first_message", _("First message sent")
    PLACE_REACHED = "place_reached", _("Every resident of a place told")
    EXPERT_CALLED = "expert_called", _("Expert called")
    EXPERT_ACCEPTED = "expert_accepted", _("Expert on duty")
    ROSTER_EXHAUSTED = "roster_exhausted", _("Nobody of the expert team accepted")
    CLOSED = "closed", pgettext_lazy("emergency event", "Closed")


class TimelineEntry(models.Model):
    """What happened when, for the record of the event (written once, never changed)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="timeline")
    moment = models.CharField(max_length=20, choices=Moment.choices)
    at = models.DateTimeField()
    place = models.ForeignKey("places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["at", "pk"]

    def __str__(self):
        return self.moment


class CallStatus(models.TextChoices):
    CALLED = "called", _("Called, waiting for an answer")
    ACCEPTED = "accepted", _("On duty")
    DECLINED = "declined", _("Declined")
    MISSED = "missed", _("No answer in time")
    RELEASED = "released", _("Released")


class OnCall(models.Model):
    """An expert of the emergency team called for an event, who accepts before ``deadline`` or the next is called."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="calls")
    expert_id = models.BigIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=50)
    status = models.CharField(_("status"), max_length=10, choices=CallStatus.choices, default=CallStatus.CALLED)
    called_at = models.DateTimeField(_("called at"))
    deadline = models.DateTimeField(_("answer by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("expert call")
        verbose_name_plural = _("expert calls")
        ordering = ["called_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["event", "expert_id"], name="call_once")]

    def __str__(self):
        return self.name


class Question(models.Model):
    """A resident's question about an event; the expert's answer is published in the event's FAQ."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(_("resident question"), max_length=300)
    asked_at = models.DateTimeField()
    answer = models.TextField(_("expert's answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("resident question")
        verbose_name_plural = _("resident questions")
        ordering = ["asked_at", "pk"]

    def __str__(self):
        return self.text[:50]


class FastTrack(models.Model):
    """A new piece written for the event, sent to the on-duty expert for review with a two-hour deadline."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="fast_tracks")
    resource_id = models.BigIntegerField(_("piece"))
    title = models.CharField(_("title"), max_length=120)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField()
    deadline = models.DateTimeField(_("review by"))
    #: When the check found the review decided (the piece left the science review, or an editor chose another
    #: expert): from then on the deadline is the library's business.
    decided_at = models.DateTimeField(null=True, blank=True)
    #: Times the deadline passed without a decision and the piece went to the next expert of the team.
    escalations = models.PositiveSmallIntegerField(_("times passed on"), default=0)
    #: The experts (user ids) it went to before the current one, never asked again for this piece.
    passed_over = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("fast-track review")
        verbose_name_plural = _("fast-track reviews")
        ordering = ["assigned_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["event", "resource_id"], name="fast_track_once")]

    def __str__(self):
        return self.title


class FeedReceipt(models.Model):
    """A signed request of the warning feed, kept for the replay window: the same signature twice is refused."""

    signature = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(db_index=True)
    feed_id = models.CharField(max_length=80)

    class Meta:
        verbose_name = _("warning feed request")
        verbose_name_plural = _("warning feed requests")

    def __str__(self):
        return self.feed_id
