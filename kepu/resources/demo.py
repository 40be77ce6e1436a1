"""The demo library: about fifty of the pieces in ``data/library.py`` from 大兴 and 西城 units, with covers.

Published pieces are written as they would be after review (with the review notes an expert and
an editor would leave), a few stay in each review step, one is withdrawn with its reason. Demo
videos have a cover, captions text and a transcript but no video file (no encoder ships here);
audio pieces get a short generated tone so the player works.
"""

from __future__ import annotations

import io
import math
import struct
import wave
from datetime import timedelta
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from kepu.core.seeding import SeedContext
from kepu.resources.data.library import IN_REVIEW, PIECES, WITHDRAWN

#: Which 大兴 member unit makes the pieces of each topic (by the unit's short name).
UNIT_OF_TOPIC = {
    "health": "区卫健委",
    "safety": "区应急局",
    "anti_fraud": "区公安分局",
    "elderly_digital": "区科信局",
    "farming": "区农业农村局",
    "environment": "区生态环境局",
    "astronomy": "区科信局",
    "ai": "区科信局",
    "culture": "区委宣传部",
}
AUTHORS = ["王医生", "李工程师", "张老师", "刘研究员", "陈编辑", "赵农艺师", "孙警官", "周讲师"]
COLOURS = {
    "health": (196, 62, 62),
    "safety": (184, 98, 0),
    "anti_fraud": (122, 48, 160),
    "elderly_digital": (11, 78, 162),
    "farming": (42, 122, 54),
    "environment": (0, 112, 110),
    "astronomy": (28, 40, 96),
    "ai": (60, 60, 60),
    "culture": (140, 70, 30),
}
FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")


def _demo_pieces():
    keep = set(IN_REVIEW) | set(WITHDRAWN)
    return [p for i, p in enumerate(PIECES) if i % 4 == 0 or p[0] in keep]


def _cover(title: str, topic: str) -> bytes | None:
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        return None
    img = Image.new("RGB", (640, 360), COLOURS.get(topic, (11, 78, 162)))
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype(str(FONT), 40) if FONT.exists() else ImageFont.load_default()
    except OSError:
        font = ImageFont.load_default()
    lines = [title[i : i + 12] for i in range(0, len(title), 12)][:3]
    for n, line in enumerate(lines):
        draw.text((40, 110 + n * 56), line, fill=(255, 255, 255), font=font)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def _tone(seconds: float = 3.0) -> bytes:
    rate = 8000
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = b"".join(
            struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * i / rate) * min(1, (rate * seconds - i) / 800)))
            for i in range(int(rate * seconds))
        )
        w.writeframes(frames)
    return out.getvalue()


def seed_library(ctx: SeedContext) -> None:
    from kepu.accounts.models import User
    from kepu.orgs.choices import OrgKind
    from kepu.orgs.models import Organization
    from kepu.resources import search as resource_search
    from kepu.resources.models import Resource, ResourceFile, ReviewNote, Status, Subscription, tags_to_text
    from kepu.resources.services import resource_storage

    if Resource.objects.exists():
        ctx.out("    resources exist; skipped")
        return
    editor = User.objects.filter(username="dx.office").first()
    expert = User.objects.filter(username="dx.expert").first()
    if editor is None:
        ctx.out("    no demo people; skipped")
        return
    units = {o.short_name: o for o in Organization.objects.filter(kind=OrgKind.MEMBER_UNIT, place__code="110115")}
    unit_staff = {o.pk: User.objects.filter(memberships__organization=o).first() for o in units.values()}
    _expert_in_library(expert, editor)
    storage = resource_storage()
    now = timezone.now()
    published = []
    with transaction.atomic():
        for i, (key, kind, topics, populations, level, field, title, summary) in enumerate(_demo_pieces()):
            topic = topics.split(",")[0]
            unit = units.get(UNIT_OF_TOPIC.get(topic, "区科信局")) or next(iter(units.values()))
            author_user = unit_staff.get(unit.pk) or editor
            status = IN_REVIEW.get(key, Status.WITHDRAWN if key in WITHDRAWN else Status.PUBLISHED)
            when = now - timedelta(days=3 * i + 1)
            r = Resource.objects.create(
                kind=kind,
                title=title,
                summary=summary,
                body=_body(summary, kind),
                transcript=summary if kind in ("video", "audio") else "",
                topics=tags_to_text(topics.split(",")),
                populations=tags_to_text(populations.split(",")),
                reading_level=level,
                review_field=field,
                author=AUTHORS[i % len(AUTHORS)],
                source_unit=unit,
                place_path=unit.place.path,
                licence="public_service" if i % 3 else "cc_by",
                duration_minutes=(5 + i % 20) if kind in ("video", "audio", "course") else None,
                stock=(3 + i % 5) if kind == "kit" else 0,
                status=status,
                created_by=author_user,
                reviewer=expert
                if status in (Status.SCIENCE_REVIEW, Status.EDITORIAL_REVIEW, Status.PUBLISHED)
                else None,
                submitted_at=when if status != Status.DRAFT else None,
                published_at=when if status in (Status.PUBLISHED, Status.WITHDRAWN) else None,
                published_by=editor if status in (Status.PUBLISHED, Status.WITHDRAWN) else None,
                withdrawn_at=now - timedelta(days=1) if status == Status.WITHDRAWN else None,
                withdraw_reason=WITHDRAWN.get(key, ""),
                reads=(37 * (i + 3)) % 400 if status == Status.PUBLISHED else 0,
            )
            Resource.objects.filter(pk=r.pk).update(lineage_id=r.pk, created_at=when, updated_at=when)
            r.lineage_id = r.pk
            cover = _cover(title, topic)
            if cover:
                name = storage.save(f"resources/demo/{key}.png", ContentFile(cover))
                ResourceFile.objects.create(
                    resource=r, role="cover", file=name, content_type="image/png", size=len(cover), alt=title
                )
            if kind == "audio":
                tone = _tone()
                name = storage.save(f"resources/demo/{key}.wav", ContentFile(tone))
                ResourceFile.objects.create(
                    resource=r, role="media", file=name, content_type="audio/wav", size=len(tone)
                )
            if kind == "course":
                from kepu.resources.models import Lesson

                for n, part in enumerate(summary.split("，")[:4], start=1):
                    Lesson.objects.create(resource=r, position=n, title=part.strip("。："), body=f"<p>{part}</p>")
            if status in (Status.PUBLISHED, Status.WITHDRAWN, Status.EDITORIAL_REVIEW) and expert is not None:
                ReviewNote.objects.create(
                    resource=r,
                    stage="science_review",
                    action="approve_science",
                    author=expert,
                    author_role="expert",
                    text="内容科学准确，表述通俗。",
                )
            if status in (Status.PUBLISHED, Status.WITHDRAWN):
                ReviewNote.objects.create(
                    resource=r, stage="editorial_review", action="publish", author=editor, author_role="district_admin"
                )
            if status == Status.RETURNED:
                ReviewNote.objects.create(
                    resource=r,
                    stage="editorial_review",
                    action="return",
                    author=editor,
                    author_role="district_admin",
                    text="请补充操作截图，并把字号调大，方便长辈阅读。",
                )
            if status == Status.PUBLISHED:
                published.append(r)
        resource_search.add(published)
        demo_resident = User.objects.filter(username="r-demo-1").first()
        if demo_resident is not None:
            Subscription.objects.get_or_create(user=demo_resident, topic="health")
            Subscription.objects.get_or_create(user=demo_resident, topic="anti_fraud")
    ctx.out(f"    {len(published)} published pieces, {len(IN_REVIEW)} in review, {len(WITHDRAWN)} withdrawn")


def _body(summary: str, kind: str) -> str:
    if kind != "article":
        return ""
    sentences = [s for s in summary.replace("。", "。|").split("|") if s.strip()]
    return "".join(f"<p>{s}</p>" for s in sentences)


def _expert_in_library(expert, editor) -> None:
    """The demo expert (a doctor) sits in the library's life-sciences field, so pieces can be sent to them."""
    if expert is None:
        return
    from kepu.accounts.selectors import membership_of
    from kepu.core.actor import Actor
    from kepu.core.roles import Role
    from kepu.volunteers.selectors import expert_in_field
    from kepu.volunteers.services import expert_create

    if expert_in_field(expert.pk, "life"):
        return
    office = membership_of(editor.pk, Role.DISTRICT_ADMIN)
    if office is None:
        return
    expert_create(
        actor=Actor(user=editor, membership=office),
        name=expert.get_display_name(),
        field="life",
        subfield="老年医学",
        title="主任医师",
        affiliation="大兴区人民医院",
        district=office.organization.place,
        topics=["高血压", "老年健康"],
        audiences=["elderly"],
        user=expert,
    )
