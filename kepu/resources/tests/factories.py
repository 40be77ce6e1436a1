"""Pieces for tests, made through the services (as a unit, an editor and an expert would)."""

from __future__ import annotations

import io
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

from kepu.accounts.tests.factories import person
from kepu.core.actor import Actor
from kepu.core.roles import Role
from kepu.resources import services
from kepu.resources.models import Resource

#: An MP4 file's first bytes (an ``ftyp`` box): enough for the content check; no browser plays it.
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
VTT = "WEBVTT\n\n00:00.000 --> 00:04.000\n积水漫过膝盖不要涉水。\n".encode()


def png(size=(64, 48), colour=(30, 120, 200)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def piece_data(**overrides) -> MultiValueDict:
    values = {
        "kind": "article",
        "title": "夏季防溺水安全提示",
        "summary": "不要私自下水游泳。",
        "body": "不要私自下水游泳。\n\n发现有人溺水要大声呼救。",
        "topics": ["safety"],
        "populations": ["youth"],
        "reading_level": "children",
        "review_field": "safety",
        "author": "张老师",
        "licence": "cc_by",
    }
    values.update(overrides)
    data = MultiValueDict()
    for key, value in values.items():
        if isinstance(value, list | tuple):
            data.setlist(key, list(value))
        elif value is not None:
            data[key] = str(value)
    return data


def add_reviewers(world) -> SimpleNamespace:
    """An expert of the library (safety and life sciences) with an account in each district."""
    from kepu.volunteers.services import expert_create

    for key in ("a", "b"):
        d = getattr(world, key)
        for field, name in (("safety", "安全专家"), ("life", "医学专家")):
            actor = d.expert if field == "safety" else person(d.office, Role.EXPERT)
            expert_create(
                actor=d.admin, name=f"{name}{key}", field=field, district=d.place, title="研究员", user=actor.user
            )
            setattr(d, f"{field}_expert", actor)
        d.editor2 = person(d.office, Role.DISTRICT_ADMIN)  # a second editor (four eyes)
    return world


def make_piece(author: Actor, **overrides) -> Resource:
    kind = overrides.get("kind", "article")
    r = services.resource_create(actor=author, data=piece_data(**overrides))
    if kind == "video":
        add_file(author, r, "media", upload("v.mp4", MP4_HEAD, "video/mp4"))
        add_file(author, r, "captions", upload("v.vtt", VTT, "text/vtt"))
    elif kind == "audio":
        add_file(author, r, "media", upload("a.mp3", b"ID3\x03\x00\x00\x00" + b"\x00" * 64, "audio/mpeg"))
    elif kind == "poster":
        add_file(author, r, "image", upload("p.png", png(), "image/png"), alt="海报")
    elif kind == "course":
        services.lesson_add(actor=author, resource=r, data={"title": "第一课"})
    return r


def add_file(actor: Actor, r: Resource, role: str, f, *, alt: str = ""):
    return services.file_add(
        actor=actor,
        resource=r,
        data={"role": role, "alt": alt or ("图" if role in ("cover", "image") else "")},
        files=MultiValueDict({"upload": [f]}),
    )


def advance(r: Resource, d, until: str = "published", *, expert: Actor | None = None, author: Actor | None = None):
    """Take a piece through the review as the right people, up to ``until`` (a state)."""
    steps = [
        ("submitted", author or d.unit_staff, "submit", {}),
        ("science_review", d.admin, "assign", {"reviewer": (expert or d.safety_expert).user.pk}),
        ("editorial_review", expert or d.safety_expert, "approve_science", {}),
        ("published", d.editor2 if (author or d.unit_staff).user.pk == d.admin.user.pk else d.admin, "publish", {}),
    ]
    for state, actor, action, data in steps:
        r = services.resource_transition(actor=actor, resource=r, action=action, data=data)
        if state == until:
            break
    return r


def published(d, **overrides) -> Resource:
    return advance(make_piece(d.unit_staff, **overrides), d)
