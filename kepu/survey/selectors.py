"""Every read of the survey, already scoped to the actor."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from kepu.core.actor import Actor
from kepu.core.errors import NotAllowed
from kepu.core.permissions import can, get_visible, scope
from kepu.core.roles import Role
from kepu.survey.models import (
    AgeGroup,
    Area,
    Education,
    EstimationRun,
    GroupKind,
    KeyPopulation,
    LiteracyEstimate,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    RunStatus,
    SampledCommunity,
    Sex,
    Stratum,
)
from kepu.survey.permissions import RoundAction

LEVEL_LABELS = {
    GroupKind.SEX: dict(Sex.choices),
    GroupKind.AGE_GROUP: dict(AgeGroup.choices),
    GroupKind.EDUCATION: dict(Education.choices),
    GroupKind.AREA: dict(Area.choices),
    GroupKind.KEY_POPULATION: dict(KeyPopulation.choices),
}


def round_list(*, actor: Actor) -> QuerySet[Round]:
    return scope(actor, Round.objects.select_related("owner", "bank")).order_by("-year", "-pk")


def round_get(*, actor: Actor, pk: int) -> Round:
    return get_visible(actor, Round.objects.select_related("owner__place", "bank"), pk=pk)


def sampled_communities(*, actor: Actor, round_: Round) -> QuerySet[SampledCommunity]:
    """The communities a questionnaire may be filled for: the sample, within an interviewer's area."""
    qs = SampledCommunity.objects.filter(round=round_).select_related("place__parent", "street__stratum__district")
    if actor.role != Role.RESIDENT:
        qs = qs.filter(place__path__startswith=actor.area_path or "\x00")
    return qs.order_by("place__path")


def response_list(*, actor: Actor, round_: Round | None = None, status: str = "", district: str = "") -> QuerySet:
    qs = scope(actor, Response.objects.select_related("round", "place__parent", "respondent", "interviewer"))
    if round_ is not None:
        qs = qs.filter(round=round_)
    if status:
        qs = qs.filter(status=status)
    if district:
        qs = qs.filter(place__district_code=district)
    return qs.order_by("-submitted_at", "-pk")


def response_get(*, actor: Actor, pk: int) -> Response:
    return get_visible(
        actor,
        Response.objects.select_related(
            "round__bank", "place__parent", "unit", "respondent", "interviewer", "reviewed_by"
        ),
        pk=pk,
    )


def my_response(*, actor: Actor, round_: Round) -> Response | None:
    if actor.role != Role.RESIDENT:
        return None
    return Response.objects.filter(round=round_, respondent=actor.user).first()


def review_queue(*, actor: Actor, round_: Round) -> QuerySet[Response]:
    if not can(actor, RoundAction.VIEW_PROGRESS, round_):
        raise NotAllowed()
    return (
        response_list(actor=actor, round_=round_)
        .filter(status__in=[ResponseStatus.SUBMITTED, ResponseStatus.ON_HOLD])
        .order_by("submitted_at", "pk")
    )


def round_progress(*, actor: Actor, round_: Round) -> list[dict]:
    """Per stratum: quota, responses submitted, approved, on hold, not approved (scoped to the actor's area)."""
    if not can(actor, RoundAction.VIEW_PROGRESS, round_):
        raise NotAllowed()
    strata = (
        Stratum.objects.filter(round=round_)
        .select_related("district")
        .annotate(n_streets=Count("streets", distinct=True))
    )
    if not actor.is_city:
        strata = strata.filter(district__path__startswith=actor.area_path or "\x00")
    counts = defaultdict(lambda: defaultdict(int))
    for row in (
        Response.objects.filter(round=round_, unit__street__stratum__in=strata)
        .values("unit__street__stratum_id", "status")
        .annotate(n=Count("pk"))
    ):
        counts[row["unit__street__stratum_id"]][row["status"]] = row["n"]
    out = []
    for s in strata.order_by("code"):
        c = counts[s.pk]
        done = c[ResponseStatus.SUBMITTED] + c[ResponseStatus.APPROVED] + c[ResponseStatus.ON_HOLD]
        out.append(
            {
                "stratum": s,
                "quota": s.quota,
                "streets": s.n_streets,
                "in_progress": c[ResponseStatus.IN_PROGRESS],
                "submitted": c[ResponseStatus.SUBMITTED],
                "approved": c[ResponseStatus.APPROVED],
                "on_hold": c[ResponseStatus.ON_HOLD],
                "rejected": c[ResponseStatus.REJECTED],
                "percent": min(100, round(100 * c[ResponseStatus.APPROVED] / s.quota)) if s.quota else 0,
                "done": done,
            }
        )
    return out


def latest_run(*, round_: Round) -> EstimationRun | None:
    return round_.runs.order_by("-created_at", "-pk").first()


def latest_done_run(*, round_: Round) -> EstimationRun | None:
    return round_.runs.filter(status=RunStatus.DONE).order_by("-finished_at", "-pk").first()


def _display(e: LiteracyEstimate) -> LiteracyEstimate:
    labels = LEVEL_LABELS.get(e.kind)
    if labels is not None:
        e.label = str(labels.get(e.level, e.level))
    elif e.kind == GroupKind.CITY:
        e.label = e.label or _("Whole city")
    return e


def round_results(*, actor: Actor, round_: Round) -> dict | None:
    """The latest results of a round, by group, as the actor may see them; None if none yet."""
    if not can(actor, RoundAction.VIEW_RESULTS, round_):
        raise NotAllowed()
    run = latest_done_run(round_=round_)
    if run is None:
        return None
    estimates = [_display(e) for e in scope(actor, LiteracyEstimate.objects.filter(run=run)).order_by("position")]
    if not estimates:
        return {"run": run, "groups": [], "estimates": [], "city": None}
    groups: dict[str, list[LiteracyEstimate]] = defaultdict(list)
    for e in estimates:
        groups[e.kind].append(e)
    # Levels in their natural order (primary school before college), not the engine's alphabetical one.
    for kind, labels in LEVEL_LABELS.items():
        order = {level: i for i, level in enumerate(labels)}
        groups[kind].sort(key=lambda e: order.get(e.level, len(order)))
    ordered = [(kind, str(label), groups[kind]) for kind, label in GroupKind.choices if groups.get(kind)]
    return {
        "run": run,
        "groups": ordered,
        "estimates": estimates,
        "city": groups[GroupKind.CITY][0] if groups.get(GroupKind.CITY) else None,
    }


def trend(*, actor: Actor) -> list[dict]:
    """Headline literacy rate per round across years: recorded figures and the platform's estimates.

    The city sees the city's rate; a district office sees its own district's estimates
    (historic rounds recorded only the city figure, so they appear for the city only).
    """
    points = []
    rounds = Round.objects.filter(Q(status=RoundStatus.HISTORIC) | Q(runs__status=RunStatus.DONE)).distinct()
    if not actor.is_city and actor.role != Role.DISTRICT_ADMIN:
        return []
    for r in rounds.order_by("year", "pk"):
        if r.status == RoundStatus.HISTORIC:
            if actor.is_city and r.recorded_rate is not None:
                points.append(
                    {
                        "year": r.year,
                        "name": r.name,
                        "rate": r.recorded_rate,
                        "low": None,
                        "high": None,
                        "recorded": True,
                        "target": r.target_rate,
                        "round": r,
                    }
                )
            continue
        run = latest_done_run(round_=r)
        e = (
            scope(actor, LiteracyEstimate.objects.filter(run=run))
            .filter(kind=GroupKind.CITY if actor.is_city else GroupKind.DISTRICT)
            .first()
        )
        if e is not None:
            points.append(
                {
                    "year": r.year,
                    "name": r.name,
                    "rate": e.estimate,
                    "low": e.ci_low,
                    "high": e.ci_high,
                    "recorded": False,
                    "target": r.target_rate,
                    "round": r,
                }
            )
    return points


def worker_todos(actor: Actor) -> list:
    """Offices: questionnaires waiting for review in each open round of their area (审核)."""
    from django.db.models import Count, Min
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from kepu.core.home import Todo
    from kepu.survey.models import RoundStatus

    out = []
    for round_ in round_list(actor=actor).filter(status=RoundStatus.OPEN):
        row = review_queue(actor=actor, round_=round_).order_by().aggregate(n=Count("pk"), oldest=Min("submitted_at"))
        out.append(
            Todo(
                _("Questionnaires to review in %(round)s") % {"round": round_.name},
                row["n"],
                reverse("survey:queue", args=[round_.pk]),
                row["oldest"],
                key=f"survey-review-{round_.pk}",
            )
        )
    return out
