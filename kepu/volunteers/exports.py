"""Exports: hours for the national volunteer system (CSV) and volunteer lists (Excel).

The CSV header is the national system's import layout and stays in Chinese whatever the
interface language: it is a data format, not interface text. Callers check the export
permission and write the audit entry (see ``views.hours_csv``).
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from kepu.core.exports import Workbook
from kepu.volunteers.models import HoursEntry

HOURS_HEADER = [
    "记录编号",
    "志愿者姓名",
    "证件类型",
    "证件号码",
    "服务日期",
    "服务时长（小时）",
    "服务内容",
    "服务组织",
]
ID_TYPE = "居民身份证"


def with_bom(header, rows):
    # Excel opens a UTF-8 CSV correctly only with a byte-order mark.
    yield ["\ufeff" + header[0], *header[1:]]
    yield from rows


def hours_value(minutes: int) -> str:
    return str((Decimal(minutes) / 60).quantize(Decimal("0.01")))


def hours_rows(*, organization):
    """One row per service, with its corrections netted in; anonymized volunteers cannot be reported by name."""
    corrections = (
        HoursEntry.objects.filter(corrects=OuterRef("pk"))
        .order_by()
        .values("corrects")
        .annotate(t=Sum("minutes"))
        .values("t")
    )
    qs = (
        HoursEntry.objects.filter(
            organization=organization, corrects__isnull=True, volunteer__anonymized_at__isnull=True
        )
        .annotate(net=Coalesce(Subquery(corrections, output_field=IntegerField()), 0))
        .select_related("volunteer")
        .order_by("served_on", "pk")
    )
    for e in qs.iterator(chunk_size=2000):
        net = e.minutes + e.net
        if net <= 0:
            continue
        yield [
            e.key,
            e.volunteer.real_name,
            ID_TYPE,
            e.volunteer.id_number,
            e.served_on.isoformat(),
            hours_value(net),
            e.note,
            organization.name,
        ]


VOLUNTEER_HEADER = ["姓名", "证件号码（脱敏）", "手机（脱敏）", "街道乡镇", "技能", "服务领域", "学历", "职称"]


def volunteers_xlsx(volunteers) -> bytes:
    """Volunteer list for Excel; personal numbers masked."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("volunteers")
    ws.append(VOLUNTEER_HEADER)
    for v in volunteers.iterator(chunk_size=2000):
        ws.append(
            [
                v.real_name,
                v.masked_id_number,
                v.masked_phone,
                v.street.name if v.street else "",
                "、".join(v.skills),
                "、".join(v.topics),
                v.get_education_display(),
                v.title,
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


EXPERT_HEADER = [
    "姓名",
    "领域",
    "子领域",
    "职称",
    "工作单位",
    "所在区",
    "主讲主题",
    "受众",
    "可邀请",
    "应急专家",
    "应急领域",
    "聘期开始",
    "聘期结束",
]


def experts_xlsx(experts, limit: int = 100_000) -> bytes:
    """The expert library (or a search result) for Excel; no personal numbers."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("experts")
    ws.append(EXPERT_HEADER)
    for e in experts[:limit].iterator(chunk_size=2000):
        ws.append(
            [
                e.name,
                e.get_field_display(),
                e.subfield,
                e.title,
                e.affiliation,
                e.district.name,
                "、".join(e.topics),
                "、".join(e.audiences),
                "是" if e.available else "否",
                "是" if e.is_emergency else "否",
                "、".join(e.emergency_fields),
                e.term_start,
                e.term_end,
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
