"""The two workflows of science bases, declared in one place with ``kepu.core.workflow``.

Certification (认定), one ``Application`` at one level::

    draft ─submit→ submitted ─accept (experts drawn)→ expert_review ─to_inspection→ inspection
      ─inspect→ decision ─certify→ notice (公示) ─confirm→ certified ─recommend→ (a city application)
    submitted ─return (退回补正)→ returned ─resubmit→ submitted
    refuse (with reasons) from submitted … notice; withdraw (by the base) while not yet accepted

Annual review (年度考核), one ``AnnualReview`` a year::

    open ─submit (self-report)→ submitted ─score→ scored [─inspect (spot-checked only)→ inspected]
      ─keep→ kept | ─rectify (整改, by a date)→ rectifying ─report_rectification→ rectified ─accept_rectification→ kept
      ─revoke→ revoked;  submitted ─return→ open

The party of every step is the base's host organization (``HOST_ROLES``) or the office of the
level (``permissions.runs``); experts score their own sheets outside the machine
(``services.sheet_submit``), and the move out of expert review waits for their sheets.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kepu.bases import rubric, uploads
from kepu.bases.models import AnnualReview as Review
from kepu.bases.models import (
    Application,
    ApplicationStatus,
    Level,
    MaterialKind,
    ReviewStatus,
    SheetStatus,
)
from kepu.bases.permissions import HOST_ROLES, OFFICES, hosts, review_level, runs
from kepu.core import clock
from kepu.core.actor import Actor
from kepu.core.roles import Role
from kepu.core.workflow import Step, Transition, TransitionForm, Workflow

A = ApplicationStatus
R = ReviewStatus

#: The certification's main line: a step never moves an application more than one place along it.
MAIN_LINE = (A.DRAFT, A.SUBMITTED, A.EXPERT_REVIEW, A.INSPECTION, A.DECISION, A.NOTICE, A.CERTIFIED)
FINAL = frozenset({A.CERTIFIED, A.REFUSED, A.WITHDRAWN})
#: The fewest experts that make a review (the issue's "three or more").
MIN_EXPERTS = 3
REQUIRED_MATERIALS = (MaterialKind.FORM, MaterialKind.VENUE)
REVIEW_MAIN_LINE = (R.OPEN, R.SUBMITTED, R.SCORED, R.INSPECTED, R.KEPT)
REVIEW_FINAL = frozenset({R.KEPT, R.REVOKED})


# --- Parties ---------------------------------------------------------------------------------
def is_applicant(actor: Actor, app: Application) -> bool:
    return hosts(actor, app.base)


def is_office(actor: Actor, app: Application) -> bool:
    return runs(actor, app.level, app.base)


def is_host(actor: Actor, review: Review) -> bool:
    return hosts(actor, review.base)


def is_reviewer(actor: Actor, review: Review) -> bool:
    return runs(actor, review_level(review.base), review.base)


# --- Why a step cannot be made yet (judged by the clock and the records) --------------------------
def incomplete(app: Application):
    """What the application still lacks before it can be submitted, or None."""
    base = app.base
    missing = []
    if not app.statement.strip():
        missing.append(_("the statement of the application"))
    if app.visitors_declared is None:
        missing.append(_("the visitors of the last twelve months"))
    for name, value in (
        (_("the exhibition area"), base.exhibition_area),
        (_("the open days a year"), base.open_days_per_year),
        (_("the student concession"), base.student_policy or None),
        (_("the number of guides"), base.guides),
    ):
        if value is None:
            missing.append(name)
    if base.venue_id is None:
        missing.append(_("the weekly opening hours"))
    kinds = set(app.materials.values_list("kind", flat=True))
    for kind in REQUIRED_MATERIALS:
        if kind not in kinds:
            missing.append(MaterialKind(kind).label)
    if not missing:
        return None
    return _("Still missing: %(what)s.") % {"what": "、".join(str(m) for m in missing)}


def sheets_missing(app: Application):
    sheets = list(app.sheets.all())
    pending = sum(1 for s in sheets if s.status == SheetStatus.PENDING)
    done = sum(1 for s in sheets if s.status == SheetStatus.SUBMITTED)
    if pending or done < MIN_EXPERTS:
        return _("%(done)s of %(all)s experts have scored; the site inspection follows when all have.") % {
            "done": done,
            "all": done + pending,
        }
    return None


def declared_values(app: Application) -> dict:
    """The figures a certification is judged on: what the base declared when it submitted."""
    d = app.declared or {}
    return {k: d.get(k) for k in ("area", "open_days", "visitors", "student_days", "guides")}


def application_verdict(app: Application) -> rubric.Verdict:
    sheet = rubric.sheet(app.rubric, app.sheets.prefetch_related("scores"))
    return rubric.verdict(app.rubric, declared_values(app), sheet.mean_total)


def not_certifiable(app: Application):
    if app.inspection_passed is False:
        return _("The site inspection found that the base does not meet the standard.")
    found = application_verdict(app)
    return None if found.passed else " ".join(found.reasons)


def notice_running(app: Application):
    now = clock.now()
    if app.notice_ends_at and now < app.notice_ends_at:
        when = timezone.localtime(app.notice_ends_at).strftime("%Y-%m-%d %H:%M")
        return _("The public notice runs until %(when)s.") % {"when": when}
    open_ones = app.objections.filter(answered_at__isnull=True).count()
    if open_ones:
        return _("%(n)s objections wait for an answer.") % {"n": open_ones}
    if app.objections.filter(upheld=True).exists():
        return _("An objection was upheld: the certification cannot be confirmed.")
    return None


def recommendable(app: Application) -> bool:
    base = app.base
    return (
        app.level == Level.DISTRICT
        and base.level == Level.DISTRICT
        and base.in_force_on(timezone.localdate(clock.now()))
        and not base.applications.filter(level=Level.CITY).exclude(status__in=FINAL).exists()
    )


# --- Inputs ----------------------------------------------------------------------------------
class AcceptForm(TransitionForm):
    """Materials complete: experts are drawn at random from the library (none from the applicant, none in conflict)."""

    experts = forms.IntegerField(
        label=_("How many experts to draw"),
        min_value=MIN_EXPERTS,
        max_value=9,
        initial=MIN_EXPERTS,
        help_text=_("At least three; none from the applicant's organization or with a declared conflict."),
    )


class YesNo(forms.TypedChoiceField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.RadioSelect)
        kwargs.setdefault("coerce", lambda v: v == "yes")
        kwargs.setdefault("choices", [("yes", _("Yes")), ("no", _("No"))])
        super().__init__(*args, **kwargs)


def _not_future(day):
    if day > timezone.localdate(clock.now()):
        raise forms.ValidationError(_("The inspection cannot be in the future."), code="inspection_future")
    return day


class InspectionForm(TransitionForm):
    inspected_on = forms.DateField(label=_("Inspected on"), widget=forms.DateInput(attrs={"type": "date"}))
    inspectors = forms.CharField(label=_("Inspectors"), max_length=200)
    findings = forms.CharField(label=_("Findings"), max_length=4000, widget=forms.Textarea({"rows": 3}))
    passed = YesNo(
        label=_("Does the site meet the standard?"),
        error_messages={"required": _("Say whether the site meets the standard.")},
    )
    photos = uploads.PhotosField(label=_("Photos (optional, up to 6)"))

    def clean_inspected_on(self):
        return _not_future(self.cleaned_data["inspected_on"])


class CertifyForm(TransitionForm):
    notice_days = forms.IntegerField(label=_("Days of public notice"), min_value=5, max_value=30, initial=7)
    term_years = forms.TypedChoiceField(
        label=_("Term of the title"),
        coerce=int,
        choices=[("", "—"), *[(n, _("%(n)s years") % {"n": n}) for n in (1, 2, 3, 4, 5)]],
        error_messages={"required": _("Choose the term of the title.")},
    )
    note = forms.CharField(label=_("Decision"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2}))


class RecommendForm(TransitionForm):
    recommendation = forms.CharField(
        label=_("Recommendation to the city"), max_length=2000, widget=forms.Textarea({"rows": 3})
    )


def _whole(label, **kwargs):
    return forms.IntegerField(label=label, min_value=0, max_value=10_000_000, **kwargs)


class SelfReportForm(TransitionForm):
    """What the platform cannot know, declared by the base (its figures come from the records)."""

    visitors_unbooked = _whole(
        _("Visitors not booked on the platform"),
        help_text=_("Counted at the door or by other systems; keep the records for a spot check."),
    )
    sessions_off_platform = _whole(_("Activities not published on the platform (sessions)"))
    funding = forms.DecimalField(
        label=_("Science funding spent (10,000 yuan)"), min_value=0, max_digits=10, decimal_places=2
    )
    new_exhibits = _whole(_("New or renewed exhibits"))
    report = forms.CharField(label=_("Report of the year"), max_length=8000, widget=forms.Textarea({"rows": 5}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.obj is not None and not self.is_bound:
            self.initial.update(self.obj.declared or {})
            self.initial.setdefault("report", self.obj.report)


class ScoreForm(TransitionForm):
    """Points per rubric item (0 up to its weight) with a comment each; nothing is pre-filled."""

    comment = forms.CharField(
        label=_("Overall comment"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args, rubric_items=None, **kwargs):
        super().__init__(*args, **kwargs)
        items = rubric_items if rubric_items is not None else (list(self.obj.rubric.items.all()) if self.obj else [])
        self.items = items
        for item in items:
            self.fields[f"item_{item.pk}"] = forms.DecimalField(
                label=f"{item.title} (0–{item.weight})",
                min_value=0,
                max_value=item.weight,
                max_digits=5,
                decimal_places=1,
                help_text=item.guidance,
                error_messages={"required": _("Give points for every item.")},
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=_("Comment on %(item)s") % {"item": item.title}, required=False, max_length=500
            )
        self.order_fields([f for item in items for f in (f"item_{item.pk}", f"note_{item.pk}")] + ["comment"])


def scores_from(items, data: dict) -> list[tuple]:
    """[(item, points, comment)] from a ``ScoreForm``'s cleaned data."""
    return [(i, data[f"item_{i.pk}"], (data.get(f"note_{i.pk}") or "").strip()) for i in items]


class SpotInspectionForm(TransitionForm):
    inspected_on = forms.DateField(label=_("Inspected on"), widget=forms.DateInput(attrs={"type": "date"}))
    findings = forms.CharField(label=_("Findings"), max_length=4000, widget=forms.Textarea({"rows": 3}))
    photos = uploads.PhotosField(label=_("Photos (optional, up to 6)"))

    def clean_inspected_on(self):
        return _not_future(self.cleaned_data["inspected_on"])


class RectifyForm(TransitionForm):
    rectify_by = forms.DateField(label=_("Rectify by"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_rectify_by(self):
        day = self.cleaned_data["rectify_by"]
        if day <= timezone.localdate(clock.now()):
            raise forms.ValidationError(_("Give a date in the future."), code="rectify_past")
        return day


class RectificationForm(TransitionForm):
    rectification = forms.CharField(label=_("What was rectified"), max_length=4000, widget=forms.Textarea({"rows": 4}))


# --- What each step changes (the services add history, the base's standing and notices) ----------
def _submit(step: Step) -> None:
    from kepu.bases import services

    app = step.obj
    step.put("declared", services.declared_snapshot(app))
    step.put("submitted_at", step.now)


def _accept(step: Step) -> None:
    from kepu.bases import services

    draw = services.experts_draw(actor=step.actor, application=step.obj, wanted=step.data["experts"], now=step.now)
    step.event["drawn"] = draw.drawn
    step.event["seed"] = draw.seed


def _inspect(step: Step) -> None:
    from kepu.bases import services

    for name in ("inspected_on", "inspectors", "findings", "passed"):
        value = step.data[name]
        step.put(
            "inspection_findings" if name == "findings" else "inspection_passed" if name == "passed" else name, value
        )
    step.event["passed"] = step.data["passed"]
    services.inspection_photos_store(step.obj, step.data.get("photos") or [], step.actor)


def _certify(step: Step) -> None:
    days = step.data["notice_days"]
    step.put("notice_days", days)
    step.put("term_years", step.data["term_years"])
    step.put("notice_starts_at", step.now)
    step.put("notice_ends_at", step.now + timedelta(days=days))
    step.put("decided_at", step.now)
    step.put("decision_note", (step.data.get("note") or "").strip())
    step.event.update(notice_days=days, term_years=step.data["term_years"])


def _refuse(step: Step) -> None:
    step.put("decided_at", step.now)
    step.put("decision_note", step.reason)


def _confirm(step: Step) -> None:
    from kepu.bases import services

    services.certification_grant(step)


def _recommend(step: Step) -> None:
    from kepu.bases import services

    city_app = services.recommendation_create(step)
    step.event["city_application"] = city_app.pk


def _submit_review(step: Step) -> None:
    from kepu.bases import figures

    review = step.obj
    step.put("figures", figures.snapshot(review.base, review.year, step.now))
    step.put("declared", {k: str(v) if k == "funding" else v for k, v in step.data.items() if k != "report"})
    step.put("report", step.data["report"].strip())
    step.put("submitted_at", step.now)


def _score_review(step: Step) -> None:
    from kepu.bases import services

    items = list(step.obj.rubric.items.all())
    sheet = services.sheet_record(
        review=step.obj,
        scorer=step.actor.user,
        scores=scores_from(items, step.data),
        comment=step.data.get("comment", ""),
    )
    step.event["total"] = str(sheet.total)


def _inspect_review(step: Step) -> None:
    from kepu.bases import services

    step.put("inspected_on", step.data["inspected_on"])
    step.put("inspection_findings", step.data["findings"].strip())
    services.inspection_photos_store(step.obj, step.data.get("photos") or [], step.actor)


def _keep(step: Step) -> None:
    from kepu.bases import services

    step.put("decided_at", step.now)
    services.standing_after_review(step, kept=True)


def _rectify(step: Step) -> None:
    from kepu.bases import services

    step.put("rectify_by", step.data["rectify_by"])
    step.put("decided_at", step.now)
    step.put("decision_note", step.reason)
    step.event["rectify_by"] = step.data["rectify_by"].isoformat()
    services.standing_after_review(step, rectifying=True)


def _revoke(step: Step) -> None:
    from kepu.bases import services

    step.put("decided_at", step.now)
    step.put("decision_note", step.reason)
    services.standing_after_review(step, revoked=True)


def _report_rectification(step: Step) -> None:
    step.put("rectification", step.data["rectification"].strip())


def review_values(review: Review) -> dict:
    """The figures an annual review is judged on: the platform's (as submitted) and what the base declared."""
    f = review.figures or {}
    d = review.declared or {}
    base = review.base
    visitors = None
    if f:
        visitors = (f.get("visitors") or 0) + (f.get("person_times") or 0) + int(d.get("visitors_unbooked") or 0)
    return {
        "area": base.exhibition_area,
        "open_days": f.get("open_days") if f else None,
        "visitors": visitors,
        "student_days": base.student_days_per_year,
        "guides": base.guides,
    }


def review_verdict(review: Review) -> rubric.Verdict:
    sheet = rubric.sheet(review.rubric, review.sheets.prefetch_related("scores"))
    return rubric.verdict(review.rubric, review_values(review), sheet.mean_total)


def not_keepable(review: Review):
    found = review_verdict(review)
    return None if found.passed else " ".join(found.reasons)


def decidable(review: Review) -> bool:
    """A spot-checked review is decided only after its inspection."""
    return review.status != R.SCORED or not review.spot_check


APPLICANT = HOST_ROLES
OFFICE = OFFICES

CERTIFICATION = Workflow(
    "base_application",
    model=Application,
    audit_prefix="kepu.bases.application",
    audit_place=lambda app: app.base.place,
    transitions=[
        Transition("submit", _("Submit the application"), {A.DRAFT}, A.SUBMITTED, APPLICANT, is_applicant,
                   guard=incomplete, apply=_submit),
        Transition("withdraw", _("Withdraw the application"), {A.DRAFT, A.SUBMITTED, A.RETURNED}, A.WITHDRAWN,
                   APPLICANT, is_applicant, needs_reason=True, negative=True),
        Transition("return", _("Return for completion"), {A.SUBMITTED}, A.RETURNED, OFFICE, is_office,
                   needs_reason=True, negative=True),
        Transition("resubmit", _("Submit again"), {A.RETURNED}, A.SUBMITTED, APPLICANT, is_applicant,
                   guard=incomplete, apply=_submit),
        Transition("accept", _("Accept the materials and draw experts"), {A.SUBMITTED}, A.EXPERT_REVIEW, OFFICE,
                   is_office, form=AcceptForm, apply=_accept),
        Transition("to_inspection", _("Close the expert review"), {A.EXPERT_REVIEW}, A.INSPECTION, OFFICE,
                   is_office, guard=sheets_missing),
        Transition("inspect", _("Record the site inspection"), {A.INSPECTION}, A.DECISION, OFFICE, is_office,
                   form=InspectionForm, apply=_inspect),
        Transition("certify", _("Certify and publish the notice"), {A.DECISION}, A.NOTICE, OFFICE, is_office,
                   guard=not_certifiable, form=CertifyForm, apply=_certify),
        Transition("refuse", _("Refuse"), {A.SUBMITTED, A.EXPERT_REVIEW, A.INSPECTION, A.DECISION, A.NOTICE},
                   A.REFUSED, OFFICE, is_office, needs_reason=True, negative=True, apply=_refuse),
        Transition("confirm", _("Confirm after the notice and issue the certificate"), {A.NOTICE}, A.CERTIFIED,
                   OFFICE, is_office, guard=notice_running, apply=_confirm),
        Transition("recommend", _("Recommend to the city"), {A.CERTIFIED}, None, {Role.DISTRICT_ADMIN}, is_office,
                   when=recommendable, form=RecommendForm, apply=_recommend),
    ],
)  # fmt: skip

REVIEW = Workflow(
    "base_review",
    model=Review,
    audit_prefix="kepu.bases.review",
    audit_place=lambda review: review.base.place,
    transitions=[
        Transition("submit", _("Submit the self-report"), {R.OPEN}, R.SUBMITTED, APPLICANT, is_host,
                   form=SelfReportForm, apply=_submit_review),
        Transition("return", _("Return the self-report"), {R.SUBMITTED}, R.OPEN, OFFICE, is_reviewer,
                   needs_reason=True, negative=True),
        Transition("score", _("Score by the rubric"), {R.SUBMITTED}, R.SCORED, OFFICE, is_reviewer, form=ScoreForm,
                   apply=_score_review),
        Transition("inspect", _("Record the spot check"), {R.SCORED}, R.INSPECTED, OFFICE, is_reviewer,
                   when=lambda r: r.spot_check, form=SpotInspectionForm, apply=_inspect_review),
        Transition("keep", _("Keep the title"), {R.SCORED, R.INSPECTED}, R.KEPT, OFFICE, is_reviewer,
                   when=decidable, guard=not_keepable, apply=_keep),
        Transition("rectify", _("Order rectification"), {R.SCORED, R.INSPECTED}, R.RECTIFYING, OFFICE, is_reviewer,
                   when=decidable, needs_reason=True, negative=True, form=RectifyForm, apply=_rectify),
        Transition("revoke", _("Revoke the title"), {R.SCORED, R.INSPECTED, R.RECTIFYING, R.RECTIFIED}, R.REVOKED,
                   OFFICE, is_reviewer, when=decidable, needs_reason=True, negative=True, apply=_revoke),
        Transition("report_rectification", _("Report the rectification"), {R.RECTIFYING}, R.RECTIFIED, APPLICANT,
                   is_host, form=RectificationForm, apply=_report_rectification),
        Transition("accept_rectification", _("Accept the rectification"), {R.RECTIFIED}, R.KEPT, OFFICE,
                   is_reviewer, apply=_keep),
        Transition("return_rectification", _("Rectification not sufficient"), {R.RECTIFIED}, R.RECTIFYING, OFFICE,
                   is_reviewer, needs_reason=True, negative=True),
    ],
)  # fmt: skip

NEGATIVE = frozenset(t.name for t in CERTIFICATION if t.negative)
REVIEW_NEGATIVE = frozenset(t.name for t in REVIEW if t.negative)
