"""Every read about science resources, scoped to the actor (the public sees published versions only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.dbrouter import use_replica
from kepu.core.errors import NotFound
from kepu.core.permissions import can, get_visible, scope
from kepu.core.roles import Role
from kepu.resources import search as resource_search
from kepu.resources.models import (
    Attachment,
    Kind,
    Loan,
    LoanStatus,
    Push,
    PushTarget,
    Read,
    Resource,
    ResourceFile,
    ReviewNote,
    Status,
    Subscription,
    Topic,
)
from kepu.resources.permissions import ResourceAction, public_q, working_q
from kepu.resources.workflow import EDITABLE_STATES, OPEN_STATES

PAGE_SIZE = 20
#: Past this many matches the library says "more than 1,000" instead of counting them all.
COUNT_CAP = 1000


@dataclass
class Filters:
    q: str = ""
    topic: str = ""
    population: str = ""
    kind: str = ""
    district: str = ""

    @property
    def tags(self) -> dict:
        return {"topic": self.topic, "population": self.population, "kind": self.kind, "district": self.district}

    @property
    def active(self) -> bool:
        return any((self.q, self.topic, self.population, self.kind, self.district))


def public_resources() -> QuerySet[Resource]:
    """The published versions, for anybody (anonymous visitors, the API, feeds)."""
    return Resource.objects.filter(public_q())


def _with_cards(qs: QuerySet[Resource]) -> QuerySet[Resource]:
    return qs.select_related("source_unit")


def _load(ids: list[int]) -> list[Resource]:
    """Published versions by id, in the order given (ids of versions no longer published drop out).

    Fetched by primary key and checked here: with ``status`` in the query, SQLite's planner walks the
    status index (90,000 published rows) instead of looking the twenty ids up.
    """
    rows = {r.pk: r for r in _with_cards(Resource.objects.filter(pk__in=ids)).order_by()}
    return [rows[i] for i in ids if i in rows and rows[i].status == Status.PUBLISHED]


@dataclass
class Results:
    items: list[Resource]
    count: int
    capped: bool = False
    matched: str = "all"
    words: list[str] = field(default_factory=list)
    page: int = 1
    pages: int = 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


@use_replica
def library(f: Filters, *, page: int = 1) -> Results:
    """The library's search and browsing: full-text ranked when words are given, newest first otherwise."""
    page = max(1, min(page, COUNT_CAP // PAGE_SIZE))
    offset = (page - 1) * PAGE_SIZE
    if f.q.strip():
        hits = resource_search.INDEX.search(f.q, tags=f.tags, limit=PAGE_SIZE, offset=offset)
        count = resource_search.INDEX.count(f.q, tags=f.tags, cap=COUNT_CAP + 1, matched=hits.matched)
        items = _load(hits.ids)
        matched, words = hits.matched, hits.words
    else:
        qs = public_resources()
        if f.topic:
            qs = qs.filter(topics__contains=f",{f.topic},")
        if f.population:
            qs = qs.filter(populations__contains=f",{f.population},")
        if f.kind:
            qs = qs.filter(kind=f.kind)
        if f.district:
            from kepu.places.selectors import place_by_code_or_none

            place = place_by_code_or_none(f.district)
            qs = qs.filter(place_path__startswith=place.path) if place else qs.none()
        qs = qs.order_by("-published_at", "-pk")
        count = qs[: COUNT_CAP + 1].count()
        items = list(_with_cards(qs)[offset : offset + PAGE_SIZE])
        matched, words = "all", []
    capped = count > COUNT_CAP
    count = min(count, COUNT_CAP)
    pages = max(1, (count + PAGE_SIZE - 1) // PAGE_SIZE)
    return Results(items, count, capped, matched, words, page, pages)


def related(r: Resource, *, limit: int = 4) -> list[Resource]:
    """Pieces like this one (shared words of title and summary, same topics first)."""
    ids = resource_search.INDEX.similar(r.title, r.summary, exclude=[r.pk], limit=limit)
    return _load(ids)


class Visit:
    """What a visitor may see of a piece: the version to show, and whether they see it as its staff."""

    def __init__(self, resource: Resource, *, manage: bool):
        self.resource = resource
        self.manage = manage


def resource_for_visitor(*, actor: Actor, pk: int) -> Resource:
    """A piece's public page: its published version for everybody; others only for those who manage it.

    A superseded version's page is the piece's current version (raise ``Moved`` to redirect).
    """
    r = Resource.objects.select_related("source_unit").filter(pk=pk).first()
    if r is None:
        raise NotFound()
    if r.status == Status.PUBLISHED:
        return r
    if r.status == Status.SUPERSEDED:
        current = public_resources().filter(lineage_id=r.lineage_id).only("pk").first()
        if current is not None:
            raise Moved(current.pk)
    if actor.is_authenticated and can(actor, ResourceAction.VIEW, r):
        return r
    raise NotFound()


class Moved(Exception):
    def __init__(self, pk: int):
        self.pk = pk
        super().__init__(pk)


def file_for_visitor(*, actor: Actor, pk: int) -> ResourceFile:
    """A file, only when its version is visible to the visitor (published, or theirs to manage)."""
    f = ResourceFile.objects.select_related("resource").filter(pk=pk).first()
    if f is None:
        raise NotFound()
    r = f.resource
    if r.status == Status.PUBLISHED:
        return f
    if actor.is_authenticated and can(actor, ResourceAction.VIEW, r):
        return f
    raise NotFound()


def files_of(r: Resource) -> dict:
    """A version's files by role, lessons' files by lesson id."""
    out = {"cover": None, "media": None, "captions": None, "document": None, "images": [], "lessons": {}}
    for f in ResourceFile.objects.filter(resource=r).order_by("pk"):
        if f.lesson_id:
            out["lessons"].setdefault(f.lesson_id, {})[f.role] = f
        elif f.role == "image":
            out["images"].append(f)
        else:
            out[f.role] = f
    return out


def covers_of(resources) -> dict[int, ResourceFile]:
    """The cover image of each piece in a list (one query for the page)."""
    ids = [r.pk for r in resources]
    return {f.resource_id: f for f in ResourceFile.objects.filter(resource_id__in=ids, role="cover", lesson=None)}


def with_covers(resources):
    """Set ``cover_file`` on each piece of a list (one query), for the cards."""
    resources = list(resources)
    covers = covers_of(resources)
    for r in resources:
        r.cover_file = covers.get(r.pk)
    return resources


def lessons_of(r: Resource):
    return list(r.lessons.order_by("position"))


# --- The unit's, the editors' and the experts' lists ------------------------------------------------------
def managed(*, actor: Actor, status: str = "", q: str = "") -> QuerySet[Resource]:
    """The versions the actor works on: their unit's, their area's (editors), those they review (experts)."""
    qs = scope(actor, Resource.objects.all()).filter(working_q(actor))
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(title__icontains=q)
    return qs.select_related("source_unit").order_by("-updated_at", "-pk")


def waiting_for_me(*, actor: Actor) -> QuerySet[Resource]:
    """What the actor has to do now: review (experts), choose an expert or publish (editors), revise (units)."""
    qs = managed(actor=actor)
    if actor.role == Role.EXPERT:
        return qs.filter(status=Status.SCIENCE_REVIEW, reviewer_id=actor.user_id)
    if actor.role in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN):
        editing = qs.filter(status__in=[Status.SUBMITTED, Status.EDITORIAL_REVIEW])
        return editing.exclude(Q(status=Status.EDITORIAL_REVIEW) & Q(created_by_id=actor.user_id))
    return qs.filter(status__in=list(EDITABLE_STATES), source_unit_id=actor.organization_id)


def to_manage(*, actor: Actor, pk: int) -> Resource:
    r = get_visible(actor, Resource.objects.select_related("source_unit", "created_by", "reviewer"), pk=pk)
    if not can(actor, ResourceAction.MANAGE, r) and r.status != Status.PUBLISHED:
        raise NotFound()
    return r


def review_state(pk: int) -> tuple[str, int | None] | None:
    """The review status of the piece ``pk`` and its science reviewer (None: no such piece), for another app that
    follows a review it started (the emergency fast track's deadline). Not scoped: the caller holds the id."""
    return Resource.objects.filter(pk=pk).values_list("status", "reviewer_id").first()


def versions_of(r: Resource, *, actor: Actor) -> list[Resource]:
    return list(scope(actor, Resource.objects.filter(lineage_id=r.lineage_id)).order_by("-version"))


def open_version(r: Resource) -> Resource | None:
    return Resource.objects.filter(lineage_id=r.lineage_id, status__in=OPEN_STATES).exclude(pk=r.pk).first()


def notes_of(r: Resource) -> list[ReviewNote]:
    return list(ReviewNote.objects.filter(resource__lineage_id=r.lineage_id).select_related("author", "resource"))


# --- Pushes --------------------------------------------------------------------------------------------------
def push_get(*, actor: Actor, pk: int) -> Push:
    return get_visible(actor, Push.objects.select_related("resource", "created_by"), pk=pk)


def pushes_of(*, actor: Actor, resource: Resource) -> list[Push]:
    return list(
        scope(actor, Push.objects.filter(resource__lineage_id=resource.lineage_id))
        .select_related("created_by")
        .prefetch_related("targets__place")
        .order_by("-created_at")[:20]
    )


def push_list(*, actor: Actor) -> QuerySet[Push]:
    return scope(actor, Push.objects.all()).select_related("resource", "created_by").order_by("-created_at")


# --- For you (为你推荐) --------------------------------------------------------------------------------------------
@dataclass
class Suggestion:
    resource: Resource
    reasons: list[str] = field(default_factory=list)
    score: float = 0.0
    push_id: int | None = None


def _ancestors(path: str) -> list[str]:
    parts = [p for p in (path or "").split("/") if p]
    return ["/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def feed(*, actor: Actor, limit: int = 12) -> list[Suggestion]:
    """Pieces for this person: pushed to their group and home place, in topics they follow or read,
    for their key population, from their district; what they read already goes to the back.

    A handful of indexed queries, each capped; scored here. Published versions only.
    """
    from kepu.accounts.selectors import key_population_of

    found: dict[int, Suggestion] = {}
    now = clock.now()

    def add(rows, reason, weight, push_of=None):
        for r in rows:
            s = found.setdefault(r.pk, Suggestion(r))
            if reason not in s.reasons:
                s.reasons.append(reason)
                s.score += weight
            if push_of and s.push_id is None:
                s.push_id = push_of.get(r.pk)

    base = _with_cards(public_resources())
    recent = now - timedelta(days=365)
    if not actor.is_authenticated:
        add(base.order_by("-published_at")[:limit], "new", 1)
        add(base.filter(published_at__gte=recent).order_by("-reads")[:limit], "popular", 1)
        return _ranked(found, now, limit)

    user = actor.user
    population = key_population_of(user)
    home = getattr(user, "home_place", None)
    home_path = home.path if home is not None else ""
    if home_path:
        cells = Q(place_path__in=_ancestors(home_path)) & (Q(population="") | Q(population=population))
        pushed = list(
            PushTarget.objects.filter(cells)
            .filter(push__resource__status=Status.PUBLISHED)
            .order_by("-push__created_at")
            .values_list("push__resource_id", "push_id")[:limit]
        )
        push_of = {}
        for rid, pid in pushed:
            push_of.setdefault(rid, pid)
        add(base.filter(pk__in=list(push_of)), "pushed", 100, push_of)
    topics = list(Subscription.objects.filter(user_id=user.pk).values_list("topic", flat=True))
    if topics:
        q = Q()
        for t in topics:
            q |= Q(topics__contains=f",{t},")
        add(base.filter(q).order_by("-published_at")[:limit], "subscribed", 30)
    if population:
        add(base.filter(populations__contains=f",{population},").order_by("-published_at")[:limit], "population", 20)
    read = list(Read.objects.filter(user_id=user.pk).order_by("-at").values_list("lineage_id", flat=True)[:50])
    if read:
        read_topics: dict[str, int] = {}
        for tags in Resource.objects.filter(pk__in=read).values_list("topics", flat=True):
            for t in (tags or "").split(","):
                if t:
                    read_topics[t] = read_topics.get(t, 0) + 1
        liked = sorted(read_topics, key=read_topics.get, reverse=True)[:2]
        for t in liked:
            add(base.filter(topics__contains=f",{t},").order_by("-published_at")[:limit], f"read:{t}", 10)
    if home_path:
        district = _ancestors(home_path)[1] if len(_ancestors(home_path)) > 1 else ""
        if district:
            add(base.filter(place_path__startswith=district).order_by("-published_at")[:limit], "district", 5)
    if len(found) < limit:
        add(base.order_by("-published_at")[:limit], "new", 1)
    read_set = set(read)
    for s in found.values():
        if s.resource.lineage_id in read_set:
            s.score -= 200 if "pushed" not in s.reasons else 50
            s.reasons.append("read")
    return _ranked(found, now, limit)


def _ranked(found: dict[int, Suggestion], now, limit: int) -> list[Suggestion]:
    def key(s: Suggestion):
        age_days = (now - s.resource.published_at).days if s.resource.published_at else 9999
        return (-(s.score - min(age_days, 365) / 36.5), -s.resource.pk)

    return sorted(found.values(), key=key)[:limit]


REASON_LABELS = {
    "pushed": "pushed",
    "subscribed": "subscribed",
    "population": "population",
    "district": "district",
    "new": "new",
    "popular": "popular",
    "read": "read",
}


# --- Subscriptions, attachments, loans -------------------------------------------------------------------
def my_topics(*, actor: Actor, for_organization: bool = False) -> list[str]:
    if not actor.is_authenticated:
        return []
    if for_organization:
        return list(Subscription.objects.filter(organization_id=actor.organization_id).values_list("topic", flat=True))
    return list(Subscription.objects.filter(user_id=actor.user_id).values_list("topic", flat=True))


def attached_to(target_type: str, target_id: int) -> list[tuple[Attachment, Resource]]:
    """The pieces attached to another app's object, each as its current published version."""
    rows = list(Attachment.objects.filter(target_type=target_type, target_id=target_id).order_by("pk"))
    current = {
        r.lineage_id: r for r in _with_cards(public_resources().filter(lineage_id__in=[a.lineage_id for a in rows]))
    }
    return [(a, current[a.lineage_id]) for a in rows if a.lineage_id in current]


def attachments_of(r: Resource) -> list[Attachment]:
    return list(Attachment.objects.filter(lineage_id=r.lineage_id).order_by("target_type", "target_id"))


def loans_for(*, actor: Actor, resource: Resource | None = None) -> QuerySet[Loan]:
    qs = scope(actor, Loan.objects.all()).select_related("resource", "borrower")
    if resource is not None:
        qs = qs.filter(resource_id=resource.lineage_id)
    return qs.order_by("-created_at")


def loan_get(*, actor: Actor, pk: int) -> Loan:
    return get_visible(actor, Loan.objects.select_related("resource", "borrower"), pk=pk)


def stock_of(r: Resource) -> Resource:
    """The row that keeps a kit's stock and loans (its first version)."""
    return Resource.objects.only("stock", "on_loan").get(pk=r.lineage_id)


# --- Figures (for plans and statistics) -------------------------------------------------------------------
def _in_place(qs, path_field: str, place_path: str):
    return qs.filter(**{f"{path_field}__startswith": place_path}) if place_path else qs


@use_replica
def figures(*, place_path: str = "", year: int | None = None) -> dict:
    """Published pieces by kind, reach of pushes (sent, opened) and reads, in a place (its subtree) and year.

    A piece counts once however many versions it has (its first publication decides the year).
    """
    published = _in_place(Resource.objects.filter(version=1, published_at__isnull=False), "place_path", place_path)
    published = published.exclude(status__in=[Status.DRAFT, Status.SUBMITTED])
    pushes = _in_place(Push.objects.all(), "place_path", place_path)
    reads = _in_place(Read.objects.all(), "place_path", place_path)
    if year:
        published = published.filter(published_at__year=year)
        pushes = pushes.filter(created_at__year=year)
        reads = reads.filter(day__year=year)
    by_kind = dict(published.values_list("kind").annotate(n=Count("pk")).order_by())
    reach = pushes.aggregate(sent=Sum("sent"), opened=Sum("opened"), n=Count("pk"))
    return {
        "by_kind": [(k, label, by_kind.get(k, 0)) for k, label in Kind.choices],
        "published": sum(by_kind.values()),
        "pushes": reach["n"] or 0,
        "sent": reach["sent"] or 0,
        "opened": reach["opened"] or 0,
        "reads": reads.count(),
        "elder_reads": reads.filter(elder=True).count(),
        "by_topic": _by_topic(published),
        "by_month": list(
            published.annotate(m=TruncMonth("published_at")).values("m").annotate(n=Count("pk")).order_by("m")
        ),
    }


def _by_topic(qs) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for tags in qs.values_list("topics", flat=True):
        for t in (tags or "").split(","):
            if t:
                counts[t] = counts.get(t, 0) + 1
    return [(label, counts.get(value, 0)) for value, label in Topic.choices]


def loans_waiting(*, actor: Actor) -> QuerySet[Loan]:
    return loans_for(actor=actor).filter(status=LoanStatus.REQUESTED, resource__source_unit_id=actor.organization_id)
