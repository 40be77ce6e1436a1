"""Progress reports of the responsible units, with evidence, and the office's marks."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.permissions import require
from kepu.plans.models import PlanNode, ProgressReport, ReportAttachment, Target
from kepu.plans.permissions import PlanAction
from kepu.plans.services._common import PlanError, _decimal, _ensure_open, _locked_task

#: Largest evidence file accepted with a report.
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ATTACHMENT_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png", ".docx", ".xlsx", ".txt", ".doc", ".xls", ".zip")


# --- Progress reports ---------------------------------------------------------------------
@transaction.atomic
def report_create(
    *, actor: Actor, task: PlanNode, text: str, percent=None, target: Target | None = None, value=None, files=()
) -> ProgressReport:
    """A responsible unit reports progress on its task, with evidence attached."""
    task = _locked_task(actor, task, PlanAction.REPORT)
    text = (text or "").strip()
    if not text:
        raise PlanError(_("Say what was done."), code="text_required")
    pct = _decimal(percent, _("Progress"))
    if pct is not None and pct > 100:
        raise PlanError(_("Progress is a percentage from 0 to 100."), code="invalid_percent")
    val = _decimal(value, _("Value"))
    if target is not None and target.task_id != task.pk:
        raise PlanError(_("That target belongs to another task."), code="invalid_target")
    if target is not None and target.is_live:
        raise PlanError(
            _("This target is counted from the platform's records; it is not reported."), code="target_is_live"
        )
    if val is not None and target is None:
        raise PlanError(_("Say which target the value is for."), code="target_required")
    files = list(files)
    for f in files:
        if f.size > MAX_ATTACHMENT_BYTES:
            raise PlanError(_("%(name)s is larger than 20 MB.") % {"name": f.name}, code="attachment_too_large")
        if not f.name.lower().endswith(ATTACHMENT_SUFFIXES):
            raise PlanError(
                _("%(name)s is not a document or picture we accept.") % {"name": f.name}, code="attachment_type"
            )
    today = timezone.localdate()
    report = ProgressReport.objects.create(
        task=task,
        organization_id=actor.organization_id,
        reported_by=actor.user,
        percent=pct,
        target=target,
        value=val,
        text=text,
        on_time=today <= task.effective_deadline,
    )
    for f in files:
        ReportAttachment.objects.create(report=report, file=f, name=f.name[:200], size=f.size)
    log_action(
        actor,
        "kepu.plans.progress_reported",
        report,
        place=task.plan.place,
        data={
            "task": task.pk,
            "percent": str(pct) if pct is not None else None,
            "target": target.pk if target else None,
            "value": str(val) if val is not None else None,
            "attachments": [f.name for f in files],
        },
    )
    return report


@transaction.atomic
def report_mark(*, actor: Actor, report: ProgressReport, mark: int) -> ProgressReport:
    """The office marks a report's quality (0–5); the mark counts in the evaluation."""
    report = ProgressReport.objects.select_for_update().select_related("task__plan").get(pk=report.pk)
    require(actor, PlanAction.VIEW, report)
    _ensure_open(report.task.plan)
    require(actor, PlanAction.MARK, report)
    if not isinstance(mark, int) or not 0 <= mark <= 5:
        raise PlanError(_("A quality mark is a whole number from 0 to 5."), code="invalid_mark")
    old = report.quality_mark
    report.quality_mark = mark
    report.marked_by = actor.user
    report.save(update_fields=["quality_mark", "marked_by"])
    log_action(actor, "kepu.plans.report_marked", report, place=report.task.plan.place, data={"from": old, "to": mark})
    return report
