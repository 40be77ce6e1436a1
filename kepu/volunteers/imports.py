"""Excel import of volunteers and experts: all rows or none.

The file is read and every row checked first (with progress written to the ``ImportJob`` as
it goes, so the page's progress bar moves); only a file without a single bad row is written,
in one transaction with bulk inserts. The expensive per-row work (checks, blind indexes) is
done before the transaction, so the database is locked only for the inserts.

An import creates new people and invites the ones already on the platform (same phone, or an ID
number already registered): they join the team only by accepting, with their own account, and
nothing of the row touches their profile. Row errors speak of the row only; whether a phone or an
ID number is known to the platform is never part of an answer, so the import is no oracle. The
uploaded file is deleted when the job ends.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from kepu.accounts.selectors import active_memberships
from kepu.accounts.services import people_bulk_create, people_invite
from kepu.core.actor import SYSTEM, Actor
from kepu.core.audit import log_action
from kepu.core.bulk import insert_rows
from kepu.core.errors import DomainError, NotAllowed
from kepu.core.exports import Workbook
from kepu.core.permissions import covers, require
from kepu.core.pii import encrypt, normalize_id_number, normalize_phone
from kepu.core.roles import Role
from kepu.places.choices import PlaceLevel
from kepu.places.selectors import places_at
from kepu.volunteers.models import (
    Audience,
    Education,
    EmergencyField,
    Expert,
    ExpertField,
    ImportJob,
    ImportKind,
    ImportStatus,
    Volunteer,
)
from kepu.volunteers.permissions import ImportAction
from kepu.volunteers.search import index_experts
from kepu.volunteers.services import id_index, new_token
from kepu.volunteers.workflow import IMPORT

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_STORED_ERRORS = 1000
PROGRESS_EVERY = 2000

# The template's columns are a data format shared with the offices' spreadsheets: Chinese, fixed.
VOLUNTEER_COLUMNS = ["姓名*", "身份证号码*", "手机号码*", "街道乡镇代码", "技能", "服务领域", "语言", "学历", "职称"]
EXPERT_COLUMNS = [
    "姓名*",
    "领域*",
    "子领域",
    "职称",
    "工作单位",
    "所在区代码*",
    "手机号码",
    "主讲主题",
    "受众",
    "聘期开始",
    "聘期结束",
    "应急专家（是/否）",
    "应急领域",
]
COLUMNS = {ImportKind.VOLUNTEERS: VOLUNTEER_COLUMNS, ImportKind.EXPERTS: EXPERT_COLUMNS}


def _split(value) -> list[str]:
    from kepu.volunteers.forms import split_words

    return split_words(str(value)) if value not in (None, "") else []


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# What offices write in the education column, besides the codes.
EDUCATION_WORDS = {
    "小学": "primary",
    "小学及以下": "primary",
    "初中": "secondary",
    "高中": "secondary",
    "中专": "secondary",
    "中学": "secondary",
    "大专": "college",
    "专科": "college",
    "本科": "bachelor",
    "学士": "bachelor",
    "硕士": "master",
    "研究生": "master",
    "博士": "doctorate",
}


def _labels(choices) -> dict[str, str]:
    """Codes and labels in both languages, computed once per file rather than per row."""
    from django.utils import translation

    table = {}
    for lang in ("en", "zh-hans"):
        with translation.override(lang):
            table.update({str(label): code for code, label in choices})
    table.update({code: code for code, _label in choices})
    return table


def _choice(value: str, table: dict[str, str]) -> str | None:
    """Accept a choice by its code or by its label in either language; None when unknown."""
    if not value:
        return ""
    return table.get(value)


#: The example rows of the template's instructions sheet (and of templates handed out before it had one):
#: a row like this one is an example, never a person, and is skipped.
VOLUNTEER_SAMPLE = [
    "张三",
    "11010519491231002X",
    "13800001234",
    "110115001",
    "讲解、摄影",
    "健康、航天",
    "普通话",
    "本科",
    "工程师",
]
EXPERT_SAMPLE = [
    "李四",
    "life",
    "公共卫生",
    "主任医师",
    "区疾控中心",
    "110115",
    "13900001234",
    "传染病防控",
    "elderly、youth",
    "2026-01-01",
    "2028-12-31",
    "是",
    "public_health",
]
SAMPLES = {ImportKind.VOLUNTEERS: VOLUNTEER_SAMPLE, ImportKind.EXPERTS: EXPERT_SAMPLE}
#: What identifies the sample row: the example's name with its ID number (volunteers) or phone (experts).
SAMPLE_KEYS = {
    ImportKind.VOLUNTEERS: ((0, "张三"), (1, "11010519491231002X")),
    ImportKind.EXPERTS: ((0, "李四"), (6, "13900001234")),
}


def is_sample(kind: str, cells: list[str]) -> bool:
    return all(len(cells) > i and cells[i] == value for i, value in SAMPLE_KEYS[kind])


def template_bytes(kind: str) -> bytes:
    """The import template: the header row alone on the first sheet, an example on a second one."""
    wb = Workbook()
    ws = wb.active
    ws.title = kind
    ws.append(COLUMNS[kind])
    example = wb.create_sheet("示例（不导入）")
    example.append(COLUMNS[kind])
    example.append(SAMPLES[kind])
    example.append(["示例行，不会导入。请在第一个工作表中从第 2 行起填写。"])
    for sheet in (ws, example):
        for i, _name in enumerate(COLUMNS[kind]):
            sheet.column_dimensions[chr(ord("A") + i)].width = 18
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass
class Checked:
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    error_count: int = 0
    total: int = 0

    def fail(self, row_no: int, messages: list[str]) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append({"row": row_no, "errors": messages})


class _Closed:
    def close(self):
        pass


#: An import file unpacks to at most this much (100,000 volunteers take about 70 MB).
MAX_UNPACKED_BYTES = 300 * 1024 * 1024
MAX_ROWS = 200_000


def _rows(source):
    import zipfile

    from kepu.core.uploads import check_zip
    from kepu.volunteers.xlsx import read_rows

    check_zip(source, max_uncompressed=MAX_UNPACKED_BYTES)
    try:
        it = _guarded(read_rows(source, max_cols=len(EXPERT_COLUMNS) + 1, max_rows=MAX_ROWS + 1))
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError, IndexError) as exc:
        raise DomainError(_("The file could not be read as Excel."), code="import_unreadable") from exc
    return _Closed(), next(it, None), it


def _guarded(rows):
    """The rows, with a file that breaks or overflows half-way turned into a clear refusal."""
    import zipfile
    from xml.parsers.expat import ExpatError

    from kepu.volunteers.xlsx import TooLarge

    try:
        yield from rows
    except TooLarge:
        raise DomainError(
            _("The file has more than %(n)s rows; split it into smaller files.") % {"n": MAX_ROWS},
            code="import_too_large",
        ) from None
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError, IndexError, ExpatError) as exc:
        raise DomainError(_("The file could not be read as Excel."), code="import_unreadable") from exc


def _check_header(header, kind) -> None:
    expected = COLUMNS[kind]
    got = [_text(h) for h in (header or ())][: len(expected)]
    if got != expected:
        raise DomainError(
            _("This is not the platform's template: download the template and fill it in."), code="import_template"
        )


# --- Volunteers ----------------------------------------------------------------------------
def check_volunteers(source, *, progress=None) -> Checked:
    wb, header, it = _rows(source)
    _check_header(header, ImportKind.VOLUNTEERS)
    streets = dict(places_at(PlaceLevel.STREET).values_list("code", "pk"))
    education_table = {**_labels(Education.choices), **EDUCATION_WORDS}
    result = Checked()
    seen_ids: dict[str, int] = {}
    seen_phones: dict[str, int] = {}
    for row_no, raw in enumerate(it, start=2):
        if raw is None or not any(v not in (None, "") for v in raw):
            continue
        cells = [_text(v) for v in raw[: len(VOLUNTEER_COLUMNS)]] + [""] * len(VOLUNTEER_COLUMNS)
        if is_sample(ImportKind.VOLUNTEERS, cells):
            continue
        result.total += 1
        name, idn, phone, street, skills, topics, langs, edu, title = cells[:9]
        errs = []
        if not name or len(name) > 50:
            errs.append(_("The name is missing or longer than 50 characters."))
        try:
            idn = normalize_id_number(idn)
        except ValidationError as exc:
            errs.append(exc.messages[0])
            idn = ""
        try:
            phone = normalize_phone(phone)
        except ValidationError as exc:
            errs.append(exc.messages[0])
            phone = ""
        street_id = None
        if street:
            street_id = streets.get(street)
            if street_id is None:
                errs.append(_("Unknown street or town code %(code)s.") % {"code": street})
        education = _choice(edu, education_table)
        if education is None:
            errs.append(_("Unknown education %(value)s.") % {"value": edu})
        if idn and idn in seen_ids:
            errs.append(_("The same ID number is already in row %(row)s.") % {"row": seen_ids[idn]})
        if phone and phone in seen_phones:
            errs.append(_("The same phone number is already in row %(row)s.") % {"row": seen_phones[phone]})
        if errs:
            result.fail(row_no, errs)
        else:
            seen_ids[idn] = row_no
            seen_phones[phone] = row_no
            result.rows.append(
                (
                    row_no,
                    {
                        "real_name": name,
                        "id_number": idn,
                        "id_index": id_index(idn),
                        "phone": phone,
                        "street_id": street_id,
                        "skills": _split(skills)[:12],
                        "topics": _split(topics)[:12],
                        "languages": _split(langs)[:12],
                        "education": education or "",
                        "title": title[:50],
                    },
                )
            )
        if progress and result.total % PROGRESS_EVERY == 0:
            progress(result.total)
    wb.close()
    return result


def _chunks(items, size=900):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def write_volunteers(*, actor: Actor, organization, rows: list, batch: int = 5000) -> int:
    """In one transaction: accounts, memberships and volunteer profiles for the new people (through
    accounts' service); invitations for the people the platform already knows. Returns the rows handled.

    A row whose ID number is already registered invites the account that holds it, and a row whose
    phone has an account invites that account: either way the row's name, ID number and phone are
    dropped, so an import can neither overwrite a person nor take their ID number.
    """
    enc = {}
    for _n, r in rows:  # encrypt before taking the write lock
        enc[r["id_index"]] = (encrypt(r["id_number"]), encrypt(r["phone"]))
    holders: dict[str, int | None] = {}
    for chunk in _chunks([r["id_index"] for _n, r in rows]):
        holders.update(Volunteer.objects.filter(id_index__in=chunk).values_list("id_index", "user_id"))
    fresh = [r for _n, r in rows if r["id_index"] not in holders]
    with transaction.atomic():
        people = people_bulk_create(
            actor=actor,
            organization=organization,
            role=Role.VOLUNTEER,
            people=[{"phone": r["phone"], "name": r["real_name"]} for r in fresh],
            batch=batch,
        )
        invited = people_invite(
            actor=actor,
            organization=organization,
            role=Role.VOLUNTEER,
            user_ids=[user_id for user_id in holders.values() if user_id is not None],
        )
        insert_rows(
            Volunteer,
            [
                {
                    "user_id": people.created[r["phone"]],
                    "real_name": r["real_name"],
                    "id_number": enc[r["id_index"]][0],
                    "id_index": r["id_index"],
                    "phone": enc[r["id_index"]][1],
                    "street_id": r["street_id"],
                    "skills": json.dumps(r["skills"]),
                    "topics": json.dumps(r["topics"]),
                    "languages": json.dumps(r["languages"]),
                    "education": r["education"],
                    "title": r["title"],
                    "qr_token": new_token(),
                }
                for r in fresh
                if r["phone"] in people.created
            ],
            batch,
        )
        log_action(
            actor,
            "kepu.volunteers.imported",
            organization,
            data={"rows": len(rows), "created": len(people.created), "invited": len(invited) + len(people.invited)},
        )
    return len(rows)


# --- Experts -----------------------------------------------------------------------------
def _date(value) -> date | None | str:
    if value in (None, ""):
        return None
    if isinstance(value, float):  # an Excel date serial (1900 system)
        from datetime import timedelta

        return date(1899, 12, 30) + timedelta(days=int(value))
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return "bad"


def check_experts(source, *, actor: Actor, progress=None) -> Checked:
    wb, header, it = _rows(source)
    _check_header(header, ImportKind.EXPERTS)
    districts = {p.code: p for p in places_at(PlaceLevel.DISTRICT)}
    fields, audiences_t, efields_t = (
        _labels(ExpertField.choices),
        _labels(Audience.choices),
        _labels(EmergencyField.choices),
    )
    result = Checked()
    for row_no, raw in enumerate(it, start=2):
        if raw is None or not any(v not in (None, "") for v in raw):
            continue
        width = len(EXPERT_COLUMNS)
        values = list(raw[:width]) + [None] * width
        cells = [_text(v) for v in values[:width]]
        if is_sample(ImportKind.EXPERTS, cells):
            continue
        result.total += 1
        errs = []
        name, fld = cells[0], _choice(cells[1], fields)
        if not name or len(name) > 50:
            errs.append(_("The name is missing or longer than 50 characters."))
        if not fld:
            errs.append(_("Unknown field %(value)s.") % {"value": cells[1]})
        district = districts.get(cells[5])
        if district is None:
            errs.append(_("Unknown district code %(code)s.") % {"code": cells[5]})
        elif not (actor.is_city or covers(actor, district.path)):
            errs.append(_("You may only add experts of your own district."))
        phone = cells[6]
        if phone:
            try:
                phone = normalize_phone(phone)
            except ValidationError as exc:
                errs.append(exc.messages[0])
        audiences = [_choice(a, audiences_t) for a in _split(cells[8])]
        if None in audiences:
            errs.append(_("Unknown audience in %(value)s.") % {"value": cells[8]})
        start, end = _date(values[9]), _date(values[10])
        if "bad" in (start, end):
            errs.append(_("Dates are written as 2026-01-31."))
        elif start and end and end < start:
            errs.append(_("The term must end after it starts."))
        emergency = cells[11] in ("是", "yes", "Y", "y", "1", "true", "True")
        efields = [_choice(f, efields_t) for f in _split(cells[12])]
        if None in efields:
            errs.append(_("Unknown emergency field in %(value)s.") % {"value": cells[12]})
        if errs:
            result.fail(row_no, errs)
        else:
            expert = Expert(
                name=name,
                field=fld,
                subfield=cells[2][:40],
                title=cells[3][:50],
                affiliation=cells[4][:100],
                district=district,
                phone=phone,
                topics=_split(cells[7])[:12],
                audiences=list(dict.fromkeys(audiences)),
                term_start=start,
                term_end=end,
                is_emergency=emergency,
                emergency_fields=list(dict.fromkeys(efields)) if emergency else [],
            )
            expert.refresh_search()
            result.rows.append((row_no, expert))
        if progress and result.total % PROGRESS_EVERY == 0:
            progress(result.total)
    wb.close()
    return result


def write_experts(*, actor: Actor, organization, rows: list, batch: int = 2000) -> int:
    with transaction.atomic():
        created = Expert.objects.bulk_create([e for _n, e in rows], batch_size=batch)
        index_experts(created, fresh=True)
        log_action(actor, "kepu.volunteers.expert.imported", organization, data={"rows": len(rows)})
    return len(rows)


# --- Jobs ----------------------------------------------------------------------------------
def import_file(*, actor: Actor, kind: str, source, progress=None) -> Checked:
    """Check and (if every row is good) import a file synchronously; the errors are in the result."""
    organization = actor.organization
    if kind == ImportKind.VOLUNTEERS:
        if organization is None:
            raise NotAllowed()
        require(actor, ImportAction.VOLUNTEERS, ImportJob)
        checked = check_volunteers(source, progress=progress)
        if not checked.error_count:
            write_volunteers(actor=actor, organization=organization, rows=checked.rows)
    elif kind == ImportKind.EXPERTS:
        require(actor, ImportAction.EXPERTS, ImportJob)
        checked = check_experts(source, actor=actor, progress=progress)
        if not checked.error_count:
            write_experts(actor=actor, organization=organization, rows=checked.rows)
    else:
        raise DomainError(code="import_kind")
    return checked


def import_start(*, actor: Actor, kind: str, upload) -> ImportJob:
    """Save the upload and run the import in the background; the job page shows its progress."""
    import uuid

    if kind not in ImportKind.values:
        raise DomainError(code="import_kind")
    require(actor, ImportAction.VOLUNTEERS if kind == ImportKind.VOLUNTEERS else ImportAction.EXPERTS, ImportJob)
    if not Path(upload.name).suffix.lower() == ".xlsx":
        raise DomainError(_("Upload an .xlsx file made from the template."), code="import_format")
    if upload.size > MAX_UPLOAD_BYTES:
        raise DomainError(_("The file is larger than 50 MB."), code="import_too_large")
    job = ImportJob(kind=kind, organization=actor.organization, created_by=actor.user)
    # A name nobody can guess; the file is never served (no media reader is registered for it).
    job.file.save(f"{kind}-{uuid.uuid4().hex}.xlsx", ContentFile(upload.read()), save=False)
    job.save()
    log_action(actor, "kepu.volunteers.import_started", job, place=actor.place, data={"kind": kind})
    _enqueue(job)
    return job


def _enqueue(job: ImportJob) -> None:
    from kepu.volunteers.tasks import run_import

    transaction.on_commit(lambda: run_import.enqueue(job.pk))


@transaction.atomic
def import_rerun(*, actor: Actor, job: ImportJob) -> ImportJob:
    """Run an interrupted import again (the worker stopped, or the database was busy): nothing of it was written."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not IMPORT.may_ever(actor, job, "rerun"):
        raise NotAllowed()
    if not IMPORT.allowed(actor, job, "rerun") or not job.file:
        raise DomainError(_("Only an interrupted import can be run again."), code="import_not_interrupted")
    _move(job, "rerun", actor=actor, processed=0, errors=[])
    log_action(actor, "kepu.volunteers.import_rerun", job, place=actor.place, data={"kind": job.kind})
    _enqueue(job)
    job.refresh_from_db()
    return job


def _delete_file(job: ImportJob) -> None:
    """The spreadsheet holds ID numbers and phones in clear: it goes as soon as the job has ended."""
    if job.file:
        try:
            job.file.delete(save=False)
        except OSError:
            log.exception("import %s: the file could not be deleted", job.pk)
    ImportJob.objects.filter(pk=job.pk).update(file="")


def _move(job: ImportJob, name: str, *, actor: Actor = SYSTEM, to: str | None = None, **fields) -> None:
    """Move the job by the declared machine (``IMPORT``), writing only the state and ``fields``: the progress
    counter is written by the running check meanwhile, so the row is updated, never saved whole."""
    from_state, to_state = IMPORT.move(actor=actor, obj=job, name=name, to_state=to)
    ImportJob.objects.filter(pk=job.pk, status=from_state).update(status=to_state, **fields)


def _interrupted(job: ImportJob, message) -> None:
    _move(job, "interrupt", errors=[{"row": 0, "errors": [str(message)]}])


def import_abandoned(job_id: int) -> None:
    """The worker running this job is gone: nothing was written (all or nothing); it can be run again."""
    job = ImportJob.objects.filter(pk=job_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]).first()
    if job is not None:
        _interrupted(job, _("The import was interrupted before it finished. Nothing was imported; run it again."))


def import_run(job_id: int) -> None:
    from kepu.core.uploads import check_zip
    from kepu.core.worker import is_transient
    from kepu.volunteers.xlsx import declared_rows

    job = ImportJob.objects.select_related("organization", "created_by").get(pk=job_id)
    if job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING) or not job.file:
        return  # ran already (a task enqueued twice), or its file is gone
    membership = next((m for m in active_memberships(job.created_by) if m.organization_id == job.organization_id), None)
    actor = Actor(user=job.created_by, membership=membership)
    _move(job, "start")

    def progress(n):
        ImportJob.objects.filter(pk=job.pk).update(processed=n, total=max(n, job.total))

    try:
        with job.file.open("rb") as fh:
            check_zip(fh, max_uncompressed=MAX_UNPACKED_BYTES)
            total = max(declared_rows(fh) - 1, 0)  # from the sheet's dimension, not a full read
        job.total = total
        ImportJob.objects.filter(pk=job.pk).update(total=total)
        with job.file.open("rb") as fh:
            checked = import_file(actor=actor, kind=job.kind, source=fh, progress=progress)
    except DomainError as exc:
        _move(job, "fail", errors=[{"row": 0, "errors": [str(exc.message)]}])
        _delete_file(job)
        return
    except Exception as exc:  # a broken file must end as a failed job with a message, not a stuck one
        if is_transient(exc):  # the database was busy: nothing was written, the file is kept for a rerun
            log.warning("import %s interrupted: %s", job.pk, exc)
            _interrupted(job, _("The database was busy and the import stopped. Nothing was imported; run it again."))
            return
        log.exception("import %s failed", job.pk)
        _move(job, "fail", errors=[{"row": 0, "errors": [_("The file could not be read as Excel.")]}])
        _delete_file(job)
        return
    _move(
        job,
        "finish",
        to=ImportStatus.FAILED if checked.error_count else ImportStatus.DONE,
        total=checked.total,
        processed=checked.total,
        imported=0 if checked.error_count else len(checked.rows),
        errors=checked.errors,
    )
    _delete_file(job)
