"""Every write about volunteers, needs, hours, certificates, trainings and experts.

``credit_hours`` is the only way hours enter the ledger; whatever earned them (a need's
presence, an activity's attendance, a delivered order, an approved report) passes an
idempotency key, so the same service is never credited twice. One module per part of the
domain; every public name is importable from here.
"""

from kepu.volunteers.services._common import clean_id_number, clean_phone, id_index, new_token
from kepu.volunteers.services.experts import (
    expert_create,
    expert_invite,
    expert_reveal_phone,
    invitation_record_outcome,
    training_attendance_record,
    training_create,
    training_session_create,
)
from kepu.volunteers.services.hours import (
    MAX_REPORT_MINUTES,
    certificate_issue,
    credit_hours,
    hours_correct,
    hours_report_create,
    hours_report_decide,
    ledger_key,
    volunteer_anonymize,
)
from kepu.volunteers.services.needs import (
    has_completed,
    need_create,
    need_credit,
    presence_record,
    presence_sign_in,
    presence_sign_out,
    served_minutes,
    signup_create,
    signup_decide,
    signup_withdraw,
)
from kepu.volunteers.services.profile import (
    join_request_create,
    join_request_decide,
    require_volunteer_profile,
    volunteer_confirm_id,
    volunteer_register,
    volunteer_reveal,
    volunteer_update,
)

__all__ = [
    "MAX_REPORT_MINUTES",
    "certificate_issue",
    "clean_id_number",
    "clean_phone",
    "credit_hours",
    "expert_create",
    "expert_invite",
    "expert_reveal_phone",
    "has_completed",
    "hours_correct",
    "hours_report_create",
    "hours_report_decide",
    "id_index",
    "invitation_record_outcome",
    "join_request_create",
    "join_request_decide",
    "ledger_key",
    "need_create",
    "need_credit",
    "new_token",
    "presence_record",
    "presence_sign_in",
    "presence_sign_out",
    "require_volunteer_profile",
    "served_minutes",
    "signup_create",
    "signup_decide",
    "signup_withdraw",
    "training_attendance_record",
    "training_create",
    "training_session_create",
    "volunteer_anonymize",
    "volunteer_confirm_id",
    "volunteer_register",
    "volunteer_reveal",
    "volunteer_update",
]
