"""Pages of the survey: rounds, the questionnaire (one question per screen), review, results."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kepu.accounts.selectors import key_population_of
from kepu.core.errors import DomainError, NotAllowed, NotFound
from kepu.core.http import errors_into, role_required
from kepu.core.permissions import can
from kepu.core.roles import Role
from kepu.places.selectors import place_by_code_or_none
from kepu.survey import charts, selectors, services, workflow
from kepu.survey.export import results_workbook
from kepu.survey.forms import CsvForm, DemographicsForm, ReviewForm, RoundForm
from kepu.survey.models import KeyPopulation, QuestionBank, ResponseStatus, Round, RoundStatus
from kepu.survey.permissions import ResponseAction, RoundAction
from kepu.survey.workflow import INTERVIEWER_ROLES, REVIEWER_ROLES

SURVEY_ROLES = (*REVIEWER_ROLES, *INTERVIEWER_ROLES, Role.RESIDENT)
OFFICE = tuple(REVIEWER_ROLES)


def _round(request, pk):
    try:
        return selectors.round_get(actor=request.actor, pk=pk)
    except NotFound:
        raise Http404 from None


def _response(request, pk):
    try:
        return selectors.response_get(actor=request.actor, pk=pk)
    except NotFound:
        raise Http404 from None


@role_required(*SURVEY_ROLES)
def home(request):
    actor = request.actor
    rounds = list(selectors.round_list(actor=actor))
    any_round = Round()  # what an actor does in the survey at all, before any one round
    context = {
        "rounds": rounds,
        "is_office": can(actor, RoundAction.OVERSEE, any_round),
        "is_city": can(actor, RoundAction.CREATE, any_round),
        "is_interviewer": can(actor, RoundAction.ENTER, any_round),
        "is_resident": can(actor, RoundAction.RESPOND, any_round),
    }
    if context["is_resident"]:
        context["mine"] = {r.round_id: r for r in selectors.response_list(actor=actor)}
        for r in rounds:
            r.my_response = context["mine"].get(r.pk)
    if context["is_interviewer"]:
        page = Paginator(selectors.response_list(actor=actor), 30).get_page(request.GET.get("page"))
        context["entries"] = page
        context["page"] = page
    return TemplateResponse(request, "survey/home.html", context)


@role_required(Role.CITY_ADMIN)
def round_create(request):
    form = RoundForm(request.POST or None, initial={"rule": "current"})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        with errors_into(form) as failed:
            round_ = services.round_create(
                actor=request.actor,
                name=d["name"],
                year=d["year"],
                bank=d["bank"],
                rule=d["rule"],
                show_score=d["show_score"],
                opens_on=d["opens_on"],
                closes_on=d["closes_on"],
                target_rate=float(d["target_percent"] / Decimal(100)) if d["target_percent"] is not None else None,
            )
        if failed.error is None:
            messages.success(request, _("The round was created. Now import its sample."))
            return redirect("survey:round", pk=round_.pk)
    return TemplateResponse(request, "survey/round_form.html", {"form": form, "banks": QuestionBank.objects.exists()})


@role_required(*OFFICE)
def round_detail(request, pk):
    round_ = _round(request, pk)
    if round_.status == RoundStatus.HISTORIC:
        return redirect("survey:results", pk=round_.pk)
    context = {
        "round": round_,
        "progress": selectors.round_progress(actor=request.actor, round_=round_),
        "can_manage": can(request.actor, RoundAction.MANAGE, round_),
        "round_actions": workflow.ROUND.actions(
            request.actor, round_, url=lambda name: reverse("survey:round_act", args=[round_.pk, name])
        ),
        "run": selectors.latest_run(round_=round_),
        "margins": round_.margins.order_by("variable", "level")
        if can(request.actor, RoundAction.VIEW_MARGINS, round_)
        else [],
        "sample_form": CsvForm(prefix="sample"),
        "margins_form": CsvForm(prefix="margins"),
        "queue_count": selectors.review_queue(actor=request.actor, round_=round_).count(),
        "bank_questions": round_.bank.questions.count() if round_.bank else 0,
    }
    totals = {
        k: sum(p[k] for p in context["progress"])
        for k in ("quota", "submitted", "approved", "on_hold", "rejected", "in_progress")
    }
    context["totals"] = totals
    return TemplateResponse(request, "survey/round_detail.html", context)


@require_POST
@role_required(Role.CITY_ADMIN)
def round_act(request, pk, action):
    """Open or close a round, as ``workflow.ROUND`` declares."""
    round_ = _round(request, pk)
    if action not in workflow.ROUND:
        raise Http404
    services.round_transition(actor=request.actor, round_=round_, action=action)
    messages.success(request, _("The round's status was changed."))
    return redirect("survey:round", pk=pk)


@require_POST
@role_required(Role.CITY_ADMIN)
def round_import(request, pk, what):
    if what not in ("sample", "margins"):
        raise Http404
    round_ = _round(request, pk)
    form = CsvForm(request.POST, request.FILES, prefix=what)
    if not form.is_valid():
        errors = " ".join(str(e) for e in form.non_field_errors())
        messages.error(request, errors or _("Choose a file or paste the rows."))
        return redirect("survey:round", pk=pk)
    if what == "sample":
        summary = services.design_import_csv(actor=request.actor, round_=round_, text=form.cleaned_data["content"])
        messages.success(
            request,
            _("Sample imported: %(strata)s strata, %(streets)s streets, %(communities)s communities.") % summary,
        )
    else:
        n = services.margins_import_csv(actor=request.actor, round_=round_, text=form.cleaned_data["content"])
        messages.success(request, _("%(n)s population cells imported.") % {"n": n})
    return redirect("survey:round", pk=pk)


@require_POST
@role_required(Role.CITY_ADMIN)
def stratum_quota(request, pk, stratum_pk):
    round_ = _round(request, pk)
    stratum = round_.strata.filter(pk=stratum_pk).first()
    if stratum is None:
        raise Http404
    try:
        quota = int(request.POST.get("quota", ""))
    except ValueError:
        messages.error(request, _("A quota is a whole number."))
        return redirect("survey:round", pk=pk)
    services.stratum_set_quota(actor=request.actor, stratum=stratum, quota=quota)
    messages.success(request, _("Quota saved."))
    return redirect("survey:round", pk=pk)


@require_POST
@role_required(Role.CITY_ADMIN)
def round_estimate(request, pk):
    round_ = _round(request, pk)
    run = services.estimation_request(actor=request.actor, round_=round_)
    run.refresh_from_db()
    if run.status == "failed":
        messages.error(request, _("The estimation failed: %(msg)s") % {"msg": run.error_message})
    else:
        messages.success(request, _("The estimation was started. Results appear when it has finished."))
    return redirect("survey:round", pk=pk)


@role_required(*OFFICE)
def review_queue(request, pk):
    round_ = _round(request, pk)
    status = request.GET.get("status", "")
    if status and status not in ResponseStatus.values:
        status = ""
    try:
        if status:
            qs = selectors.response_list(actor=request.actor, round_=round_, status=status)
        else:
            qs = selectors.review_queue(actor=request.actor, round_=round_)
    except NotAllowed:
        raise PermissionDenied from None
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "survey/review_queue.html",
        {"round": round_, "page": page, "status": status, "statuses": ResponseStatus.choices},
    )


@role_required(*SURVEY_ROLES)
def response_detail(request, pk):
    response = _response(request, pk)
    questions = list(response.round.bank.questions.order_by("position")) if response.round.bank else []
    can_review = can(request.actor, ResponseAction.REVIEW, response)
    answered = [
        {"q": q, "answer": response.answers.get(q.code, ""), "correct": response.answers.get(q.code, "") == q.answer}
        for q in questions
    ]
    context = {
        "response": response,
        "answered": answered,
        "can_review": can_review,
        "review_form": ReviewForm() if can_review else None,
        "can_edit": can(request.actor, ResponseAction.EDIT, response),
        "show_score": can(request.actor, ResponseAction.VIEW_SCORE, response),
        "show_key": can(request.actor, ResponseAction.VIEW_KEY, response),
        "thank_respondent": can(request.actor, ResponseAction.ANSWERED_BY, response) and not response.is_in_progress,
    }
    return TemplateResponse(request, "survey/response_detail.html", context)


@require_POST
@role_required(*OFFICE)
def response_review(request, pk):
    response = _response(request, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        services.response_review(
            actor=request.actor,
            response=response,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("Decision saved."))
        return redirect(_next_in_queue(request, response))
    messages.error(request, _("Choose a decision."))
    return redirect("survey:response", pk=pk)


def _next_in_queue(request, response) -> str:
    from django.urls import reverse

    nxt = selectors.review_queue(actor=request.actor, round_=response.round).exclude(pk=response.pk).first()
    if nxt is not None:
        return reverse("survey:response", args=[nxt.pk])
    return reverse("survey:queue", args=[response.round_id])


@role_required(Role.RESIDENT, *INTERVIEWER_ROLES)
def response_start(request, pk):
    round_ = _round(request, pk)
    actor = request.actor
    interviewer = can(actor, RoundAction.INTERVIEW, round_)
    if not (interviewer or can(actor, RoundAction.TAKE, round_)):
        raise PermissionDenied
    existing = selectors.my_response(actor=actor, round_=round_)
    if existing is not None:
        return redirect(_resume_url(existing))
    units = list(selectors.sampled_communities(actor=actor, round_=round_))
    initial = {}
    home = getattr(request.user, "home_place", None)
    if home is not None and any(u.place_id == home.pk for u in units):
        initial["community"] = home.code
    own_population = "" if interviewer else key_population_of(request.user)
    if own_population in KeyPopulation.values:
        initial["key_population"] = own_population
    elif own_population == "other":  # none of the five: the form's empty answer
        initial["key_population"] = ""
    form = DemographicsForm(request.POST or None, communities=units, interviewer=interviewer, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        community = place_by_code_or_none(d["community"])
        with errors_into(form) as failed:
            response = services.response_start(
                actor=actor,
                round_=round_,
                community=community,
                sex=d["sex"],
                age=d["age"],
                education=d["education"],
                area=d["area"],
                key_population=d["key_population"],
                respondent_label=d.get("respondent_label", ""),
            )
        if failed.error is None:
            return redirect("survey:question", pk=response.pk, number=1)
    return TemplateResponse(
        request, "survey/start.html", {"round": round_, "form": form, "units": units, "interviewer": interviewer}
    )


def _resume_url(response) -> str:
    from django.urls import reverse

    if response.status != ResponseStatus.IN_PROGRESS:
        return reverse("survey:response", args=[response.pk])
    total = response.round.bank.questions.count()
    if response.position >= total:
        return reverse("survey:finish", args=[response.pk])
    return reverse("survey:question", args=[response.pk, response.position + 1])


@role_required(Role.RESIDENT, *INTERVIEWER_ROLES)
def resume(request, pk):
    return redirect(_resume_url(_response(request, pk)))


@role_required(Role.RESIDENT, *INTERVIEWER_ROLES)
def question(request, pk, number):
    response = _response(request, pk)
    if not can(request.actor, ResponseAction.EDIT, response):
        return redirect("survey:response", pk=pk)
    questions = list(response.round.bank.questions.order_by("position"))
    if not 1 <= number <= len(questions):
        raise Http404
    q = questions[number - 1]
    error = ""
    if request.method == "POST":
        value = request.POST.getlist("answer")
        try:
            services.response_answer(
                actor=request.actor,
                response=response,
                question_code=q.code,
                value=value if q.kind == "multiple" else (value[0] if value else ""),
            )
        except DomainError as exc:  # kept: the message shows under the question, with the choice just made
            if exc.status in (403, 404):
                raise
            error = str(exc.message)
        else:
            if request.POST.get("go") == "back" and number > 1:
                return redirect("survey:question", pk=pk, number=number - 1)
            if number == len(questions):
                return redirect("survey:finish", pk=pk)
            return redirect("survey:question", pk=pk, number=number + 1)
    current = set(response.answers.get(q.code, ""))
    context = {
        "response": response,
        "q": q,
        "number": number,
        "total": len(questions),
        "current": current,
        "percent": round(100 * (number - 1) / len(questions)),
        "error": error,
        "answered": len([c for c in response.answers if response.answers[c]]),
        "input_type": "checkbox" if q.kind == "multiple" else "radio",
    }
    return TemplateResponse(request, "survey/question.html", context)


@role_required(Role.RESIDENT, *INTERVIEWER_ROLES)
def finish(request, pk):
    response = _response(request, pk)
    if not can(request.actor, ResponseAction.EDIT, response):
        return redirect("survey:response", pk=pk)
    questions = list(response.round.bank.questions.order_by("position"))
    missing = [(i, q) for i, q in enumerate(questions, start=1) if not response.answers.get(q.code)]
    if request.method == "POST":
        services.response_submit(actor=request.actor, response=response)
        messages.success(request, _("Thank you! Your questionnaire was submitted."))
        return redirect("survey:response", pk=pk)
    return TemplateResponse(
        request, "survey/finish.html", {"response": response, "missing": missing, "total": len(questions)}
    )


def _results_context(request, round_):
    results = selectors.round_results(actor=request.actor, round_=round_)
    points = selectors.trend(actor=request.actor)
    target = next((p["target"] for p in reversed(points) if p["target"]), None) or round_.target_rate
    context = {
        "round": round_,
        "results": results,
        "trend": points,
        "trend_chart": charts.trend_chart(points, target=target),
        "target": target,
    }
    if results:
        context["charts"] = [
            {"kind": kind, "label": label, "rows": rows, "chart": charts.interval_chart(rows, target=target)}
            for kind, label, rows in results["groups"]
        ]
    return context


@role_required(*OFFICE)
def results(request, pk):
    round_ = _round(request, pk)
    try:
        context = _results_context(request, round_)
    except NotAllowed:
        raise PermissionDenied from None
    return TemplateResponse(request, "survey/results.html", context)


@role_required(*OFFICE)
def results_xlsx(request, pk):
    round_ = _round(request, pk)
    try:
        results = selectors.round_results(actor=request.actor, round_=round_)
    except NotAllowed:
        raise PermissionDenied from None
    if results is None:
        raise Http404
    data = results_workbook(round_, results, selectors.trend(actor=request.actor))
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="literacy-{round_.year}-{round_.pk}.xlsx"'
    return response
