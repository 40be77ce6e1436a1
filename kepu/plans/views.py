"""Web pages of the plans app: thin, every read through selectors and every write through services."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kepu.core.errors import DomainError, NotAllowed, NotFound
from kepu.core.http import errors_into, role_required, safe_next
from kepu.core.permissions import can
from kepu.core.roles import Role
from kepu.plans import exports, review, selectors, services
from kepu.plans.evaluation import evaluate
from kepu.plans.forms import (
    MilestoneForm,
    NodeAddForm,
    PublishForm,
    ReopenForm,
    ReportForm,
    TargetForm,
    TaskEditForm,
    UploadForm,
    WeightsForm,
)
from kepu.plans.measures import filter_options, measures
from kepu.plans.models import NodeKind, Plan, Target, TargetPeriod
from kepu.plans.permissions import UNIT_ROLES, PlanAction
from kepu.plans.progress import Status

OFFICES = (Role.DISTRICT_ADMIN, Role.CITY_ADMIN)
PLAN_ROLES = (*OFFICES, *UNIT_ROLES)


def _not_found(request):
    return TemplateResponse(request, "404.html", {}, status=404)


# --- Plans ---------------------------------------------------------------------------------
@role_required(*OFFICES)
def plan_list(request):
    plans = selectors.plan_list(actor=request.actor)
    drafts = selectors.draft_list(actor=request.actor)
    return TemplateResponse(
        request,
        "plans/plan_list.html",
        {"plans": plans, "drafts": drafts, "can_import": can(request.actor, PlanAction.CREATE, Plan())},
    )


@role_required(*OFFICES)
def plan_detail(request, pk):
    plan = selectors.plan_get(actor=request.actor, pk=pk)
    return _plan_page(request, plan)


def _node_form(plan, view, data=None):
    sections = [n.node for n in view.nodes if n.node.kind == NodeKind.SECTION]
    return NodeAddForm(data, prefix="n", sections=sections, units=services.unit_candidates(plan.owner))


def _plan_page(request, plan, *, reopen_form=None, node_form=None, status=200):
    view = selectors.plan_progress(plan)
    manage = can(request.actor, PlanAction.MANAGE, plan)
    editable = manage and not plan.is_closed
    return TemplateResponse(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "view": view,
            "counts": view.by_status(),
            "statuses": Status,
            "can_manage": manage,
            "node_form": node_form or (_node_form(plan, view) if editable else None),
            "reopen_form": reopen_form or (ReopenForm() if manage and plan.is_closed else None),
        },
        status=status,
    )


@role_required(Role.DISTRICT_ADMIN)
def plan_new(request):
    """An empty plan, filled task by task, for an office that has no document to import."""
    form = PublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with errors_into(form) as errs:
                plan = services.plan_create(
                    actor=request.actor, title=d["title"], year=d["year"], end_year=d["end_year"]
                )
        except NotAllowed:
            return _not_found(request)
        if errs.error is None:
            messages.success(request, _("The plan is created. Add its sections and tasks below."))
            return redirect("plans:detail", pk=plan.pk)
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "plans/plan_new.html", {"form": form}, status=status)


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def node_add(request, pk):
    plan = selectors.plan_get(actor=request.actor, pk=pk)
    view = selectors.plan_progress(plan)
    form = _node_form(plan, view, request.POST)
    if form.is_valid():
        d = form.cleaned_data
        parent = next((n.node for n in view.nodes if n.node.pk == d["parent"]), None) if d["parent"] else None
        try:
            with errors_into(form) as errs:
                node = services.node_add(
                    actor=request.actor,
                    plan=plan,
                    kind=d["kind"],
                    title=d["title"],
                    parent=parent,
                    marker=d["marker"],
                    text=d["text"],
                    lead_unit_id=d["lead_unit"],
                )
        except NotAllowed:
            return _not_found(request)
        if errs.error is None:
            messages.success(request, _("Added: %(title)s") % {"title": node.title})
            return redirect(reverse("plans:detail", args=[plan.pk]) + "#add-node")
    return _plan_page(request, plan, node_form=form, status=400)


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def node_remove(request, pk):
    try:
        node = selectors.node_get(actor=request.actor, pk=pk)
        services.node_remove(actor=request.actor, node=node)
    except (NotAllowed, NotFound):
        return _not_found(request)
    messages.success(request, _("Removed: %(title)s") % {"title": node.title})
    return redirect("plans:detail", pk=node.plan_id)


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def plan_close(request, pk):
    try:
        plan = selectors.plan_get(actor=request.actor, pk=pk)
        services.plan_close(actor=request.actor, plan=plan)
    except (NotFound, NotAllowed):
        return _not_found(request)
    messages.success(request, _("The plan is closed; its evaluation is final."))
    return redirect("plans:detail", pk=pk)


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def plan_reopen(request, pk):
    plan = selectors.plan_get(actor=request.actor, pk=pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            with errors_into(form) as errs:
                services.plan_reopen(actor=request.actor, plan=plan, reason=form.cleaned_data["reason"])
        except NotAllowed:
            return _not_found(request)
        if errs.error is None:
            messages.success(request, _("The plan is open again."))
            return redirect("plans:detail", pk=pk)
    return _plan_page(request, plan, reopen_form=form, status=400)


# --- Import --------------------------------------------------------------------------------
@role_required(Role.DISTRICT_ADMIN)
def import_upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["document"]
        with errors_into(form, field_of=lambda exc: "document"):
            draft = services.draft_create(actor=request.actor, data=upload.read(), filename=upload.name)
            return redirect("plans:draft", pk=draft.pk)
        status = 400
    elif request.method == "POST":
        status = 400
    return TemplateResponse(request, "plans/import_upload.html", {"form": form}, status=status)


def _draft_context(draft, page=None, form=None):
    """The draft as the review page shows it: one page of its parts beside their source lines."""
    candidates = list(services.unit_candidates(draft.owner))
    shown = review.review(draft, candidates)
    rows, page_obj = shown.page(page)
    parsed = shown.parsed
    if form is None:
        end_year = parsed.end_year if parsed.end_year and parsed.end_year != parsed.year else None
        form = PublishForm(initial={"title": parsed.title, "year": parsed.year, "end_year": end_year})
    return {
        "draft": draft,
        "parsed": parsed,
        "rows": rows,
        "page_obj": page_obj,
        "source_lines": shown.source_lines(rows),
        "warnings": shown.warnings(rows),
        "all_warnings": len(draft.data.get("warnings", [])),
        "names": shown.names_to_resolve(),
        "summary": shown.summary(),
        "has_dashes": any(n.is_dash for n in parsed.iter_nodes()),
        "all_units": candidates,
        "period_choices": TargetPeriod.choices,
        "preselect_percent": int(review.PRESELECT_SCORE * 100),
        "form": form,
    }


def _back_to(draft_pk: int, key: str = "", page=None, anchor: str = ""):
    """Redirect to the review page where the change was made: its page, at its part."""
    url = reverse("plans:draft", args=[draft_pk])
    if page and str(page) != "1":
        url += f"?page={page}"
    if anchor or key:
        url += "#" + (anchor or review.dom_id(key))
    return redirect(url)


def _page_of(draft, key: str) -> int:
    return review.review(draft).page_of(key)


@role_required(Role.DISTRICT_ADMIN)
def import_review(request, pk):
    draft = selectors.draft_get(actor=request.actor, pk=pk)
    # The list of units for changing one match is fetched when opened (htmx), or shown for ``change=key:index``
    # without scripts: a page listing every unit under every match was most of its size.
    context = {**_draft_context(draft, request.GET.get("page")), "change": request.GET.get("change", "")}
    return TemplateResponse(request, "plans/import_review.html", context)


@role_required(Role.DISTRICT_ADMIN)
def import_picker(request, pk):
    """The list of the district's units to change one match in the draft (fetched when the person opens it)."""
    try:
        draft = selectors.draft_get(actor=request.actor, pk=pk)
        index = int(request.GET.get("index", "-1"))
    except (DomainError, ValueError):
        return _not_found(request)
    row = review.review(draft).task_row(request.GET.get("key", ""))
    if row is None or not 0 <= index < len(row.units):
        return _not_found(request)
    context = {"draft": draft, "row": row, "u": row.units[index], "all_units": services.unit_candidates(draft.owner)}
    return TemplateResponse(request, "plans/import_review.html#unit-pick", context)


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def import_choose_unit(request, pk):
    try:
        draft = selectors.draft_get(actor=request.actor, pk=pk)
        key = request.POST.get("key", "")
        index = int(request.POST.get("index", "-1"))
        draft = services.draft_choose_unit(
            actor=request.actor, draft=draft, task_key=key, index=index, choice=request.POST.get("choice", "")
        )
    except (NotAllowed, NotFound):
        return _not_found(request)
    except (DomainError, ValueError) as exc:
        return HttpResponse(str(getattr(exc, "message", exc)), status=400)
    return _task_units_response(request, draft, key)


def _task_units_response(request, draft, key):
    """After a change to one task's units: that task's block for htmx, else the review page at that task."""
    if not request.htmx:
        return _back_to(draft.pk, key, _page_of(draft, key))
    shown = review.review(draft)
    row = shown.task_row(key)
    context = {
        "draft": draft,
        "row": row,
        "summary": shown.summary(),
        "all_units": list(services.unit_candidates(draft.owner)),
        "oob": True,
    }
    return TemplateResponse(request, "plans/import_review.html#task-units", context)


def _draft_post(request, pk, change, *, key: str = "", anchor: str = "", done=None):
    """The rhythm of a change posted on the review page: find the draft, change it, go back to where it was.

    ``change(draft)`` calls the service; ``done(result)`` is the message said after it, if any.
    """
    try:
        draft = selectors.draft_get(actor=request.actor, pk=pk)
        result = change(draft)
    except (NotAllowed, NotFound):
        return _not_found(request)
    except (DomainError, ValueError) as exc:
        messages.error(request, str(getattr(exc, "message", exc)))
        return _back_to(pk, key, request.POST.get("page"), anchor)
    if done is not None:
        messages.success(request, done(result))
    draft.refresh_from_db()
    return _back_to(pk, key, _page_of(draft, key) if key else request.POST.get("page"), anchor)


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def import_resolve_name(request, pk):
    """One written name, resolved once for every task that names it."""
    name = request.POST.get("name", "")
    return _draft_post(
        request,
        pk,
        lambda draft: services.draft_resolve_name(
            actor=request.actor, draft=draft, name=name, choice=request.POST.get("choice", "")
        ),
        anchor="resolve",
        done=lambda n: (
            ngettext("“%(name)s” was set in %(n)s place.", "“%(name)s” was set in %(n)s places.", n)
            % {"name": name, "n": n}
        ),
    )


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def import_set_lead(request, pk):
    try:
        draft = selectors.draft_get(actor=request.actor, pk=pk)
        key = request.POST.get("key", "")
        draft = services.draft_set_lead(
            actor=request.actor, draft=draft, task_key=key, index=int(request.POST.get("index", "-1"))
        )
    except (NotAllowed, NotFound):
        return _not_found(request)
    except (DomainError, ValueError) as exc:
        return HttpResponse(str(getattr(exc, "message", exc)), status=400)
    return _task_units_response(request, draft, key)


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def import_set_role(request, pk):
    """A part of the draft becomes a task or the plan's text (with everything below it), or as read."""
    key = request.POST.get("key", "")
    role = request.POST.get("role", "")
    return _draft_post(
        request,
        pk,
        lambda draft: services.draft_set_role(actor=request.actor, draft=draft, key=key, role=role),
        key=key,
    )


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def import_set_bullets(request, pk):
    """The document's "——" items are tasks of their own, or points of the task above them."""
    as_tasks = request.POST.get("as_tasks") == "1"
    return _draft_post(
        request,
        pk,
        lambda draft: services.draft_set_bullets(actor=request.actor, draft=draft, as_tasks=as_tasks),
        anchor="shape",
    )


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def import_set_target(request, pk):
    """Confirm or correct a target's period, or say it is not a target."""
    year = request.POST.get("by_year", "").strip()
    return _draft_post(
        request,
        pk,
        lambda draft: services.draft_set_target(
            actor=request.actor,
            draft=draft,
            key=request.POST.get("key", ""),
            index=int(request.POST.get("index", "-1")),
            period=request.POST.get("period", ""),
            by_year=int(year) if year.isdigit() else None,
        ),
        key=request.POST.get("row", request.POST.get("key", "")),
    )


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def import_edit_title(request, pk):
    key = request.POST.get("key", "")
    return _draft_post(
        request,
        pk,
        lambda draft: services.draft_edit_title(
            actor=request.actor, draft=draft, task_key=key, title=request.POST.get("title", "")
        ),
        key=key,
    )


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def import_publish(request, pk):
    draft = selectors.draft_get(actor=request.actor, pk=pk)
    form = PublishForm(request.POST)
    if form.is_valid():
        with errors_into(form) as errs:
            plan = services.plan_publish(
                actor=request.actor,
                draft=draft,
                title=form.cleaned_data["title"],
                year=form.cleaned_data["year"],
                end_year=form.cleaned_data["end_year"],
            )
        if errs.error is None:
            messages.success(request, _("The plan is published. Its units can now see their tasks."))
            return redirect("plans:detail", pk=plan.pk)
    return TemplateResponse(request, "plans/import_review.html", _draft_context(draft, form=form), status=400)


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def import_discard(request, pk):
    draft = selectors.draft_get(actor=request.actor, pk=pk)
    services.draft_discard(actor=request.actor, draft=draft)
    messages.success(request, _("The draft was discarded."))
    return redirect("plans:list")


# --- Tasks and reports ---------------------------------------------------------------------
@role_required(*UNIT_ROLES)
def my_tasks(request):
    tasks = selectors.my_tasks(actor=request.actor)
    return TemplateResponse(request, "plans/my_tasks.html", {"tasks": tasks})


def _task_context(request, task, report_form=None, edit_form=None, target_form=None, milestone_form=None):
    view = selectors.plan_progress(task.plan)
    node = next(n for n in view.tasks if n.node.pk == task.pk)
    manage = can(request.actor, PlanAction.MANAGE, task)
    report = can(request.actor, PlanAction.REPORT, task)
    reported_targets = [tv.target for tv in node.targets if not tv.target.is_live]
    if report and report_form is None:
        report_form = ReportForm(targets=reported_targets)
    if manage and edit_form is None:
        units = list(services.unit_candidates(task.plan.owner))
        edit_form = TaskEditForm(
            units=units,
            initial={
                "title": task.title,
                "text": task.text,
                "lead_unit": task.lead_unit_id,
                "co_units": [u.pk for u in node.units if u.pk != task.lead_unit_id],
                "deadline": task.deadline,
                "weight": task.weight,
                "budget": task.budget,
                "spent": task.spent,
            },
        )
    return {
        "task": task,
        "plan": task.plan,
        "node": node,
        "reports": selectors.task_reports(actor=request.actor, task=task),
        "can_manage": manage,
        "can_report": report,
        "report_form": report_form,
        "edit_form": edit_form,
        "measures": measures() if manage else [],
        "marks": range(6),
        "place_options": services.place_options(task.plan) if manage else [],
        "theme_options": (filter_options("theme") or []) if manage else [],
        "population_options": (filter_options("population") or []) if manage else [],
        "all_units": list(services.unit_candidates(task.plan.owner)) if manage else [],
        "target_form": target_form or (TargetForm(prefix="t") if manage else None),
        "milestone_form": milestone_form or (MilestoneForm(prefix="m") if manage else None),
        "source_excerpt": _source_excerpt(task),
    }


def _source_excerpt(task) -> list[str]:
    if not task.source_line_start or not task.plan.source_text:
        return []
    lines = task.plan.source_text.split("\n")
    return lines[task.source_line_start - 1 : task.source_line_end or task.source_line_start]


@role_required(*PLAN_ROLES)
def task_detail(request, pk):
    task = selectors.task_get(actor=request.actor, pk=pk)
    return TemplateResponse(request, "plans/task_detail.html", _task_context(request, task))


@require_POST
@role_required(*UNIT_ROLES, Role.DISTRICT_ADMIN)
def task_report(request, pk):
    task = selectors.task_get(actor=request.actor, pk=pk)
    targets = list(Target.objects.filter(task=task, measure_key=""))
    form = ReportForm(request.POST, request.FILES, targets=targets)
    if form.is_valid():
        data = form.cleaned_data
        target = next((t for t in targets if t.pk == data["target"]), None)
        with errors_into(form) as errs:
            services.report_create(
                actor=request.actor,
                task=task,
                text=data["text"],
                percent=data["percent"],
                target=target,
                value=data["value"],
                files=data["files"],
            )
        if errs.error is None:
            messages.success(request, _("Thank you: your report was received."))
            return redirect("plans:task", pk=task.pk)
    return TemplateResponse(
        request, "plans/task_detail.html", _task_context(request, task, report_form=form), status=400
    )


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def task_edit(request, pk):
    task = selectors.task_get(actor=request.actor, pk=pk)
    units = list(services.unit_candidates(task.plan.owner))
    form = TaskEditForm(request.POST, units=units)
    if form.is_valid():
        d = form.cleaned_data
        with errors_into(form) as errs:
            # Title and text change only when posted: a post that leaves them out keeps them.
            wording = {k: d[k] for k in ("title", "text") if k in request.POST}
            services.task_update(
                actor=request.actor,
                task=task,
                **wording,
                lead_unit_id=d["lead_unit"],
                co_unit_ids=d["co_units"],
                deadline=d["deadline"],
                weight=d["weight"],
                budget=d["budget"],
                spent=d["spent"],
            )
        if errs.error is None:
            messages.success(request, _("The task was saved."))
            return redirect("plans:task", pk=task.pk)
    return TemplateResponse(request, "plans/task_detail.html", _task_context(request, task, edit_form=form), status=400)


def _task_form_post(request, pk, form_class, prefix, service, done_message, context_key):
    """The shared rhythm of a form posted on a task page: find the task, validate, call, redirect."""
    task = selectors.task_get(actor=request.actor, pk=pk)
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        with errors_into(form) as errs:
            service(actor=request.actor, task=task, **form.cleaned_data)
        if errs.error is None:
            messages.success(request, done_message)
            return redirect("plans:task", pk=task.pk)
    return TemplateResponse(
        request, "plans/task_detail.html", _task_context(request, task, **{context_key: form}), status=400
    )


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def task_add_target(request, pk):
    return _task_form_post(request, pk, TargetForm, "t", services.target_add, _("The target was added."), "target_form")


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def task_add_milestone(request, pk):
    return _task_form_post(
        request, pk, MilestoneForm, "m", services.milestone_add, _("The milestone was added."), "milestone_form"
    )


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def task_remind(request, pk):
    try:
        task = selectors.task_get(actor=request.actor, pk=pk)
        org = request.POST.get("organization")
        sent = services.reminder_send(actor=request.actor, task=task, organization_id=int(org) if org else None)
    except (NotAllowed, NotFound):
        return _not_found(request)
    except DomainError as exc:  # kept: the answer is the reminder's result in place (htmx), in words good or bad
        text, ok = str(exc.message), False
    else:
        text, ok = _("Reminder sent to %(n)s people.") % {"n": sent}, True
    if request.htmx:
        return TemplateResponse(request, "plans/supervision.html#remind-result", {"text": text, "ok": ok})
    (messages.success if ok else messages.error)(request, text)
    return redirect(safe_next(request, request.POST.get("next"), reverse("plans:task", args=[task.pk])))


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def target_bind(request, pk):
    target = Target.objects.filter(pk=pk).select_related("task").first()
    try:
        if target is None:
            raise NotAllowed()
        task = selectors.task_get(actor=request.actor, pk=target.task_id)
        filters = {k: request.POST.get(k, "").strip() for k in ("place", "organization", "theme", "population", "year")}
        services.target_bind(
            actor=request.actor, target=target, measure_key=request.POST.get("measure", ""), filters=filters
        )
    except (NotAllowed, NotFound):
        return _not_found(request)
    messages.success(request, _("The target's binding was saved."))
    return redirect("plans:task", pk=task.pk)


@require_POST
@role_required(Role.DISTRICT_ADMIN)
def report_mark(request, pk):
    try:
        report = selectors.report_get(actor=request.actor, pk=pk)
        services.report_mark(actor=request.actor, report=report, mark=int(request.POST.get("mark", "-1")))
    except (NotAllowed, NotFound):
        return _not_found(request)
    except (DomainError, ValueError) as exc:
        messages.error(request, str(getattr(exc, "message", _("A quality mark is a whole number from 0 to 5."))))
        report = None
    else:
        messages.success(request, _("The mark was saved."))
    task_id = report.task_id if report else selectors.report_get(actor=request.actor, pk=pk).task_id
    return redirect("plans:task", pk=task_id)


@role_required(*PLAN_ROLES)
def attachment_download(request, pk):
    from kepu.plans.models import ReportAttachment

    attachment = ReportAttachment.objects.filter(pk=pk).select_related("report").first()
    if attachment is None or not can(request.actor, PlanAction.VIEW, attachment.report):
        return _not_found(request)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


# --- Supervision, evaluation, exports ------------------------------------------------------
@role_required(*OFFICES)
def supervision(request, pk):
    plan = selectors.plan_get(actor=request.actor, pk=pk)
    view = selectors.plan_progress(plan)
    wanted = request.GET.get("status", "")
    units = selectors.supervision_by_unit(view)
    unit = next((u.organization for u in units if str(u.organization.pk) == request.GET.get("unit")), None)
    tasks = [
        t
        for t in view.tasks
        if (not wanted or t.status == wanted) and (unit is None or any(u.pk == unit.pk for u in t.units))
    ]
    return TemplateResponse(
        request,
        "plans/supervision.html",
        {
            "plan": plan,
            "view": view,
            "units": units,
            "tasks": tasks,
            "unit": unit,
            "counts": view.by_status(),
            "statuses": Status.choices,
            "wanted": wanted,
            "can_manage": can(request.actor, PlanAction.MANAGE, plan),
        },
    )


@role_required(*PLAN_ROLES)
def evaluation(request, pk):
    plan = selectors.plan_get(actor=request.actor, pk=pk)
    manage = can(request.actor, PlanAction.MANAGE, plan)
    form = None
    if manage:
        form = WeightsForm(request.POST or None, initial=plan.score_weights)
        if request.method == "POST" and form.is_valid():
            with errors_into(form) as errs:
                services.plan_set_weights(actor=request.actor, plan=plan, **form.cleaned_data)
            if errs.error is None:
                messages.success(request, _("The scoring was saved."))
                return redirect("plans:evaluation", pk=plan.pk)
    only = None if can(request.actor, PlanAction.VIEW_ALL_SCORES, plan) else request.actor.organization_id
    scores = evaluate(selectors.plan_progress(plan), only_org=only)
    return TemplateResponse(
        request,
        "plans/evaluation.html",
        {"plan": plan, "scores": scores, "form": form, "can_manage": manage, "is_unit": only is not None},
        status=400 if form is not None and form.errors else 200,
    )


@role_required(*OFFICES)
def printable_report(request, pk):
    plan = selectors.plan_get(actor=request.actor, pk=pk)
    view = selectors.plan_progress(plan)
    return TemplateResponse(
        request,
        "plans/printable.html",
        {"plan": plan, "view": view, "counts": view.by_status(), "scores": evaluate(view)},
    )


@role_required(*OFFICES)
def export_xlsx(request, pk):
    plan = selectors.plan_get(actor=request.actor, pk=pk)
    view = selectors.plan_progress(plan)
    content = exports.plan_workbook(view, evaluate(view))
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="plan-{plan.pk}.xlsx"'
    return response
