"""Every write about plans: import drafts, publishing, tasks, targets, reports, reminders.

Each service locks what it changes, checks the policy, writes an audit entry and sends its
signal after commit. One module per part of the domain; every public name is importable from here.
"""

from kepu.plans.services._common import UNIT_KINDS, PlanError
from kepu.plans.services.drafts import (
    DROP,
    MAX_DOCX_UNPACKED_BYTES,
    MAX_UPLOAD_BYTES,
    ROLE_CHOICES,
    SKIP,
    draft_choose_unit,
    draft_create,
    draft_discard,
    draft_edit_title,
    draft_resolve_name,
    draft_set_bullets,
    draft_set_lead,
    draft_set_role,
    draft_set_target,
    task_keys,
    unit_candidates,
    unresolved_units,
)
from kepu.plans.services.publish import MAX_PLAN_YEARS, lead_row, plan_create, plan_publish
from kepu.plans.services.reports import ATTACHMENT_SUFFIXES, MAX_ATTACHMENT_BYTES, report_create, report_mark
from kepu.plans.services.supervision import flag_overdue, plan_close, plan_reopen, plan_set_weights, reminder_send
from kepu.plans.services.tasks import (
    milestone_add,
    node_add,
    node_remove,
    place_options,
    target_add,
    target_bind,
    task_update,
)

__all__ = [
    "ATTACHMENT_SUFFIXES",
    "DROP",
    "MAX_ATTACHMENT_BYTES",
    "MAX_DOCX_UNPACKED_BYTES",
    "MAX_PLAN_YEARS",
    "MAX_UPLOAD_BYTES",
    "PlanError",
    "ROLE_CHOICES",
    "SKIP",
    "UNIT_KINDS",
    "draft_choose_unit",
    "draft_create",
    "draft_discard",
    "draft_edit_title",
    "draft_resolve_name",
    "draft_set_bullets",
    "draft_set_lead",
    "draft_set_role",
    "draft_set_target",
    "flag_overdue",
    "lead_row",
    "milestone_add",
    "node_add",
    "node_remove",
    "place_options",
    "plan_close",
    "plan_create",
    "plan_publish",
    "plan_reopen",
    "plan_set_weights",
    "reminder_send",
    "report_create",
    "report_mark",
    "target_add",
    "target_bind",
    "task_keys",
    "task_update",
    "unit_candidates",
    "unresolved_units",
]
