"""The resources API: the public library (no sign-in), the review, pushes and subscriptions.

Writes feed the same forms and services as the pages, so a refusal reads the same everywhere.
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from ninja import Query, Router, Schema, Status

from kepu.core.actor import ANONYMOUS
from kepu.core.api import actor_of
from kepu.core.errors import NotFound
from kepu.core.permissions import can
from kepu.resources import selectors, services
from kepu.resources.permissions import ResourceAction
from kepu.resources.workflow import REVIEW

router = Router(tags=["resources"])


def _actor(request):
    return getattr(request, "actor", ANONYMOUS)


class ResourceOut(Schema):
    id: int
    piece: int
    version: int
    kind: str
    title: str
    summary: str
    topics: list[str]
    populations: list[str]
    reading_level: str
    author: str
    source_unit: str
    licence: str
    status: str
    published_at: datetime | None
    url: str

    @staticmethod
    def resolve_piece(obj):
        return obj.lineage_id

    @staticmethod
    def resolve_topics(obj):
        return obj.topic_list

    @staticmethod
    def resolve_populations(obj):
        return obj.population_list

    @staticmethod
    def resolve_source_unit(obj):
        return obj.source_unit.name

    @staticmethod
    def resolve_url(obj):
        return reverse("resources:detail", args=[obj.pk])


class FileOut(Schema):
    id: int
    role: str
    content_type: str
    size: int
    alt: str
    url: str

    @staticmethod
    def resolve_url(obj):
        return reverse("resources:file", args=[obj.pk])


class ResourceDetailOut(ResourceOut):
    body: str
    transcript: str
    duration_minutes: int | None
    files: list[FileOut]

    @staticmethod
    def resolve_files(obj):
        return list(obj.files.filter(lesson__isnull=True))


class PageOut(Schema):
    count: int
    capped: bool
    page: int
    pages: int
    matched: str
    items: list[ResourceOut]


class LibraryQuery(Schema):
    q: str = ""
    topic: str = ""
    population: str = ""
    kind: str = ""
    district: str = ""
    page: int = 1


class ErrorOut(Schema):
    code: str
    message: str


@router.get("/", response=PageOut, auth=None, summary="Search the library (published pieces only)")
def library(request, filters: Query[LibraryQuery]):
    from kepu.resources.forms import SearchForm

    form = SearchForm(filters.dict())
    data = form.cleaned_data if form.is_valid() else {}
    f = selectors.Filters(**{k: data.get(k) or "" for k in ("q", "topic", "population", "kind", "district")})
    results = selectors.library(f, page=filters.page)
    return {
        "count": results.count,
        "capped": results.capped,
        "page": results.page,
        "pages": results.pages,
        "matched": results.matched,
        "items": results.items,
    }


class SuggestionOut(Schema):
    resource: ResourceOut
    reasons: list[str]
    push_id: int | None


@router.get("/feed", response=list[SuggestionOut], summary="为你推荐: pieces for the signed-in person")
def feed(request):
    return selectors.feed(actor=actor_of(request), limit=30)


@router.get("/{int:resource_id}", response={200: ResourceDetailOut, 404: ErrorOut}, auth=None)
def resource_get(request, resource_id: int):
    actor = _actor(request)
    if not actor.is_authenticated:
        from kepu.core.api import TokenAuth

        bearer = request.headers.get("Authorization", "")
        if bearer.startswith("Bearer "):
            actor = TokenAuth().authenticate(request, bearer[7:].strip()) or ANONYMOUS
    try:
        return selectors.resource_for_visitor(actor=actor, pk=resource_id)
    except selectors.Moved as moved:
        return selectors.resource_for_visitor(actor=actor, pk=moved.pk)


class ResourceIn(Schema):
    kind: str
    title: str
    summary: str = ""
    body: str = ""
    transcript: str = ""
    topics: list[str] = []
    populations: list[str] = []
    reading_level: str
    review_field: str
    author: str
    licence: str
    duration_minutes: int | None = None
    stock: int | None = None


def _form_data(payload: Schema) -> dict:
    from django.utils.datastructures import MultiValueDict

    data = MultiValueDict()
    for key, value in payload.dict().items():
        if isinstance(value, list):
            data.setlist(key, [str(v) for v in value])
        elif value is not None:
            data[key] = str(value)
    return data


@router.post("/", response={201: ResourceDetailOut}, summary="Write a new piece (a draft of its first version)")
def resource_create(request, payload: ResourceIn):
    r = services.resource_create(actor=actor_of(request), data=_form_data(payload))
    return Status(201, r)


class ResourceEditIn(ResourceIn):
    kind: str = ""


@router.put("/{int:resource_id}", response=ResourceDetailOut, summary="Change a draft or returned version")
def resource_update(request, resource_id: int, payload: ResourceEditIn):
    actor = actor_of(request)
    r = selectors.to_manage(actor=actor, pk=resource_id)
    return services.resource_update(actor=actor, resource=r, data=_form_data(payload))


class TransitionIn(Schema):
    reason: str = ""
    data: dict = {}


class TransitionOut(Schema):
    name: str
    label: str


@router.get("/{int:resource_id}/transitions", response=list[TransitionOut], summary="The review steps you may take now")
def transitions(request, resource_id: int):
    actor = actor_of(request)
    r = selectors.to_manage(actor=actor, pk=resource_id)
    return [{"name": t.name, "label": str(t.label)} for t in REVIEW.available(actor, r)]


@router.post("/{int:resource_id}/transitions/{name}", response=ResourceDetailOut, summary="Take a review step")
def transition(request, resource_id: int, name: str, payload: TransitionIn):
    actor = actor_of(request)
    r = selectors.to_manage(actor=actor, pk=resource_id)
    if name not in REVIEW:
        raise NotFound()
    r = services.resource_transition(actor=actor, resource=r, action=name, data=payload.data, reason=payload.reason)
    correction = getattr(r, "correction", None)
    return correction or r


class PushIn(Schema):
    populations: list[str]
    places: list[str]
    sms: bool = False
    wechat: bool = False
    message: str = ""


class PushOut(Schema):
    id: int
    resource_id: int
    audience: str
    status: str
    total: int | None
    sent: int
    opened: int
    percent: int
    created_at: datetime
    finished_at: datetime | None


@router.post("/{int:resource_id}/pushes", response={201: PushOut}, summary="Push a piece to populations × places")
def push_create(request, resource_id: int, payload: PushIn):
    actor = actor_of(request)
    r = selectors.resource_for_visitor(actor=actor, pk=resource_id)
    if not can(actor, ResourceAction.PUSH, r):
        raise NotFound()
    push = services.push_create(actor=actor, resource=r, data=_form_data(payload))
    push.refresh_from_db()
    return Status(201, push)


@router.get("/pushes/{int:push_id}", response=PushOut, summary="A push's progress and reach")
def push_get(request, push_id: int):
    return selectors.push_get(actor=actor_of(request), pk=push_id)


class TopicsIn(Schema):
    topics: list[str]
    organization: bool = False


class TopicsOut(Schema):
    topics: list[str]


@router.get("/subscriptions", response=TopicsOut, summary="The topics you (or your organization) follow")
def subscriptions(request, organization: bool = False):
    return {"topics": selectors.my_topics(actor=actor_of(request), for_organization=organization)}


@router.put("/subscriptions", response=TopicsOut, summary="Follow these topics (replaces the list)")
def subscriptions_set(request, payload: TopicsIn):
    topics = services.subscriptions_set(
        actor=actor_of(request), topics=payload.topics, for_organization=payload.organization
    )
    return {"topics": topics}
