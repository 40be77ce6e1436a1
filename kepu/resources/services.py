"""Every write about science resources: pieces and their review, files, pushes, reads, loans, attachments.

Each service takes the acting ``Actor``, checks the policy, locks what it changes, writes an audit
entry and tells people after commit. The search index is written in the same transaction as the
state that makes a piece public (published) or not (withdrawn, superseded), so search never shows
a piece the library would not.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.audit import log_action
from kepu.core.errors import Conflict, DomainError, NotAllowed, NotFound
from kepu.core.permissions import can, covers, require
from kepu.core.roles import Role
from kepu.core.workflow import InputInvalid, invalid_input
from kepu.resources import search as resource_search
from kepu.resources.forms import EVERYONE, FileForm, LessonForm, LoanRequestForm, PushForm, ResourceForm
from kepu.resources.models import (
    Attachment,
    Audience,
    FileRole,
    Kind,
    Lesson,
    Loan,
    LoanStatus,
    Push,
    PushOpen,
    PushStatus,
    PushTarget,
    Read,
    Resource,
    ResourceFile,
    Status,
    Subscription,
    Topic,
    resource_storage,
    tags_to_text,
)
from kepu.resources.permissions import PushAction, ResourceAction
from kepu.resources.text import clean_html
from kepu.resources.uploads import check_upload
from kepu.resources.workflow import REVIEW

CONTENT_FIELDS = (
    "kind",
    "title",
    "summary",
    "body",
    "transcript",
    "topics",
    "populations",
    "reading_level",
    "review_field",
    "author",
    "licence",
    "duration_minutes",
)


def _validated(form_class, data, files=None, **kwargs) -> dict:
    form = form_class(data=data or {}, files=files, **kwargs)
    if not form.is_valid():
        raise invalid_input(form)
    return form.cleaned_data


def _content(values: dict) -> dict:
    return {
        "kind": values["kind"],
        "title": values["title"].strip(),
        "summary": (values.get("summary") or "").strip(),
        "body": clean_html(values.get("body") or ""),
        "transcript": (values.get("transcript") or "").strip(),
        "topics": tags_to_text(values.get("topics") or []),
        "populations": tags_to_text(values.get("populations") or []),
        "reading_level": values["reading_level"],
        "review_field": values["review_field"],
        "author": values["author"].strip(),
        "licence": values["licence"],
        "duration_minutes": values.get("duration_minutes"),
    }


# --- Pieces ----------------------------------------------------------------------------------------
@transaction.atomic
def resource_create(*, actor: Actor, data: dict) -> Resource:
    """A new piece (a draft of its first version) of the actor's organization."""
    values = _validated(ResourceForm, data)
    org = actor.organization
    if org is None:
        raise NotAllowed()
    r = Resource(
        **_content(values),
        stock=values.get("stock") or 0,
        source_unit=org,
        place_path=org.place.path,
        created_by=actor.user,
    )
    require(actor, ResourceAction.CREATE, r)
    r.save()
    r.lineage_id = r.pk
    r.save(update_fields=["lineage_id"])
    log_action(actor, "kepu.resources.created", r, place=org.place, data={"kind": r.kind})
    return r


@transaction.atomic
def resource_update(*, actor: Actor, resource: Resource, data: dict) -> Resource:
    """Change the content of a draft or returned version (the kind stays: a video is not turned into a kit)."""
    r = Resource.objects.select_for_update().get(pk=resource.pk)
    require(actor, ResourceAction.EDIT, r)
    data = data.copy() if hasattr(data, "getlist") else dict(data)  # keep every value of a multi-choice
    data["kind"] = r.kind
    values = _validated(ResourceForm, data)
    changed = []
    for name, value in _content(values).items():
        if getattr(r, name) != value:
            setattr(r, name, value)
            changed.append(name)
    if r.lineage_id == r.pk and values.get("stock") is not None and r.stock != values["stock"]:
        if values["stock"] < r.on_loan:
            raise InputInvalid(
                _("%(n)s are out on loan: the number to lend cannot be less.") % {"n": r.on_loan},
                data={"fields": {"stock": [_("%(n)s are out on loan.") % {"n": r.on_loan}]}},
            )
        r.stock = values["stock"]
        changed.append("stock")
    if changed:
        r.save(update_fields=[*changed, "updated_at"])
        log_action(actor, "kepu.resources.edited", r, data={"fields": changed})
    return r


def copy_version(old: Resource, *, actor: Actor) -> Resource:
    """A new draft version of ``old``'s piece with its content, lessons and files (the stored files are shared)."""
    version = (Resource.objects.filter(lineage_id=old.lineage_id).aggregate(v=Max("version"))["v"] or 0) + 1
    new = Resource(
        **{name: getattr(old, name) for name in CONTENT_FIELDS},
        lineage_id=old.lineage_id,
        version=version,
        stock=0,
        source_unit_id=old.source_unit_id,
        place_path=old.place_path,
        created_by=actor.user,
    )
    new.save()
    lessons = {}
    for lesson in Lesson.objects.filter(resource=old).order_by("position"):
        lessons[lesson.pk] = Lesson.objects.create(
            resource=new,
            position=lesson.position,
            title=lesson.title,
            body=lesson.body,
            duration_minutes=lesson.duration_minutes,
        )
    ResourceFile.objects.bulk_create(
        [
            ResourceFile(
                resource=new,
                lesson=lessons.get(f.lesson_id),
                role=f.role,
                file=f.file.name,
                content_type=f.content_type,
                size=f.size,
                original_name=f.original_name,
                alt=f.alt,
            )
            for f in ResourceFile.objects.filter(resource=old)
        ]
    )
    return new


def resource_transition(
    *,
    actor: Actor,
    resource: Resource | int,
    action: str,
    data=None,
    files=None,
    reason: str = "",
    prefixed: bool = False,
    **fields,
) -> Resource:
    """One step of the review (see ``workflow.REVIEW``), all or nothing; tells the people concerned after commit."""
    pk = resource if isinstance(resource, int) else resource.pk
    return REVIEW.run(
        actor=actor,
        obj=Resource(pk=pk),
        name=action,
        data=data if not fields else {**dict((data or {}).items()), **fields},
        files=files,
        reason=reason,
        prefixed=prefixed,
        after=_after_transition,
    )


def _after_transition(step) -> None:
    r = step.obj
    name = step.transition.name
    if name == "publish":
        for old in step.memo.get("superseded", []):
            log_action(None, REVIEW.audit_code("supersede"), old, data={"by": r.pk})
        resource_search.remove([o.pk for o in step.memo.get("superseded", [])])
        resource_search.add([r])
        if r.version == 1:
            transaction.on_commit(lambda: _push_to_subscribers(r.pk))
    elif name == "withdraw":
        resource_search.remove([r.pk])
    _notify_transition(r, name, step.reason)


def _editors(r: Resource):
    from kepu.accounts.selectors import people_in_area

    parts = [p for p in r.place_path.split("/") if p]
    if len(parts) >= 2:
        return [m.user for m in people_in_area(Role.DISTRICT_ADMIN, ["/".join(parts[:2]) + "/"])]
    return [m.user for m in people_in_area(Role.CITY_ADMIN, [r.place_path])]


def _unit_staff(r: Resource):
    from kepu.accounts.selectors import staff_of
    from kepu.core.roles import STAFF_ROLES

    return staff_of([r.source_unit_id], STAFF_ROLES)


#: What each review step's message is, written out (the inbox and WeChat templates are chosen by it).
NOTIFICATION_KINDS = {
    "submit": "kepu.resources.submitted",
    "assign": "kepu.resources.review_asked",
    "reassign": "kepu.resources.review_asked",
    "approve_science": "kepu.resources.science_approved",
    "return": "kepu.resources.returned",
    "publish": "kepu.resources.published",
    "withdraw": "kepu.resources.withdrawn",
}


def _notify_transition(r: Resource, name: str, reason: str) -> None:
    from django.contrib.auth import get_user_model

    from kepu.notifications.services import notify

    url = reverse("resources:manage_detail", args=[r.pk])
    args = {"title": r.title, "reason": reason}
    if name == "submit":
        people, title = _editors(r), _("A science resource waits for review: %(title)s") % args
    elif name in ("assign", "reassign"):
        people = list(get_user_model().objects.filter(pk=r.reviewer_id))
        title = _("Please review the science of: %(title)s") % args
    elif name == "approve_science":
        people, title = _editors(r), _("The expert approved the science of: %(title)s") % args
    elif name == "return":
        people, title = _unit_staff(r), _("Returned with comments: %(title)s") % args
    elif name == "publish":
        people, title = _unit_staff(r), _("Published in the library: %(title)s") % args
    elif name == "withdraw":
        people, title = _unit_staff(r), _("Withdrawn from the library: %(title)s") % args
    else:
        return
    notify(people, title=title, body=reason, url=url, kind=NOTIFICATION_KINDS[name])


# --- Lessons and files ------------------------------------------------------------------------------
def _editable(actor: Actor, resource: Resource) -> Resource:
    r = Resource.objects.select_for_update().get(pk=resource.pk)
    require(actor, ResourceAction.EDIT, r)
    return r


@transaction.atomic
def lesson_add(*, actor: Actor, resource: Resource, data: dict) -> Lesson:
    r = _editable(actor, resource)
    if r.kind != Kind.COURSE:
        raise DomainError(_("Only a course has lessons."), code="not_a_course")
    values = _validated(LessonForm, data)
    position = (Lesson.objects.filter(resource=r).aggregate(p=Max("position"))["p"] or 0) + 1
    lesson = Lesson.objects.create(
        resource=r,
        position=position,
        title=values["title"].strip(),
        body=clean_html(values.get("body") or ""),
        duration_minutes=values.get("duration_minutes"),
    )
    log_action(actor, "kepu.resources.lesson_added", r, data={"lesson": lesson.pk})
    return lesson


@transaction.atomic
def lesson_remove(*, actor: Actor, lesson: Lesson) -> None:
    r = _editable(actor, lesson.resource)
    log_action(actor, "kepu.resources.lesson_removed", r, data={"lesson": lesson.pk, "title": lesson.title})
    Lesson.objects.filter(pk=lesson.pk, resource=r).delete()
    for i, pk in enumerate(Lesson.objects.filter(resource=r).order_by("position").values_list("pk", flat=True), 1):
        Lesson.objects.filter(pk=pk).update(position=1000 + i)
    Lesson.objects.filter(resource=r).update(position=F("position") - 1000)


#: Roles of which a piece (or a lesson) has one: a new upload replaces the old.
SINGLE_ROLES = {FileRole.COVER, FileRole.MEDIA, FileRole.CAPTIONS, FileRole.DOCUMENT}


def file_add(*, actor: Actor, resource: Resource, data: dict, files) -> ResourceFile:
    """Check an upload by its content and store it under a random name; replaces the piece's file of that role.

    The file is stored before the transaction opens (a large video must not hold the write lock);
    if the row cannot be written, the stored file is removed again.
    """
    values = _validated(FileForm, data, files)
    role, upload = values["role"], values["upload"]
    checked = check_upload(upload, role)
    with transaction.atomic():
        r = _editable(actor, resource)
        lesson = None
        if values.get("lesson"):
            lesson = Lesson.objects.filter(resource=r, pk=values["lesson"]).first()
            if lesson is None:
                raise NotFound()
    now = timezone.localtime()
    name = f"resources/{now:%Y/%m}/{secrets.token_hex(16)}{checked.extension}"
    storage = resource_storage()
    stored = storage.save(name, upload)
    try:
        with transaction.atomic():
            r = _editable(actor, resource)
            if role in SINGLE_ROLES:
                ResourceFile.objects.filter(resource=r, lesson=lesson, role=role).delete()
            f = ResourceFile.objects.create(
                resource=r,
                lesson=lesson,
                role=role,
                file=stored,
                content_type=checked.content_type,
                size=checked.size,
                original_name=(getattr(upload, "name", "") or "")[:200],
                alt=(values.get("alt") or "").strip(),
            )
            log_action(actor, "kepu.resources.file_added", r, data={"role": role, "type": checked.content_type})
    except Exception:
        storage.delete(stored)
        raise
    return f


@transaction.atomic
def file_remove(*, actor: Actor, file: ResourceFile) -> None:
    r = _editable(actor, file.resource)
    log_action(actor, "kepu.resources.file_removed", r, data={"role": file.role, "name": file.original_name})
    ResourceFile.objects.filter(pk=file.pk, resource=r).delete()
    # The stored file stays while another version still lists it (versions share files).


# --- Pushing ---------------------------------------------------------------------------------------
def _enqueue_push(push_id: int) -> None:
    from kepu.resources.tasks import push_fan_out

    push_fan_out.enqueue(push_id)


@transaction.atomic
def push_create(*, actor: Actor, resource: Resource, data: dict) -> Push:
    """Push a published piece to key populations × places of the actor's area; the fan-out runs in the background."""
    from kepu.places.selectors import places_by_codes

    r = Resource.objects.select_for_update().get(pk=resource.pk)
    require(actor, ResourceAction.PUSH, r)
    values = _validated(PushForm, data, actor=actor)
    places = places_by_codes(values["places"])
    if not places or any(not covers(actor, p.path) for p in places):
        raise NotAllowed()
    # A place inside another chosen place adds nobody.
    places = [p for p in places if not any(o is not p and p.path.startswith(o.path) for o in places)]
    populations = [] if EVERYONE in values["populations"] else list(values["populations"])
    channels = ["inbox"] + (["sms"] if values.get("sms") else []) + (["wechat"] if values.get("wechat") else [])
    widest = min((p.path for p in places), key=len)
    push = Push.objects.create(
        resource=r,
        audience=Audience.TARGETS,
        message=(values.get("message") or "").strip(),
        channels=channels,
        created_by=actor.user,
        organization=actor.organization,
        place_path=widest if len(places) == 1 else _common_prefix([p.path for p in places]),
    )
    PushTarget.objects.bulk_create(
        [
            PushTarget(push=push, population=pop, place=p, place_path=p.path)
            for p in places
            for pop in populations or [""]
        ]
    )
    log_action(
        actor,
        "kepu.resources.pushed",
        r,
        place=places[0],
        data={"push": push.pk, "populations": populations or ["*"], "places": [p.code for p in places]},
    )
    transaction.on_commit(lambda: _enqueue_push(push.pk))
    return push


def _common_prefix(paths: list[str]) -> str:
    parts = [p.strip("/").split("/") for p in paths]
    common = []
    for segs in zip(*parts, strict=False):
        if len(set(segs)) != 1:
            break
        common.append(segs[0])
    return "/".join(common) + "/" if common else ""


def _push_to_subscribers(resource_id: int) -> Push | None:
    """A piece published for the first time reaches the subscribers of its topics (people and organizations)."""
    r = Resource.objects.filter(pk=resource_id, status=Status.PUBLISHED).first()
    if r is None or not Subscription.objects.filter(topic__in=r.topic_list).exists():
        return None
    push = Push.objects.create(resource=r, audience=Audience.SUBSCRIBERS, channels=["inbox"], place_path="", message="")
    _enqueue_push(push.pk)
    return push


#: People told per batch of a fan-out; each batch is one short transaction.
PUSH_BATCH = 2000


def _push_text(push: Push, r: Resource) -> tuple[str, str, str]:
    title = _("For you: %(title)s") % {"title": r.title}
    body = push.message or r.summary
    url = reverse("resources:detail", args=[r.pk]) + f"?push={push.pk}"
    return title, body, url


def push_run(push_id: int, *, batch: int = PUSH_BATCH) -> Push:
    """The fan-out of one push (run by the task): batches of inbox rows, progress kept on the push.

    Each batch reads the next ids after ``cursor`` (no long query, no long transaction), writes the
    inbox rows and moves ``sent`` and ``cursor`` in one transaction; pages go on meanwhile. A push
    that stopped (a worker restarted) resumes at its cursor: nobody is told twice.
    """
    from kepu.accounts.selectors import people_count_at_home, people_ids_at_home
    from kepu.notifications.services import notify_many

    push = Push.objects.select_related("resource").get(pk=push_id)
    if push.status == PushStatus.DONE:
        return push
    targets = list(PushTarget.objects.filter(push=push))
    populations = sorted({t.population for t in targets if t.population})
    paths = sorted({t.place_path for t in targets})

    def next_ids(after):
        if push.audience == Audience.SUBSCRIBERS:
            return list(
                Subscription.objects.filter(topic__in=push.resource.topic_list, user__isnull=False, user_id__gt=after)
                .order_by("user_id")
                .values_list("user_id", flat=True)
                .distinct()[:batch]
            )
        return people_ids_at_home(populations=populations, place_paths=paths, after_id=after, batch=batch)

    if push.total is None:
        if push.audience == Audience.SUBSCRIBERS:
            total = (
                Subscription.objects.filter(topic__in=push.resource.topic_list, user__isnull=False)
                .values("user_id")
                .distinct()
                .count()
            )
        else:
            total = people_count_at_home(populations=populations, place_paths=paths)
        Push.objects.filter(pk=push.pk).update(
            total=total, status=PushStatus.RUNNING, started_at=clock.now(), beat_at=clock.now()
        )
    title, body, url = _push_text(push, push.resource)
    try:
        while True:
            push.refresh_from_db(fields=["cursor", "status"])
            if push.status == PushStatus.DONE:
                break
            ids = next_ids(push.cursor)
            if not ids:
                break
            with transaction.atomic():
                locked = Push.objects.select_for_update().only("cursor").get(pk=push.pk)
                if locked.cursor != push.cursor:
                    continue  # another worker took this batch; read on from where it left off
                notify_many(ids, title=title, body=body, url=url, kind="kepu.resources.push", channels=push.channels)
                Push.objects.filter(pk=push.pk).update(sent=F("sent") + len(ids), cursor=ids[-1], beat_at=clock.now())
            if len(ids) < batch:
                break
        if push.audience == Audience.SUBSCRIBERS:
            _tell_subscribed_organizations(push, title, body, url)
    except Exception as exc:
        Push.objects.filter(pk=push.pk).update(status=PushStatus.FAILED, error=str(exc)[:300])
        raise
    Push.objects.filter(pk=push.pk).exclude(status=PushStatus.DONE).update(
        status=PushStatus.DONE, finished_at=clock.now()
    )
    push.refresh_from_db()
    return push


def _tell_subscribed_organizations(push: Push, title: str, body: str, url: str) -> None:
    from kepu.accounts.selectors import staff_of
    from kepu.core.roles import STAFF_ROLES
    from kepu.notifications.services import notify

    orgs = list(
        Subscription.objects.filter(topic__in=push.resource.topic_list, organization__isnull=False)
        .values_list("organization_id", flat=True)
        .distinct()
    )
    if orgs:
        with transaction.atomic():
            told = notify(staff_of(orgs, STAFF_ROLES), title=title, body=body, url=url, kind="kepu.resources.push")
            Push.objects.filter(pk=push.pk).update(sent=F("sent") + len(told))


def push_resume(*, actor: Actor, push: Push) -> Push:
    """Start a stopped fan-out again (it goes on at its cursor)."""
    require(actor, PushAction.RESUME, push)
    if push.status != PushStatus.FAILED:
        raise Conflict(_("Only a push stopped by an error can be started again."), code="push_not_failed")
    Push.objects.filter(pk=push.pk).update(status=PushStatus.RUNNING, error="")
    log_action(actor, "kepu.resources.push_resumed", push.resource, data={"push": push.pk})
    transaction.on_commit(lambda: _enqueue_push(push.pk))
    return push


def _reached_by(push: Push, user) -> bool:
    """Whether the push was meant for this person (their group and home place, or their subscription)."""
    if push.audience == Audience.SUBSCRIBERS:
        return Subscription.objects.filter(user_id=user.pk, topic__in=push.resource.topic_list).exists()
    from kepu.accounts.selectors import key_population_of

    home = getattr(user, "home_place", None)
    if home is None:
        return False
    population = key_population_of(user)
    return any(
        home.path.startswith(t.place_path) and (not t.population or t.population == population)
        for t in PushTarget.objects.filter(push=push)
    )


# --- Reading ---------------------------------------------------------------------------------------
def read_record(*, actor: Actor, resource: Resource, push_id=None, elder: bool = False, session=None) -> bool:
    """Count a read of a published piece (once a day per person; once per session for a visitor)
    and, when it came from a push meant for the reader, the push's opening. Returns whether it counted."""
    if resource.status != Status.PUBLISHED:
        return False
    now = clock.now()
    user = actor.user if actor.is_authenticated else None
    push = None
    if push_id and user is not None:
        push = (
            Push.objects.filter(pk=push_id, resource__lineage_id=resource.lineage_id).select_related("resource").first()
        )
        if push is not None and not _reached_by(push, user):
            push = None
    if user is None and session is not None:
        seen = session.get("kepu_reads", [])
        if resource.lineage_id in seen:
            return False
        session["kepu_reads"] = (seen + [resource.lineage_id])[-200:]
    home = getattr(user, "home_place", None) if user is not None else None
    with transaction.atomic():
        try:
            with transaction.atomic():
                Read.objects.create(
                    resource=resource,
                    lineage_id=resource.lineage_id,
                    user=user,
                    day=timezone.localdate(now),
                    at=now,
                    push=push,
                    elder=elder,
                    place_path=home.path if home is not None else "",
                )
        except IntegrityError:
            counted = False
        else:
            counted = True
            Resource.objects.filter(pk=resource.pk).update(reads=F("reads") + 1)
        if push is not None:
            try:
                with transaction.atomic():
                    PushOpen.objects.create(push=push, user=user, at=now)
            except IntegrityError:
                pass
            else:
                Push.objects.filter(pk=push.pk).update(opened=F("opened") + 1)
    return counted


# --- Subscriptions ---------------------------------------------------------------------------------
@transaction.atomic
def subscriptions_set(*, actor: Actor, topics, for_organization: bool = False) -> list[str]:
    """Replace the topics the actor (or, for staff, their organization) follows."""
    if not actor.is_authenticated:
        raise NotAllowed()
    topics = [t for t in dict.fromkeys(topics or []) if t]
    if any(t not in Topic.values for t in topics):
        raise DomainError(_("Unknown topic."), code="topic_invalid")
    if for_organization:
        if not can(actor, ResourceAction.WORK, Resource) or actor.organization_id is None:
            raise NotAllowed()
        owner = {"organization_id": actor.organization_id, "user": None}
    else:
        owner = {"user_id": actor.user_id, "organization": None}
    current = set(Subscription.objects.filter(**owner).values_list("topic", flat=True))
    Subscription.objects.filter(**owner).exclude(topic__in=topics).delete()
    Subscription.objects.bulk_create([Subscription(**owner, topic=t) for t in topics if t not in current])
    if current != set(topics):
        log_action(
            actor,
            "kepu.resources.subscriptions_changed",
            actor.organization if for_organization else None,
            data={"topics": topics, "organization": for_organization},
        )
    return topics


# --- Attachments -----------------------------------------------------------------------------------
@transaction.atomic
def attach(*, actor: Actor, resource: Resource, target_type: str, target_id: int, label: str) -> Attachment:
    """Attach a published piece to an activity, order or base the actor runs (checked by that app)."""
    from kepu.resources import attachments

    r = Resource.objects.get(pk=resource.pk)
    require(actor, ResourceAction.ATTACH, r)
    target = attachments.target(target_type)
    if target is None:
        raise NotFound()
    target.check(actor, target_id)  # raises NotFound / NotAllowed
    if label not in dict(target.labels):
        raise DomainError(_("Choose what the piece is for there."), code="label_invalid")
    existing = Attachment.objects.filter(target_type=target_type, target_id=target_id, lineage_id=r.lineage_id).first()
    if existing is not None:
        raise Conflict(_("This piece is attached there already."), code="already_attached")
    a = Attachment.objects.create(
        lineage_id=r.lineage_id,
        resource=r,
        target_type=target_type,
        target_id=target_id,
        label=label,
        attached_by=actor.user,
    )
    log_action(actor, "kepu.resources.attached", r, data={"target": f"{target_type}:{target_id}", "label": label})
    return a


@transaction.atomic
def detach(*, actor: Actor, attachment: Attachment) -> None:
    from kepu.resources import attachments

    target = attachments.target(attachment.target_type)
    if target is None:
        raise NotFound()
    target.check(actor, attachment.target_id)
    log_action(
        actor,
        "kepu.resources.detached",
        attachment.resource,
        data={"target": f"{attachment.target_type}:{attachment.target_id}"},
    )
    attachment.delete()


# --- Loans of exhibits and kits --------------------------------------------------------------------
def _root(resource: Resource) -> Resource:
    """Stock and loans are kept on a piece's first version (the thing lent is the same whatever the text)."""
    return Resource.objects.select_for_update().get(pk=resource.lineage_id)


@transaction.atomic
def loan_request(*, actor: Actor, resource: Resource, data: dict) -> Loan:
    r = Resource.objects.get(pk=resource.pk)
    require(actor, ResourceAction.BORROW, r)
    values = _validated(LoanRequestForm, data)
    root = _root(r)
    if values["quantity"] > root.stock:
        raise InputInvalid(
            _("There are only %(n)s to lend.") % {"n": root.stock},
            data={"fields": {"quantity": [_("There are only %(n)s to lend.") % {"n": root.stock}]}},
        )
    loan = Loan.objects.create(
        resource=root,
        borrower=actor.organization,
        requested_by=actor.user,
        quantity=values["quantity"],
        wanted_from=values["wanted_from"],
        wanted_until=values["wanted_until"],
        purpose=values["purpose"].strip(),
    )
    log_action(actor, "kepu.resources.loan_requested", root, data={"loan": loan.pk, "quantity": loan.quantity})
    from kepu.notifications.services import notify

    notify(
        _unit_staff(root),
        title=_("%(org)s asks to borrow %(title)s") % {"org": actor.organization.display_name, "title": root.title},
        body=loan.purpose,
        url=reverse("resources:manage_detail", args=[root.pk]),
        kind="kepu.resources.loan_requested",
    )
    return loan


def loan_transition(*, actor: Actor, loan: Loan | int, action: str, reason: str = "") -> Loan:
    from kepu.resources.workflow import LOAN

    pk = loan if isinstance(loan, int) else loan.pk
    return LOAN.run(actor=actor, obj=Loan(pk=pk), name=action, reason=reason, after=_after_loan)


def _after_loan(step) -> None:
    from kepu.accounts.selectors import staff_of
    from kepu.core.roles import STAFF_ROLES
    from kepu.notifications.services import notify

    loan = step.obj
    if step.transition.name in ("lend", "refuse"):
        notify(
            staff_of([loan.borrower_id], STAFF_ROLES),
            title=(_("Lent to you: %(title)s") if step.transition.name == "lend" else _("Loan refused: %(title)s"))
            % {"title": loan.resource.title},
            body=step.reason,
            url=reverse("resources:loans"),
            kind="kepu.resources.loan_lent" if step.transition.name == "lend" else "kepu.resources.loan_refused",
        )


def _loan_overdue_days(loan: Loan) -> int:
    if loan.status != LoanStatus.LENT:
        return 0
    return max(0, (timezone.localdate(clock.now()) - loan.wanted_until) // timedelta(days=1))


def may_view(actor: Actor, resource: Resource) -> bool:
    return resource.status == Status.PUBLISHED or can(actor, ResourceAction.VIEW, resource)


def attachment_target_register(type_: str, label, check, url, labels=None):
    """Let pieces attach to another app's objects (``check(actor, pk)`` answers the object's name or refuses)."""
    from kepu.resources import attachments

    return attachments.register_target(type_, label, check, url, labels)
