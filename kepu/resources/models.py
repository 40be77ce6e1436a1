"""Science resources (科普资源): the reviewed library, its files, pushes to people, reads and loans.

A piece is one ``Resource`` row per version. The first version's id is the piece's ``lineage``;
a correction of a published piece is a new row of the same lineage that goes through review
again, and when it is published the old row becomes ``superseded`` (kept, never public). Only
rows in ``published`` are ever shown to the public, found by search, fed or served by file URL.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kepu.core.models import TimeStampedModel
from kepu.core.populations import Population
from kepu.core.tags import tags_to_text, text_to_tags  # noqa: F401 - imported from here by callers


class Kind(models.TextChoices):
    ARTICLE = "article", _("Article")
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    COURSE = "course", _("Course with lessons")
    KIT = "kit", _("Exhibit or kit to borrow")
    POSTER = "poster", _("Poster")


class Topic(models.TextChoices):
    """The same topic codes as activities (and orders' menu), so a person's interests mean one thing."""

    HEALTH = "health", _("Health")
    SAFETY = "safety", _("Safety and emergencies")
    ENVIRONMENT = "environment", _("Environment")
    ASTRONOMY = "astronomy", _("Space and astronomy")
    AI = "ai", _("Information technology and AI")
    FARMING = "farming", _("Farming")
    ANTI_FRAUD = "anti_fraud", _("Fraud prevention")
    ELDERLY_DIGITAL = "elderly_digital", _("Smartphone use for the elderly")
    CULTURE = "culture", _("Science culture")


class ReadingLevel(models.TextChoices):
    CHILDREN = "children", _("Easy: for children")
    GENERAL = "general", _("Plain: for everyone")
    ADVANCED = "advanced", _("In depth: some background needed")


class Licence(models.TextChoices):
    CC_BY = "cc_by", _("CC BY 4.0 (reuse with credit)")
    CC_BY_SA = "cc_by_sa", _("CC BY-SA 4.0 (reuse with credit, share alike)")
    CC_BY_NC = "cc_by_nc", _("CC BY-NC 4.0 (non-commercial reuse with credit)")
    PUBLIC_SERVICE = "public_service", _("Free for public science work, with credit to the source unit")
    RESERVED = "reserved", _("All rights reserved: shown on this platform only")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft (not submitted)")
    SUBMITTED = "submitted", _("Submitted for review")
    SCIENCE_REVIEW = "science_review", _("In scientific review")
    EDITORIAL_REVIEW = "editorial_review", _("In editorial review")
    PUBLISHED = "published", _("Published in the library")
    RETURNED = "returned", _("Returned with comments")
    WITHDRAWN = "withdrawn", _("Withdrawn from the library")
    SUPERSEDED = "superseded", _("Replaced by a corrected version")


def review_fields():
    """The expert library's fields: the field a piece is reviewed in names the experts who may review it."""
    from kepu.volunteers.selectors import expert_fields

    return expert_fields()


def resource_storage():
    """Where files go: ``STORAGES["resources"]`` (local disk by default; any S3-compatible store by setting)."""
    from django.core.files.storage import default_storage, storages

    return storages["resources"] if "resources" in settings.STORAGES else default_storage


class Resource(TimeStampedModel):
    """One version of a piece (科普资源): an article, video, audio, course, exhibit or kit, poster."""

    lineage_id = models.BigIntegerField(_("piece"), null=True, db_index=True, editable=False)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=120)
    summary = models.CharField(_("summary"), max_length=400, blank=True)
    #: Sanitized HTML (``kepu.resources.text.clean_html``); never rendered unsanitized.
    body = models.TextField(_("text"), blank=True)
    #: What a video or audio says, for screen readers, the deaf and search.
    transcript = models.TextField(_("transcript"), blank=True)
    topics = models.CharField(_("topics"), max_length=200, blank=True)
    populations = models.CharField(_("for whom"), max_length=120, blank=True)
    reading_level = models.CharField(_("reading level"), max_length=10, choices=ReadingLevel.choices)
    review_field = models.CharField(_("field of science (for review)"), max_length=16, choices=review_fields)
    author = models.CharField(_("author"), max_length=100)
    source_unit = models.ForeignKey(
        "orgs.Organization", verbose_name=_("source unit"), on_delete=models.PROTECT, related_name="+"
    )
    #: The source unit's place, copied so an office's area is one prefix filter.
    place_path = models.CharField(max_length=120, db_index=True, editable=False)
    licence = models.CharField(_("licence"), max_length=16, choices=Licence.choices)
    duration_minutes = models.PositiveSmallIntegerField(_("length in minutes"), null=True, blank=True)
    #: Exhibits and kits: how many there are to lend, and how many are out now.
    stock = models.PositiveSmallIntegerField(_("number to lend"), default=0)
    on_loan = models.PositiveSmallIntegerField(_("out on loan"), default=0, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scientific reviewer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdraw_reason = models.CharField(_("reason for withdrawal"), max_length=1000, blank=True)
    reads = models.PositiveIntegerField(_("reads"), default=0, editable=False)

    class Meta:
        verbose_name = _("science resource")
        verbose_name_plural = _("science resources")
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="resource_status_pub"),
            models.Index(fields=["status", "place_path"], name="resource_status_place"),
            models.Index(fields=["source_unit", "status"], name="resource_unit_status"),
            models.Index(fields=["reviewer", "status"], name="resource_reviewer_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(on_loan__lte=F("stock")), name="resource_loans_within_stock"),
            models.UniqueConstraint(
                fields=["lineage_id"], condition=Q(status="published"), name="resource_one_published_version"
            ),
        ]

    def __str__(self):
        return self.title

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
    def is_public(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def available(self) -> int:
        return max(self.stock - self.on_loan, 0)


class Lesson(models.Model):
    """A lesson of a course, in order; its video or audio is a ``ResourceFile`` with ``lesson`` set."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveSmallIntegerField(_("lesson number"))
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("length in minutes"), null=True, blank=True)

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["resource", "position"]
        constraints = [models.UniqueConstraint(fields=["resource", "position"], name="lesson_position_once")]

    def __str__(self):
        return self.title


class FileRole(models.TextChoices):
    COVER = "cover", _("Cover image")
    MEDIA = "media", _("Video or audio")
    CAPTIONS = "captions", _("Captions (WebVTT)")
    DOCUMENT = "document", _("Document (PDF)")
    IMAGE = "image", _("Image")


class ResourceFile(models.Model):
    """A file of a piece (or of one of its lessons), checked by content when it came in.

    Served only through ``views.file`` (the piece must be visible to whoever asks), with the
    content type found at upload and ``nosniff``. Files are stored under a random name and
    shared by the versions of a piece (a correction does not copy them).
    """

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="files")
    lesson = models.ForeignKey(Lesson, null=True, blank=True, on_delete=models.CASCADE, related_name="files")
    role = models.CharField(_("what it is"), max_length=10, choices=FileRole.choices)
    file = models.FileField(_("file"), storage=resource_storage, max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveBigIntegerField(default=0)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    #: Screen-reader text of an image (cover, poster, image in a piece).
    alt = models.CharField(_("description of the image"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("resource file")
        verbose_name_plural = _("resource files")
        ordering = ["resource", "lesson", "role", "pk"]

    def __str__(self):
        return self.original_name or self.file.name


class ReviewNote(models.Model):
    """A comment in the review of a version: the reason of a return, an expert's or editor's remark."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="notes")
    stage = models.CharField(_("stage"), max_length=20, choices=Status.choices)
    action = models.CharField(_("action"), max_length=30)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=24, blank=True)
    text = models.TextField(_("review comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("review note")
        verbose_name_plural = _("review notes")
        ordering = ["resource", "created_at", "pk"]

    def __str__(self):
        return f"{self.resource_id} {self.action}"


# --- Pushing pieces to people ------------------------------------------------------------
class PushStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Sending")
    DONE = "done", _("Sent")
    FAILED = "failed", _("Stopped by an error")


class Audience(models.TextChoices):
    TARGETS = "targets", _("Key populations in chosen places")
    SUBSCRIBERS = "subscribers", _("Subscribers of the piece's topics")


CHANNELS = {"inbox": _("Inbox"), "sms": _("SMS"), "wechat": _("WeChat")}


class Push(models.Model):
    """A piece pushed to people (定制化推送): residents of populations × places, or the topic's subscribers.

    The fan-out runs in the background (``tasks.push_fan_out``), in batches that each commit
    their inbox rows together with ``sent`` and ``cursor`` (the last person reached), so a
    restarted task goes on where it stopped and nobody gets a piece twice. ``opened`` counts
    people who opened the piece from the push (``PushOpen``).
    """

    resource = models.ForeignKey(Resource, verbose_name=_("piece"), on_delete=models.PROTECT, related_name="pushes")
    audience = models.CharField(_("audience"), max_length=12, choices=Audience.choices, default=Audience.TARGETS)
    message = models.CharField(_("push text"), max_length=200, blank=True)
    channels = models.JSONField(_("channels"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: The widest place of the push (for the office's scope and the figures' place filter).
    place_path = models.CharField(max_length=120, db_index=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PushStatus.choices, default=PushStatus.QUEUED)
    total = models.PositiveIntegerField(_("people to reach"), null=True, blank=True)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    opened = models.PositiveIntegerField(_("opened"), default=0)
    cursor = models.BigIntegerField(default=0, editable=False)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    #: Moved by every batch: a push still "sending" with an old beat lost its worker and is started again.
    beat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("push")
        verbose_name_plural = _("pushes")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.resource_id} → {self.place_path}"

    @property
    def percent(self) -> int:
        if self.status == PushStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.sent * 100 / self.total))

    @property
    def is_running(self) -> bool:
        return self.status in (PushStatus.QUEUED, PushStatus.RUNNING)

    @property
    def channel_labels(self) -> list:
        return [CHANNELS.get(c, c) for c in self.channels]


class PushTarget(models.Model):
    """One cell of a push's populations × places; ``population`` "" is every resident of the place."""

    push = models.ForeignKey(Push, on_delete=models.CASCADE, related_name="targets")
    population = models.CharField(_("key population"), max_length=12, choices=Population.choices, blank=True)
    place = models.ForeignKey("places.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    place_path = models.CharField(max_length=120, db_index=True)

    class Meta:
        verbose_name = _("push target")
        verbose_name_plural = _("push targets")
        indexes = [models.Index(fields=["place_path", "population"], name="push_target_match")]

    def __str__(self):
        return f"{self.population or '*'} @ {self.place_path}"


class PushOpen(models.Model):
    """A person opened a pushed piece from the push (inbox, SMS or WeChat link); once per person."""

    push = models.ForeignKey(Push, on_delete=models.CASCADE, related_name="opens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["push", "user"], name="push_open_once")]

    def __str__(self):
        return f"{self.push_id}/{self.user_id}"


class Subscription(models.Model):
    """A resident, or an organization, follows a topic: new pieces in it reach them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    organization = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, organization__isnull=True)
                | Q(user__isnull=True, organization__isnull=False),
                name="subscription_person_or_org",
            ),
            models.UniqueConstraint(fields=["user", "topic"], name="subscription_user_topic"),
            models.UniqueConstraint(fields=["organization", "topic"], name="subscription_org_topic"),
        ]
        indexes = [models.Index(fields=["topic", "user"], name="subscription_topic_user")]

    def __str__(self):
        return f"{self.user_id or self.organization_id}: {self.topic}"


class Read(models.Model):
    """A piece was read: once per person, piece and day (a visitor without an account: once per session)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    lineage_id = models.BigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    at = models.DateTimeField()
    push = models.ForeignKey(Push, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    elder = models.BooleanField(default=False)
    place_path = models.CharField(max_length=120, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lineage_id", "user", "day"], condition=Q(user__isnull=False), name="read_once_a_day"
            )
        ]
        indexes = [
            models.Index(fields=["user", "-at"], name="read_user_recent"),
            models.Index(fields=["day"], name="read_day"),
        ]

    def __str__(self):
        return f"{self.lineage_id} {self.day}"


# --- Attaching pieces to activities, orders, bases -----------------------------------------
class Attachment(models.Model):
    """A piece attached to another app's object (an activity's 讲座课件, a base's 展品介绍).

    The object is named by type and id and checked through its app's selector when attached;
    the piece shown is the current published version of the attached piece's lineage.
    """

    lineage_id = models.BigIntegerField()
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+")
    target_type = models.CharField(max_length=20)
    target_id = models.BigIntegerField()
    label = models.CharField(_("as"), max_length=20)
    attached_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["target_type", "target_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["target_type", "target_id", "lineage_id"], name="attachment_once")
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="attachment_target")]

    def __str__(self):
        return f"{self.target_type}:{self.target_id} ← {self.lineage_id}"


# --- Lending exhibits and kits ------------------------------------------------------------
class LoanStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    LENT = "lent", _("Lent out")
    RETURNED = "returned", _("Back in stock")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")


class Loan(TimeStampedModel):
    """An organization borrows pieces of an exhibit or kit (a school, a community's science room)."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("exhibit or kit"), on_delete=models.PROTECT, related_name="loans"
    )
    borrower = models.ForeignKey(
        "orgs.Organization", verbose_name=_("borrower"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveSmallIntegerField(_("how many"))
    wanted_from = models.DateField(_("first day"))
    wanted_until = models.DateField(_("last day"))
    purpose = models.CharField(_("what for"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=LoanStatus.choices, default=LoanStatus.REQUESTED)
    lent_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=1000, blank=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="loan_quantity_positive"),
            models.CheckConstraint(condition=Q(wanted_until__gte=F("wanted_from")), name="loan_dates_in_order"),
        ]

    def __str__(self):
        return f"{self.resource_id} × {self.quantity} → {self.borrower_id}"
