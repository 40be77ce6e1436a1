"""The library's pages (thin): search and read for everybody; write, review, push and lend for staff."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kepu.core.errors import DomainError, NotFound
from kepu.core.http import errors_into, login_required, role_required
from kepu.core.permissions import area_prefix, can
from kepu.core.roles import AREA_ROLES, OFFICE_ROLES, STAFF_ROLES, Role
from kepu.resources import attachments, selectors, services
from kepu.resources.forms import AttachForm, FileForm, LessonForm, LoanRequestForm, PushForm, ResourceForm, SearchForm
from kepu.resources.models import FileRole, Kind, Lesson, LoanStatus, Resource, ResourceFile, Status, Topic
from kepu.resources.permissions import ResourceAction
from kepu.resources.workflow import LOAN, REVIEW, WAITING_FOR

WORKERS = STAFF_ROLES | {Role.EXPERT}


def _filters(request) -> tuple[SearchForm, selectors.Filters]:
    form = SearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    return form, selectors.Filters(**{k: data.get(k) or "" for k in ("q", "topic", "population", "kind", "district")})


def _page(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


# --- Reading ----------------------------------------------------------------------------------------
def library(request):
    form, f = _filters(request)
    results = selectors.library(f, page=_page(request))
    query = request.GET.copy()
    query.pop("page", None)
    suggestions = [] if f.active or request.htmx else selectors.feed(actor=request.actor, limit=6)
    selectors.with_covers(results.items + [s.resource for s in suggestions])
    context = {
        "form": form,
        "filters": f,
        "results": results,
        "query": query.urlencode(),
        "suggestions": suggestions,
    }
    template = "resources/library.html#results" if request.htmx else "resources/library.html"
    return TemplateResponse(request, template, context)


def detail(request, pk):
    try:
        r = selectors.resource_for_visitor(actor=request.actor, pk=pk)
    except selectors.Moved as moved:
        target = reverse("resources:detail", args=[moved.pk])
        return redirect(f"{target}?{request.GET.urlencode()}" if request.GET else target)
    push_id = request.GET.get("push", "")
    services.read_record(
        actor=request.actor,
        resource=r,
        push_id=int(push_id) if push_id.isdigit() else None,
        elder=request.elder_mode,
        session=request.session,
    )
    files = selectors.files_of(r)
    lessons = selectors.lessons_of(r) if r.kind == Kind.COURSE else []
    context = {
        "r": r,
        "files": files,
        "lessons": [(lesson, files["lessons"].get(lesson.pk, {})) for lesson in lessons],
        "related": selectors.related(r) if r.status == Status.PUBLISHED else [],
        "manage": can(request.actor, ResourceAction.MANAGE, r),
        "can_push": can(request.actor, ResourceAction.PUSH, r),
        "can_attach": can(request.actor, ResourceAction.ATTACH, r),
        "can_borrow": can(request.actor, ResourceAction.BORROW, r),
        "stock": selectors.stock_of(r) if r.kind == Kind.KIT else None,
        "loan_form": LoanRequestForm() if can(request.actor, ResourceAction.BORROW, r) else None,
        "attached": selectors.attachments_of(r) if r.status == Status.PUBLISHED else [],
    }
    return TemplateResponse(request, "resources/detail.html", context)


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def file(request, pk):
    """A piece's file, only while its version is visible to the visitor; ranges for video seeking."""
    f = selectors.file_for_visitor(actor=request.actor, pk=pk)
    storage = f.file.storage
    try:
        handle = storage.open(f.file.name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    size = f.size or storage.size(f.file.name)
    match = _RANGE.match(request.headers.get("Range", ""))
    if match and (match.group(1) or match.group(2)):
        start_s, end_s = match.groups()
        if start_s:
            start, end = int(start_s), min(int(end_s) if end_s else size - 1, size - 1)
        else:
            start, end = max(size - int(end_s), 0), size - 1
        if start > end or start >= size:
            handle.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        handle.seek(start)
        response = StreamingHttpResponse(_chunks(handle, end - start + 1), status=206, content_type=f.content_type)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    else:
        response = FileResponse(handle, content_type=f.content_type)
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300" if f.resource.status == Status.PUBLISHED else "private, no-store"
    if not f.content_type.startswith(("video/", "audio/", "application/pdf")):
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _chunks(handle, length, size=64 * 1024):
    try:
        while length > 0:
            data = handle.read(min(size, length))
            if not data:
                break
            length -= len(data)
            yield data
    finally:
        handle.close()


@login_required
def feed(request):
    suggestions = selectors.feed(actor=request.actor, limit=30)
    selectors.with_covers([s.resource for s in suggestions])
    return TemplateResponse(request, "resources/feed.html", {"suggestions": suggestions})


@login_required
def subscriptions(request):
    for_org = request.GET.get("for") == "org" or request.POST.get("for") == "org"
    for_org = for_org and can(request.actor, ResourceAction.WORK, Resource)
    if request.method == "POST":
        services.subscriptions_set(actor=request.actor, topics=request.POST.getlist("topics"), for_organization=for_org)
        messages.success(request, _("Your topics are saved."))
        return redirect(reverse("resources:subscriptions") + ("?for=org" if for_org else ""))
    chosen = set(selectors.my_topics(actor=request.actor, for_organization=for_org))
    context = {
        "topics": [(value, label, value in chosen) for value, label in Topic.choices],
        "for_org": for_org,
        "can_org": can(request.actor, ResourceAction.WORK, Resource),
    }
    return TemplateResponse(request, "resources/subscriptions.html", context)


# --- Writing and reviewing --------------------------------------------------------------------------
@role_required(*WORKERS)
def manage(request):
    status = request.GET.get("status", "")
    if status not in Status.values:
        status = ""
    from django.core.paginator import Paginator

    page = Paginator(selectors.managed(actor=request.actor, status=status, q=request.GET.get("q", "")[:50]), 30)
    works = can(request.actor, ResourceAction.WORK, Resource)
    context = {
        "page": page.get_page(request.GET.get("page")),
        "waiting": selectors.waiting_for_me(actor=request.actor)[:20],
        "statuses": Status.choices,
        "status": status,
        "can_create": works,
        "loans_waiting": selectors.loans_waiting(actor=request.actor)[:10] if works else [],
    }
    return TemplateResponse(request, "resources/manage_list.html", context)


@role_required(*STAFF_ROLES)
def create(request):
    form = ResourceForm(request.POST or None, initial={"kind": request.GET.get("kind", "")})
    if request.method == "POST" and form.is_valid():
        with errors_into(form):
            r = services.resource_create(actor=request.actor, data=request.POST)
            messages.success(request, _("Saved as a draft. Add its files, then submit it for review."))
            return redirect("resources:manage_detail", r.pk)
    return TemplateResponse(request, "resources/form.html", {"form": form, "r": None})


@role_required(*STAFF_ROLES)
def edit(request, pk):
    r = selectors.to_manage(actor=request.actor, pk=pk)
    if not can(request.actor, ResourceAction.EDIT, r):
        raise NotFound()
    initial = {
        **{name: getattr(r, name) for name in services.CONTENT_FIELDS},
        "topics": r.topic_list,
        "populations": r.population_list,
        "stock": selectors.stock_of(r).stock if r.kind == Kind.KIT else None,
    }
    form = ResourceForm(request.POST or None, initial=initial)
    form.fields["kind"].disabled = True
    if request.method == "POST":
        with errors_into(form):
            services.resource_update(actor=request.actor, resource=r, data=request.POST)
            messages.success(request, _("Saved."))
            return redirect("resources:manage_detail", r.pk)
    return TemplateResponse(request, "resources/form.html", {"form": form, "r": r})


def _manage_context(request, r, *, failed="", failed_form=None, file_form=None, lesson_form=None):
    actor = request.actor
    files = selectors.files_of(r)
    return {
        "r": r,
        "actions": REVIEW.actions(
            actor,
            r,
            url=lambda name: reverse("resources:act", args=[r.pk, name]),
            failed=failed,
            failed_form=failed_form,
        ),
        "waiting": REVIEW.waiting(actor, r),
        "waiting_for": WAITING_FOR.get(r.status, ""),
        "files": files,
        "lessons": [(lesson, files["lessons"].get(lesson.pk, {})) for lesson in selectors.lessons_of(r)],
        "can_edit": can(actor, ResourceAction.EDIT, r),
        "can_push": can(actor, ResourceAction.PUSH, r),
        "file_form": file_form or FileForm(),
        "lesson_form": lesson_form or LessonForm(),
        "notes": selectors.notes_of(r),
        "versions": selectors.versions_of(r, actor=actor),
        "open_version": selectors.open_version(r),
        "pushes": selectors.pushes_of(actor=actor, resource=r),
        "loans": list(selectors.loans_for(actor=actor, resource=r)[:30]) if r.kind == Kind.KIT else [],
        "stock": selectors.stock_of(r) if r.kind == Kind.KIT else None,
        "attached": selectors.attachments_of(r),
    }


@role_required(*WORKERS)
def manage_detail(request, pk):
    r = selectors.to_manage(actor=request.actor, pk=pk)
    if not can(request.actor, ResourceAction.MANAGE, r):
        return redirect("resources:detail", r.pk)
    return TemplateResponse(request, "resources/manage_detail.html", _manage_context(request, r))


@require_POST
@role_required(*WORKERS)
def act(request, pk, action):
    r = selectors.to_manage(actor=request.actor, pk=pk)
    if action not in REVIEW:
        raise Http404
    try:
        r = services.resource_transition(
            actor=request.actor,
            resource=r,
            action=action,
            reason=request.POST.get(f"{action}-reason", ""),
            data=request.POST,
            prefixed=True,
        )
    except DomainError as exc:  # kept: the step's own form is bound again on the fresh resource and shown open
        if exc.status in (403, 404):
            raise
        fresh = selectors.to_manage(actor=request.actor, pk=pk)
        form = REVIEW.bind(REVIEW[action], request.actor, fresh, request.POST, prefixed=True)
        if form is None or not exc.data.get("fields"):
            messages.error(request, exc.message)
        ctx = _manage_context(request, fresh, failed=action, failed_form=form)
        return TemplateResponse(
            request, "resources/manage_detail.html", ctx, status=exc.status if exc.status < 500 else 400
        )
    messages.success(request, _("Done: %(action)s.") % {"action": REVIEW[action].label})
    correction = getattr(r, "correction", None)
    if correction is not None:
        return redirect("resources:edit", correction.pk)
    if not can(request.actor, ResourceAction.MANAGE, r):
        return redirect("resources:manage")
    return redirect("resources:manage_detail", r.pk)


@require_POST
@role_required(*STAFF_ROLES)
def file_add(request, pk):
    r = selectors.to_manage(actor=request.actor, pk=pk)
    form = FileForm(request.POST, request.FILES)
    if form.is_valid():
        with errors_into(form):
            services.file_add(actor=request.actor, resource=r, data=request.POST, files=request.FILES)
            messages.success(request, _("The file is added."))
            return redirect("resources:manage_detail", r.pk)
    ctx = _manage_context(request, r, file_form=form)
    return TemplateResponse(request, "resources/manage_detail.html", ctx, status=400)


@require_POST
@role_required(*STAFF_ROLES)
def file_remove(request, pk):
    f = ResourceFile.objects.select_related("resource").filter(pk=pk).first()
    if f is None:
        raise Http404
    r = selectors.to_manage(actor=request.actor, pk=f.resource_id)
    services.file_remove(actor=request.actor, file=f)
    messages.success(request, _("The file is removed."))
    return redirect("resources:manage_detail", r.pk)


@require_POST
@role_required(*STAFF_ROLES)
def lesson_add(request, pk):
    r = selectors.to_manage(actor=request.actor, pk=pk)
    form = LessonForm(request.POST)
    if form.is_valid():
        with errors_into(form):
            services.lesson_add(actor=request.actor, resource=r, data=request.POST)
            messages.success(request, _("The lesson is added."))
            return redirect("resources:manage_detail", r.pk)
    return TemplateResponse(
        request, "resources/manage_detail.html", _manage_context(request, r, lesson_form=form), status=400
    )


@require_POST
@role_required(*STAFF_ROLES)
def lesson_remove(request, pk):
    lesson = Lesson.objects.select_related("resource").filter(pk=pk).first()
    if lesson is None:
        raise Http404
    r = selectors.to_manage(actor=request.actor, pk=lesson.resource_id)
    services.lesson_remove(actor=request.actor, lesson=lesson)
    return redirect("resources:manage_detail", r.pk)


# --- Pushing ------------------------------------------------------------------------------------------
@role_required(*AREA_ROLES)
def push_new(request, pk):
    r = selectors.resource_for_visitor(actor=request.actor, pk=pk)
    if not can(request.actor, ResourceAction.PUSH, r):
        raise NotFound()
    form = PushForm(request.POST or None, actor=request.actor)
    if request.method == "POST" and form.is_valid():
        with errors_into(form):
            push = services.push_create(actor=request.actor, resource=r, data=request.POST)
            messages.success(request, _("The push is on its way."))
            return redirect("resources:push_detail", push.pk)
    return TemplateResponse(request, "resources/push_form.html", {"r": r, "form": form})


@role_required(*STAFF_ROLES)
def pushes(request):
    from django.core.paginator import Paginator

    page = Paginator(selectors.push_list(actor=request.actor), 30).get_page(request.GET.get("page"))
    return TemplateResponse(request, "resources/pushes.html", {"page": page})


@role_required(*STAFF_ROLES)
def push_detail(request, pk):
    push = selectors.push_get(actor=request.actor, pk=pk)
    context = {"push": push, "targets": list(push.targets.select_related("place"))}
    template = "resources/push_detail.html#progress" if request.htmx else "resources/push_detail.html"
    return TemplateResponse(request, template, context)


@require_POST
@role_required(*AREA_ROLES)
def push_resume(request, pk):
    push = selectors.push_get(actor=request.actor, pk=pk)
    services.push_resume(actor=request.actor, push=push)
    return redirect("resources:push_detail", push.pk)


# --- Loans ------------------------------------------------------------------------------------------
@require_POST
@role_required(*STAFF_ROLES)
def borrow(request, pk):
    r = selectors.resource_for_visitor(actor=request.actor, pk=pk)
    form = LoanRequestForm(request.POST)
    if form.is_valid():
        with errors_into(form):
            services.loan_request(actor=request.actor, resource=r, data=request.POST)
            messages.success(request, _("Your request is sent to the unit that lends it."))
            return redirect("resources:loans")
    for _field, errors in form.errors.items():
        for e in errors:
            messages.error(request, e)
    return redirect("resources:detail", r.pk)


@role_required(*STAFF_ROLES)
def loans(request):
    rows = list(selectors.loans_for(actor=request.actor)[:100])
    actions = {
        loan.pk: LOAN.actions(
            request.actor, loan, url=lambda name, pk=loan.pk: reverse("resources:loan_act", args=[pk, name])
        )
        for loan in rows
        if loan.status in (LoanStatus.REQUESTED, LoanStatus.LENT)
    }
    return TemplateResponse(request, "resources/loans.html", {"loans": rows, "actions": actions})


@require_POST
@role_required(*STAFF_ROLES)
def loan_act(request, pk, action):
    loan = selectors.loan_get(actor=request.actor, pk=pk)
    if action not in LOAN:
        raise Http404
    services.loan_transition(
        actor=request.actor, loan=loan, action=action, reason=request.POST.get(f"{action}-reason", "")
    )
    messages.success(request, _("Done: %(action)s.") % {"action": LOAN[action].label})
    return redirect(
        request.POST.get("next") if request.POST.get("next", "").startswith("/resources/") else "resources:loans"
    )


# --- Attaching ----------------------------------------------------------------------------------------
@role_required(*STAFF_ROLES)
def attach(request):
    """Attach a published piece to an activity (order, base) the actor runs: search, pick, say what it is for."""
    type_ = request.GET.get("type") or request.POST.get("type", "")
    target_id = request.GET.get("id") or request.POST.get("id", "")
    target = attachments.target(type_)
    if target is None or not str(target_id).isdigit():
        raise Http404
    title = target.check(request.actor, int(target_id))
    form = AttachForm(request.POST or None, labels=target.labels)
    if request.method == "POST" and form.is_valid():
        r = selectors.resource_for_visitor(actor=request.actor, pk=form.cleaned_data["resource"])
        with errors_into(form):
            services.attach(
                actor=request.actor,
                resource=r,
                target_type=type_,
                target_id=int(target_id),
                label=form.cleaned_data["label"],
            )
            messages.success(request, _("Attached: %(title)s") % {"title": r.title})
            return redirect(target.url(int(target_id)))
    search, f = _filters(request)
    results = selectors.library(f, page=_page(request)) if f.q else None
    context = {
        "target": target,
        "target_id": target_id,
        "target_title": title,
        "target_url": target.url(int(target_id)),
        "form": form,
        "search": search,
        "results": results,
        "attached": selectors.attached_to(type_, int(target_id)),
        "labels": target.labels,
    }
    return TemplateResponse(request, "resources/attach.html", context)


@require_POST
@role_required(*STAFF_ROLES)
def detach(request, pk):
    from kepu.resources.models import Attachment

    a = Attachment.objects.select_related("resource").filter(pk=pk).first()
    if a is None:
        raise Http404
    services.detach(actor=request.actor, attachment=a)
    target = attachments.target(a.target_type)
    messages.success(request, _("The piece is no longer attached."))
    return redirect(reverse("resources:attach") + f"?type={a.target_type}&id={a.target_id}" if target else "/")


# --- Figures ------------------------------------------------------------------------------------------
@role_required(*OFFICE_ROLES)
def figures(request):
    from kepu.core import clock

    try:
        year = int(request.GET.get("year") or clock.now().year)
    except ValueError:
        year = clock.now().year
    path = area_prefix(request.actor) or ""
    context = {
        "figures": selectors.figures(place_path=path, year=year),
        "year": year,
        "years": range(year - 3, year + 1),
    }
    return TemplateResponse(request, "resources/figures.html", context)


__all__ = ["FileRole"]
