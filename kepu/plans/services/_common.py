"""What the plans services share: the error, the locks of a draft and a task, numbers, open plans."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.errors import Conflict, DomainError
from kepu.core.permissions import require
from kepu.orgs.choices import OrgKind
from kepu.plans.importer import PlanImportError
from kepu.plans.models import ImportDraft, Plan, PlanNode, PlanStatus
from kepu.plans.permissions import PlanAction

#: Organization kinds a plan's responsible units are matched against.
UNIT_KINDS = (OrgKind.MEMBER_UNIT, OrgKind.DISTRICT_OFFICE, OrgKind.STREET_OFFICE)


class PlanError(DomainError):
    code = "plan_invalid"


def _import_message(exc: PlanImportError) -> str:
    messages = {
        "empty_input": _("The file is empty."),
        "not_a_plan": _("No numbered sections or tasks were found: is this a work plan?"),
        "unreadable_document": _("The document could not be read. Save it again as .docx and retry."),
        "undecodable_text": _("The text file is neither UTF-8 nor GB18030 (GBK). Save it as UTF-8 and retry."),
        "input_too_large": _("The document is too long for a work plan."),
        "unsupported_format": _("Plans are read from .docx or .txt files. Save the document as .docx first."),
        "invalid_draft": _("The draft is damaged. Upload the document again."),
        "too_many_parts": _(
            "The document has more numbered parts than a work plan has (at most 1,000). Import the plan itself."
        ),
        "unsupported_encoding": _(
            "The text file is in traditional Chinese (Big5), which is not read. Save it as UTF-8 and retry."
        ),
    }
    return messages.get(exc.code, exc.message)


def _locked_draft(actor: Actor, draft: ImportDraft) -> ImportDraft:
    draft = ImportDraft.objects.select_for_update().filter(pk=draft.pk).first()
    if draft is None:
        # Published or discarded meanwhile (a second click, a second tab).
        raise Conflict(_("This draft was already published or discarded."), code="draft_gone")
    require(actor, PlanAction.MANAGE, draft)
    return draft


def _co_unit_ids(task: PlanNode) -> list[int]:
    # From the link table alone: the related manager would join organizations and places only to sort them.
    return list(PlanNode.co_units.through.objects.filter(plannode_id=task.pk).values_list("organization_id", flat=True))


def _locked_task(actor: Actor, task: PlanNode, action: str) -> PlanNode:
    task = PlanNode.objects.select_for_update().select_related("plan").get(pk=task.pk)
    require(actor, PlanAction.VIEW, task)
    _ensure_open(task.plan)
    require(actor, action, task)
    return task


def _decimal(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise PlanError(_("%(field)s must be a number.") % {"field": field}, code="invalid_number") from None
    if not result.is_finite() or result < 0:
        raise PlanError(_("%(field)s must be a number of zero or more.") % {"field": field}, code="invalid_number")
    return result


def _ensure_open(plan: Plan) -> None:
    if plan.status == PlanStatus.CLOSED:
        raise PlanError(_("This plan is closed; reopen it to change anything."), code="plan_closed", status=409)
