"""Work plans (工作计划 / 工作要点): a tree of sections and tasks, their targets, reports and budgets.

A plan belongs to the office that published it (``owner``, a district office) and to that
office's place, which decides who may see it. Tasks name a lead unit (牵头单位) and co-units;
those units see their tasks and report progress against them. ``ImportDraft`` holds a parsed
document while a person corrects it: it is not a plan, and nothing of the plan exists until
the draft is published.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kepu.core.models import TimeStampedModel
from kepu.plans.importer.numbers import format_quantity


class PlanStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


def default_score_weights() -> dict:
    """How an evaluation weighs its three parts unless the office changes it (points out of 100)."""
    return {"targets": 50, "on_time": 30, "quality": 20}


class Plan(TimeStampedModel):
    """A published work plan of one office for a year or a period."""

    owner = models.ForeignKey(
        "orgs.Organization", verbose_name=_("office"), on_delete=models.PROTECT, related_name="plans"
    )
    place = models.ForeignKey("places.Place", verbose_name=_("place"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    source_name = models.CharField(_("source file"), max_length=200, blank=True)
    source_text = models.TextField(_("source document"), blank=True)
    score_weights = models.JSONField(_("evaluation weights"), default=default_score_weights)
    report_interval_days = models.PositiveSmallIntegerField(
        _("report every (days)"),
        default=90,
        help_text=_("A task whose units have not reported for this long counts as not reported."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("work plan")
        verbose_name_plural = _("work plans")
        ordering = ["-year", "title"]
        indexes = [models.Index(fields=["place", "year"])]

    def __str__(self):
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status == PlanStatus.CLOSED

    @property
    def period_label(self) -> str:
        """'2024', or '2021–2025' for a plan over several years."""
        first, last = self.period_start.year, self.period_end.year
        return str(first) if first == last else f"{first}–{last}"


class NodeKind(models.TextChoices):
    SECTION = "section", _("Section")
    TASK = "task", _("Task")
    # The plan's own text (指导思想, 基本原则, 发展目标, 保障措施 …): kept with the plan, not supervised.
    TEXT = "text", _("Plan text")


class PlanNode(TimeStampedModel):
    """A section or a task of a plan. Tasks are the leaves: units report against them.

    ``weight`` is the share of this node in its parent's progress; ``units_text`` keeps the
    responsible units as the document wrote them, so a correction never loses the original.
    """

    plan = models.ForeignKey(Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey(
        "self", verbose_name=_("part of"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=NodeKind.choices)
    position = models.PositiveIntegerField(pgettext_lazy("ordering", "position"), default=0)
    marker = models.CharField(_("number"), max_length=20, blank=True)
    title = models.CharField(_("title"), max_length=500)
    text = models.TextField(_("text"), blank=True)
    weight = models.DecimalField(
        _("weight"), max_digits=8, decimal_places=2, default=Decimal("1"), validators=[MinValueValidator(0)]
    )
    lead_unit = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_plan_tasks",
    )
    co_units = models.ManyToManyField(
        "orgs.Organization", verbose_name=_("co-units"), blank=True, related_name="plan_tasks"
    )
    units_text = models.CharField(_("responsible units as written"), max_length=500, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    budget = models.DecimalField(_("budget (10k yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    spent = models.DecimalField(_("spent (10k yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    source_line_start = models.PositiveIntegerField(null=True, blank=True)
    source_line_end = models.PositiveIntegerField(null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(_("flagged overdue"), null=True, blank=True)

    class Meta:
        verbose_name = _("plan task")
        verbose_name_plural = _("plan tasks")
        ordering = ["plan", "position"]
        indexes = [models.Index(fields=["plan", "parent", "position"])]

    def __str__(self):
        return f"{self.marker}{self.title}"[:120]

    @property
    def is_task(self) -> bool:
        return self.kind == NodeKind.TASK

    @property
    def is_text(self) -> bool:
        return self.kind == NodeKind.TEXT

    @property
    def effective_deadline(self):
        return self.deadline or self.plan.period_end


class Milestone(models.Model):
    """A dated step inside a task (节点): e.g. 'plan drafted by March'."""

    task = models.ForeignKey(PlanNode, verbose_name=_("task"), on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    due_date = models.DateField(_("due date"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["due_date", "pk"]

    def __str__(self):
        return self.title


class Comparator(models.TextChoices):
    AT_LEAST = "≥", _("at least (不少于)")
    MORE_THAN = ">", _("more than (超过)")
    ABOUT = "≈", _("about (左右)")
    EQUAL = "=", _("exactly")
    AT_MOST = "≤", _("at most (不超过)")
    LESS_THAN = "<", _("less than (低于)")


class TargetPeriod(models.TextChoices):
    """Over which time a target's quantity is meant (the importer's ``Period``, the same codes)."""

    TOTAL = "total", _("over the whole plan")
    YEAR = "year", _("per year")
    BY_YEAR = "by_year", _("by a given year")
    QUARTER = "quarter", _("per quarter")
    MONTH = "month", _("per month")
    TERM = "term", _("per school term")
    WEEK = "week", _("per week")
    DAY = "day", _("per day")


class Target(models.Model):
    """A numeric target of a task (指标): 800 场, 30万 人次, 28 %.

    A target bound to a measure (``measure_key`` + ``measure_filters``) takes its current
    value from the platform's records (see ``kepu.plans.measures``); an unbound one from the
    latest value its units reported.
    """

    task = models.ForeignKey(PlanNode, verbose_name=_("task"), on_delete=models.CASCADE, related_name="targets")
    label = models.CharField(_("what is measured"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=20)
    comparator = models.CharField(_("qualifier"), max_length=2, choices=Comparator.choices, default=Comparator.AT_LEAST)
    period = models.CharField(_("period"), max_length=10, choices=TargetPeriod.choices, default=TargetPeriod.YEAR)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    text = models.CharField(_("as written"), max_length=300, blank=True)
    # Where the document also says where things stood: "2022年…达到21.5%" before "到2025年达到28%".
    baseline = models.DecimalField(_("baseline"), max_digits=18, decimal_places=4, null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    measure_key = models.CharField(_("measure"), max_length=80, blank=True)
    measure_filters = models.JSONField(_("measure filters"), default=dict, blank=True)
    # A live target's value when its plan was closed: the evaluation of a closed plan must not move
    # when records of its period are added or corrected later.
    closed_value = models.DecimalField(_("value at closing"), max_digits=18, decimal_places=4, null=True, blank=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["task", "pk"]

    def __str__(self):
        return f"{self.label} {self.comparator}{self.quantity_display}{self.unit_of_measure}"

    @property
    def is_live(self) -> bool:
        return bool(self.measure_key)

    @property
    def quantity_display(self) -> str:
        """The quantity as plans write it: 2.5亿, 20万, 800."""
        return format_quantity(self.quantity)

    @property
    def baseline_display(self) -> str:
        return format_quantity(self.baseline) if self.baseline is not None else ""

    @property
    def period_label(self) -> str:
        """'per year', 'over the whole plan', or 'by 2027' for a target due by a year."""
        if self.period == TargetPeriod.BY_YEAR and self.due_date:
            return _("by %(year)s") % {"year": self.due_date.year}
        return str(self.get_period_display())


class ProgressReport(models.Model):
    """What a responsible unit reported on a task: a percentage and/or a value for one target, with evidence."""

    task = models.ForeignKey(PlanNode, verbose_name=_("task"), on_delete=models.CASCADE, related_name="reports")
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="plan_reports"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True, db_index=True)
    percent = models.DecimalField(
        _("progress (%)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    target = models.ForeignKey(
        Target, verbose_name=_("target"), null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    value = models.DecimalField(_("value reached"), max_digits=18, decimal_places=4, null=True, blank=True)
    text = models.TextField(_("what was done"))
    on_time = models.BooleanField(_("on time"), default=True)
    quality_mark = models.PositiveSmallIntegerField(
        _("quality mark"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(5)]
    )
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["task", "organization", "created_at"])]

    def __str__(self):
        return f"{self.organization} · {self.task}"[:120]


class ReportAttachment(models.Model):
    report = models.ForeignKey(
        ProgressReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="plans/reports/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveIntegerField(_("size"), default=0)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.name


class ImportDraft(models.Model):
    """A parsed plan document while a person corrects it: not a plan, never visible to units.

    ``data`` is the importer's draft (``PlanDraft.to_dict()``); ``matches`` maps each task key
    to the chosen organizations for its written unit names. Publishing turns it into a plan
    in one transaction and deletes it.
    """

    owner = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=200)
    data = models.JSONField()
    matches = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("plan import draft")
        verbose_name_plural = _("plan import drafts")

    def __str__(self):
        return self.filename
