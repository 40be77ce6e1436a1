"""Every write of the survey: banks, rounds and their design, responses, reviews, estimation."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kepu import literacy
from kepu.core import clock
from kepu.core.actor import SYSTEM, Actor
from kepu.core.audit import log_action
from kepu.core.errors import NotAllowed
from kepu.core.permissions import can, require
from kepu.places.choices import PlaceLevel
from kepu.places.selectors import place_by_code_or_name, places_at
from kepu.survey import workflow
from kepu.survey.errors import (
    AlreadyAnswered,
    BadTransition,
    ImportInvalid,
    Incomplete,
    NotInSample,
    ReasonRequired,
    RoundNotOpen,
    SurveyError,
)
from kepu.survey.models import (
    MAX_AGE,
    MIN_AGE,
    AgeGroup,
    Area,
    Dimension,
    Education,
    EstimationRun,
    KeyPopulation,
    LiteracyEstimate,
    MarginVariable,
    PopulationMargin,
    Question,
    QuestionBank,
    QuestionKind,
    Response,
    ResponseStatus,
    Round,
    RoundStatus,
    RunStatus,
    SampledCommunity,
    SampledStreet,
    ScoringRuleChoice,
    Sex,
    Stratum,
)
from kepu.survey.permissions import ResponseAction, RoundAction

if TYPE_CHECKING:
    from kepu.places.models import Place

#: A queued or running estimation older than this is taken to have been lost by the worker.
STALE_RUN = timedelta(hours=1)


# --------------------------------------------------------------------------- question banks
def bank_import(*, actor: Actor, data: dict) -> QuestionBank:
    """Create a question bank from the engine's JSON layout, with the texts and options added.

    ``{"id", "name", "questions": [{"id", "dimension", "points", "answer", "kind", "text",
    "options": [{"key", "text"}]}]}``. The engine validates ids, points and the answer key;
    this layer checks the dimensions, the texts and that each answer is among the options.
    """
    require(actor, RoundAction.CREATE, Round)
    code = _bank_validate(data)
    return _bank_apply(actor=actor, data=data, code=code)


def _bank_validate(data: dict) -> str:
    """The new bank's code, once the engine and this layer find nothing wrong; else every problem."""
    try:
        engine_bank = literacy.QuestionBank.from_dict(data)
        engine_bank.answer_key()
    except literacy.LiteracyError as exc:
        raise ImportInvalid(_("The question bank is not valid: %(detail)s") % {"detail": exc.message}) from None
    problems = []
    for i, q in enumerate(data["questions"], start=1):
        keys = {str(o.get("key", "")).upper() for o in q.get("options", []) if isinstance(o, dict)}
        if q.get("dimension") not in Dimension.values:
            problems.append(_("question %(n)s: unknown dimension") % {"n": i})
        if not str(q.get("text", "")).strip():
            problems.append(_("question %(n)s: no text") % {"n": i})
        if q.get("kind", "single") not in QuestionKind.values:
            problems.append(_("question %(n)s: unknown kind") % {"n": i})
        if len(keys) < 2 or not set(str(q.get("answer", "")).upper()) <= keys:
            problems.append(_("question %(n)s: the answer is not among the options") % {"n": i})
    missing = set(Dimension.values) - {q.get("dimension") for q in data["questions"]}
    if missing:
        problems.append(_("no questions in dimension(s): %(dims)s") % {"dims": ", ".join(sorted(missing))})
    code = str(data.get("id", "")).strip()
    if not code or QuestionBank.objects.filter(code=code).exists():
        problems.append(_("the bank needs a new, unique id"))
    if problems:
        raise ImportInvalid(
            _("The question bank is not valid: %(detail)s") % {"detail": "; ".join(problems)},
            data={"problems": problems},
        )
    return code


def _bank_apply(*, actor: Actor, data: dict, code: str) -> QuestionBank:
    """The bank and its questions, in one transaction."""
    with transaction.atomic():
        bank = QuestionBank.objects.create(code=code, name=str(data.get("name") or code)[:120])
        Question.objects.bulk_create(
            [
                Question(
                    bank=bank,
                    code=str(q["id"]),
                    position=i,
                    dimension=q["dimension"],
                    kind=q.get("kind", "single"),
                    text=q["text"].strip(),
                    options=[{"key": str(o["key"]).upper(), "text": str(o["text"])} for o in q["options"]],
                    answer=str(q["answer"]).upper(),
                    points=float(q.get("points", 1)),
                )
                for i, q in enumerate(data["questions"])
            ]
        )
        log_action(
            actor, "kepu.survey.bank_imported", bank, place=actor.place, data={"questions": len(data["questions"])}
        )
    return bank


# --------------------------------------------------------------------------- rounds
@transaction.atomic
def round_create(
    *,
    actor: Actor,
    name: str,
    year: int,
    bank: QuestionBank,
    rule: str = ScoringRuleChoice.CURRENT,
    show_score: bool = False,
    target_rate: float | None = None,
    opens_on: date | None = None,
    closes_on: date | None = None,
) -> Round:
    require(actor, RoundAction.CREATE, Round)
    if rule not in ScoringRuleChoice.values:
        raise SurveyError(_("Unknown scoring rule."), code="survey_unknown_rule")
    if opens_on and closes_on and closes_on < opens_on:
        raise SurveyError(_("The round cannot close before it opens."), code="survey_bad_dates")
    round_ = Round.objects.create(
        name=name,
        year=year,
        owner=actor.organization,
        bank=bank,
        rule=rule,
        show_score=show_score,
        target_rate=target_rate,
        opens_on=opens_on,
        closes_on=closes_on,
    )
    log_action(actor, "kepu.survey.round_created", round_, place=actor.place)
    return round_


@transaction.atomic
def round_record_historic(
    *, actor: Actor, name: str, year: int, rate: float, source: str = "", target_rate: float | None = None
) -> Round:
    """Record a past round's published headline figure, so the trend shows it."""
    require(actor, RoundAction.CREATE, Round)
    if not 0 <= rate <= 1:
        raise SurveyError(_("A rate is between 0 and 100%."), code="survey_bad_rate")
    round_ = Round.objects.create(
        name=name,
        year=year,
        owner=actor.organization,
        status=RoundStatus.HISTORIC,
        recorded_rate=rate,
        source=source,
        target_rate=target_rate,
    )
    log_action(actor, "kepu.survey.historic_recorded", round_, place=actor.place, data={"rate": rate})
    return round_


def round_transition(*, actor: Actor, round_: Round, action: str) -> Round:
    """Open or close a round (``workflow.ROUND``)."""
    status = {"open": RoundStatus.OPEN, "close": RoundStatus.CLOSED}.get(action, "")
    return round_set_status(actor=actor, round_=round_, status=status)


@transaction.atomic
def round_set_status(*, actor: Actor, round_: Round, status: str) -> Round:
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    require(actor, RoundAction.MANAGE, round_)
    name = {RoundStatus.OPEN: "open", RoundStatus.CLOSED: "close"}.get(status)
    if name is None or round_.status not in workflow.ROUND[name].sources:
        raise BadTransition()
    workflow.ROUND.check(actor, round_, name)
    old, new = workflow.ROUND.move(actor=actor, obj=round_, name=name)
    round_.save(update_fields=["status", "updated_at"])
    log_action(actor, workflow.ROUND.audit_code(name), round_, place=actor.place, data={"from": old, "to": new})
    return round_


@transaction.atomic
def stratum_set_quota(*, actor: Actor, stratum: Stratum, quota: int) -> Stratum:
    stratum = Stratum.objects.select_for_update(of=("self",)).select_related("round").get(pk=stratum.pk)
    require(actor, RoundAction.MANAGE, stratum.round)
    if quota < 0:
        raise SurveyError(_("A quota cannot be negative."), code="survey_bad_quota")
    stratum.quota = quota
    stratum.save(update_fields=["quota"])
    log_action(
        actor,
        "kepu.survey.quota_set",
        stratum.round,
        place=stratum.district,
        data={"stratum": stratum.code, "quota": quota},
    )
    return stratum


def _place_by(value: str, *, level: str, parent: Place | None = None) -> Place | None:
    return place_by_code_or_name(value.strip(), level=level, parent=parent)


_AREA_WORDS = {
    "urban": Area.URBAN,
    "城镇": Area.URBAN,
    "城市": Area.URBAN,
    "rural": Area.RURAL,
    "农村": Area.RURAL,
    "乡村": Area.RURAL,
}
_SEX_WORDS = {"female": Sex.FEMALE, "女": Sex.FEMALE, "male": Sex.MALE, "男": Sex.MALE}
_EDU_WORDS = {
    **{v: v for v in Education.values},
    "小学及以下": Education.PRIMARY,
    "初中": Education.JUNIOR_HIGH,
    "高中": Education.SENIOR_HIGH,
    "高中/中专": Education.SENIOR_HIGH,
    "大专及以上": Education.COLLEGE,
}


# Each import below is parse → validate → apply: ``_read_csv`` turns the text into numbered rows;
# the validator looks at every row and collects every problem with its line; ``_all_or_nothing``
# refuses the file if there is any (nothing is saved); only then one transaction applies it.
def _read_csv(text: str, required: set[str]) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """Parse: the rows of a CSV, trimmed, each with its line number (the header is line 1).

    A row with more fields than the header (an unquoted comma in a name) is not a row: it is
    returned as a problem for the validator to report with the others.
    """
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = {h.strip() for h in (reader.fieldnames or [])}
    if not required <= header:
        raise ImportInvalid(_("The file needs the columns: %(cols)s.") % {"cols": ", ".join(sorted(required))})
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[str] = []
    for line, row in enumerate(reader, start=2):
        if None in row:  # DictReader's restkey: the fields beyond the header
            problems.append(_("line %(n)s: more fields than the header has columns") % {"n": line})
            continue
        rows.append((line, {(k or "").strip(): (v or "").strip() for k, v in row.items()}))
    if not rows and not problems:
        raise ImportInvalid(_("The file has no rows."))
    return rows, problems


def _all_or_nothing(problems: list[str], message: str) -> None:
    """Refuse a file with any problem: the first 20 in the message, every one in ``data["problems"]``."""
    if problems:
        raise ImportInvalid(message % {"detail": "; ".join(problems[:20])}, data={"problems": problems})


def _round_to_change(actor: Actor, round_: Round) -> Round:
    """The round, locked, once the actor may manage it (apply's first step)."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    require(actor, RoundAction.MANAGE, round_)
    return round_


@dataclass(frozen=True)
class _SampleRow:
    """One sampled community of a sample CSV, with its places found."""

    line: int
    district: Place | None
    area: str | None
    street: Place | None
    community: Place | None
    weight: float
    psu_pop: int | None
    quota: int | None


def design_import_csv(*, actor: Actor, round_: Round, text: str) -> dict:
    """Replace a round's sample with the rows of a CSV; all or nothing.

    Columns: ``district, area, street, community, base_weight`` and optionally
    ``psu_population`` (streets in the stratum's population, for the FPC) and ``quota``.
    Places are given by code or by name; a stratum is district × urban/rural.
    """
    rows, problems = _read_csv(text, {"district", "area", "street", "community", "base_weight"})
    plan = _sample_validate(rows, problems)
    return _sample_apply(actor=actor, round_=round_, plan=plan)


def _sample_validate(rows: list[tuple[int, dict[str, str]]], parse_problems: list[str]) -> list[_SampleRow]:
    """Every row checked on its own, then together; refuses the file with every problem found (and parse's)."""
    problems = list(parse_problems)
    plan = [r for r in (_sample_row(line, row, problems) for line, row in rows) if r is not None]
    problems += _sample_conflicts(plan)
    _all_or_nothing(problems, _("The sample was not imported: %(detail)s"))
    return plan


def _sample_row(line: int, row: dict[str, str], problems: list[str]) -> _SampleRow | None:
    """One row's places and numbers, its problems added to ``problems`` (None when its numbers are not numbers)."""
    district = _place_by(row["district"], level=PlaceLevel.DISTRICT)
    area = _AREA_WORDS.get(row["area"].lower() if row["area"].isascii() else row["area"])
    street = _place_by(row["street"], level=PlaceLevel.STREET, parent=district) if district else None
    community = _place_by(row["community"], level=PlaceLevel.COMMUNITY, parent=street) if street else None
    try:
        weight = float(row["base_weight"])
        psu_pop = int(row["psu_population"]) if row.get("psu_population") else None
        quota = int(row["quota"]) if row.get("quota") else None
    except ValueError:
        problems.append(_("line %(n)s: numbers expected in base_weight, psu_population and quota") % {"n": line})
        return None
    if district is None:
        problems.append(_("line %(n)s: unknown district") % {"n": line})
    elif street is None:
        problems.append(_("line %(n)s: unknown street/town in that district") % {"n": line})
    elif community is None:
        problems.append(_("line %(n)s: unknown community/village in that street") % {"n": line})
    if area is None:
        problems.append(_("line %(n)s: area must be urban or rural") % {"n": line})
    if weight <= 0 or (psu_pop is not None and psu_pop < 1) or (quota is not None and quota < 0):
        problems.append(_("line %(n)s: weights and sizes must be positive") % {"n": line})
    return _SampleRow(line, district, area, street, community, weight, psu_pop, quota)


def _sample_conflicts(plan: list[_SampleRow]) -> list[str]:
    """Rows that disagree: a community listed twice, a street in two strata."""
    problems: list[str] = []
    seen: set[str] = set()
    for r in plan:
        if r.community is not None:
            if r.community.code in seen:
                problems.append(_("line %(n)s: community listed twice") % {"n": r.line})
            seen.add(r.community.code)
    street_stratum: dict[str, str] = {}
    for r in plan:
        if r.street is not None:
            key = f"{r.district.code}-{r.area}"
            if street_stratum.setdefault(r.street.code, key) != key:
                problems.append(_("line %(n)s: a street lies in one stratum only") % {"n": r.line})
    return problems


def _sample_apply(*, actor: Actor, round_: Round, plan: list[_SampleRow]) -> dict:
    """The round's strata, sampled streets and communities replaced by the plan's, in one transaction."""
    with transaction.atomic():
        round_ = _round_to_change(actor, round_)
        if round_.status != RoundStatus.DRAFT:
            raise SurveyError(
                _("The sample can be changed only while the round is a draft."), code="survey_sample_locked"
            )
        Stratum.objects.filter(round=round_).delete()
        strata: dict[str, Stratum] = {}
        streets: dict[str, SampledStreet] = {}
        for r in plan:
            key = f"{r.district.code}-{r.area}"
            stratum = strata.get(key)
            if stratum is None:
                stratum = strata[key] = Stratum.objects.create(
                    round=round_,
                    code=key,
                    district=r.district,
                    area=r.area,
                    psu_population=r.psu_pop,
                    quota=r.quota or 0,
                )
            elif (r.psu_pop and not stratum.psu_population) or (r.quota and not stratum.quota):
                stratum.psu_population = stratum.psu_population or r.psu_pop
                stratum.quota = stratum.quota or r.quota or 0
                stratum.save(update_fields=["psu_population", "quota"])
            ps = streets.get(r.street.code)
            if ps is None:
                ps = streets[r.street.code] = SampledStreet.objects.create(stratum=stratum, place=r.street)
            SampledCommunity.objects.create(street=ps, place=r.community, base_weight=r.weight)
        summary = {"strata": len(strata), "streets": len(streets), "communities": len(plan)}
        log_action(actor, "kepu.survey.sample_imported", round_, place=actor.place, data=summary)
    return summary


def _margin_level(variable: str, level: str) -> str | None:
    """The canonical level (codes and English values), or None if it is not one."""
    parts = [p.strip() for p in level.split("|")]
    names = variable.split("*")
    if len(parts) != len(names):
        return None
    out = []
    for name, part in zip(names, parts, strict=True):
        if name == "district":
            place = _place_by(part, level=PlaceLevel.DISTRICT)
            value = place.code if place else None
        elif name == "sex":
            value = _SEX_WORDS.get(part.lower() if part.isascii() else part)
        elif name == "area":
            value = _AREA_WORDS.get(part.lower() if part.isascii() else part)
        elif name == "education":
            value = _EDU_WORDS.get(part)
        elif name == "age_group":
            value = part.replace("–", "-") if part.replace("–", "-") in AgeGroup.values else None
        else:
            value = None
        if value is None:
            return None
        out.append(value)
    return "|".join(out)


def margins_import_csv(*, actor: Actor, round_: Round, text: str) -> int:
    """Replace a round's population margins with a CSV ``variable, level, total``; all or nothing.

    Variables: ``district*sex``, ``age_group``, ``education``, ``area``, ``sex``,
    ``district``. Levels may use names (大兴区|女) or codes (110115|female). Every margin
    must add up to the same population.
    """
    rows, problems = _read_csv(text, {"variable", "level", "total"})
    cells = _margins_validate(rows, problems)
    return _margins_apply(actor=actor, round_=round_, cells=cells)


def _margins_validate(
    rows: list[tuple[int, dict[str, str]]], parse_problems: list[str]
) -> dict[tuple[str, str], float]:
    """The population total of each (variable, level) cell; refuses the file with every problem found.

    A row's level is read in its variable's words; a cell is given once; and when every row is
    right, every variable's cells add up to the same population (within 0.1%).
    """
    problems = list(parse_problems)
    cells: dict[tuple[str, str], float] = {}
    for line, row in rows:
        variable = row["variable"]
        if variable not in MarginVariable.values:
            problems.append(_("line %(n)s: unknown variable %(v)s") % {"n": line, "v": variable})
            continue
        level = _margin_level(variable, row["level"])
        try:
            total = float(row["total"].replace(",", ""))
        except ValueError:
            total = -1
        if level is None:
            problems.append(_("line %(n)s: unknown level %(l)s") % {"n": line, "l": row["level"]})
        elif total <= 0:
            problems.append(_("line %(n)s: the total must be a positive number") % {"n": line})
        elif (variable, level) in cells:
            problems.append(_("line %(n)s: this cell is listed twice") % {"n": line})
        else:
            cells[(variable, level)] = total
    sums: dict[str, float] = {}
    for (variable, _level), total in cells.items():
        sums[variable] = sums.get(variable, 0) + total
    if not problems and sums and max(sums.values()) - min(sums.values()) > 0.001 * max(sums.values()):
        problems.append(_("the margins do not add up to the same population"))
    _all_or_nothing(problems, _("The margins were not imported: %(detail)s"))
    return cells


def _margins_apply(*, actor: Actor, round_: Round, cells: dict[tuple[str, str], float]) -> int:
    """The round's population margins replaced by ``cells``, in one transaction."""
    with transaction.atomic():
        round_ = _round_to_change(actor, round_)
        PopulationMargin.objects.filter(round=round_).delete()
        PopulationMargin.objects.bulk_create(
            [PopulationMargin(round=round_, variable=v, level=lev, total=t) for (v, lev), t in cells.items()]
        )
        log_action(actor, "kepu.survey.margins_imported", round_, place=actor.place, data={"cells": len(cells)})
    return len(cells)


# --------------------------------------------------------------------------- responses
def _validate_demographics(sex, age, education, area, key_population) -> dict:
    errors = {}
    if sex not in Sex.values:
        errors["sex"] = _("Choose a sex.")
    try:
        age = int(age)
    except (TypeError, ValueError):
        age = None
    if age is None or not MIN_AGE <= age <= MAX_AGE:
        errors["age"] = _("The survey is for residents aged 18 to 69.")
    if education not in Education.values:
        errors["education"] = _("Choose an education level.")
    if area not in Area.values:
        errors["area"] = _("Choose urban or rural.")
    if key_population and key_population not in KeyPopulation.values:
        errors["key_population"] = _("Choose a key population or leave it empty.")
    if errors:
        raise SurveyError(
            _("Please check the answers about yourself."), code="survey_bad_demographics", data={"errors": errors}
        )
    return {"sex": sex, "age": age, "education": education, "area": area, "key_population": key_population or ""}


@transaction.atomic
def response_start(
    *,
    actor: Actor,
    round_: Round,
    community: Place,
    sex: str,
    age: int,
    education: str,
    area: str,
    key_population: str = "",
    respondent_label: str = "",
) -> Response:
    """Begin a questionnaire: a resident for themself, or an interviewer for a resident.

    The round row is not locked (thousands of residents start at once); a resident's
    second start is refused by the unique constraint even when two arrive together.
    """
    round_ = Round.objects.get(pk=round_.pk)
    if not round_.is_open:
        raise RoundNotOpen()
    is_resident = can(actor, RoundAction.RESPOND, round_)
    if is_resident:
        require(actor, RoundAction.TAKE, round_)
        if Response.objects.filter(round=round_, respondent=actor.user).exists():
            raise AlreadyAnswered()
    else:
        require(actor, RoundAction.INTERVIEW, round_)
        if not actor.area_path or not community.path.startswith(actor.area_path):
            raise NotAllowed(_("You can interview residents of your own area only."))
    unit = SampledCommunity.objects.filter(round=round_, place=community).first()
    if unit is None:
        raise NotInSample()
    fields = _validate_demographics(sex, age, education, area, key_population)
    try:
        with transaction.atomic():
            response = Response.objects.create(
                round=round_,
                unit=unit,
                place=community,
                respondent=actor.user if is_resident else None,
                interviewer=None if is_resident else actor.user,
                respondent_label=respondent_label.strip()[:50],
                **fields,
            )
    except IntegrityError:
        raise AlreadyAnswered() from None
    log_action(actor, "kepu.survey.response_started", response, place=community)
    return response


def _lock_for_edit(actor: Actor, response: Response) -> Response:
    response = Response.objects.select_for_update(of=("self",)).select_related("round").get(pk=response.pk)
    require(actor, ResponseAction.EDIT, response)
    return response


def _clean_answer(question: Question, value) -> str:
    keys = {o["key"] for o in question.options}
    if isinstance(value, (list, tuple)):
        chosen = sorted({str(v).upper() for v in value})
    else:
        chosen = sorted(set(str(value or "").upper().replace(",", "")))
    if not chosen or not set(chosen) <= keys or (question.kind != QuestionKind.MULTIPLE and len(chosen) != 1):
        raise SurveyError(_("Choose one of the options."), code="survey_bad_answer")
    return "".join(chosen)


def response_answer(*, actor: Actor, response: Response, question_code: str, value) -> Response:
    """Save one answer and move the resume point to the next question."""
    return response_save_answers(actor=actor, response=response, answers={question_code: value})


@transaction.atomic
def response_save_answers(*, actor: Actor, response: Response, answers: dict) -> Response:
    """Save a page of answers (question code → option key, or keys for a multiple choice); all or none.

    The resume point moves past the last question saved, so an interrupted questionnaire
    continues where it stopped.
    """
    response = _lock_for_edit(actor, response)
    questions = list(response.round.bank.questions.order_by("position"))
    index = {q.code: i for i, q in enumerate(questions)}
    cleaned = {}
    for code, value in answers.items():
        if code not in index:
            raise SurveyError(_("No such question."), code="survey_no_question")
        cleaned[code] = _clean_answer(questions[index[code]], value)
    if not cleaned:
        return response
    response.answers = {**response.answers, **cleaned}
    response.position = min(max(index[c] for c in cleaned) + 1, len(questions))
    response.save(update_fields=["answers", "position", "updated_at"])
    return response


@transaction.atomic
def response_submit(*, actor: Actor, response: Response) -> Response:
    response = _lock_for_edit(actor, response)
    workflow.RESPONSE.check(actor, response, "submit")
    codes = list(response.round.bank.questions.values_list("code", flat=True))
    missing = [c for c in codes if not response.answers.get(c)]
    if missing:
        raise Incomplete(data={"missing": missing})
    workflow.RESPONSE.move(actor=actor, obj=response, name="submit")
    response.submitted_at = clock.now()
    response.save(update_fields=["status", "submitted_at", "updated_at"])
    log_action(actor, workflow.RESPONSE.audit_code("submit"), response, place=response.place)
    return response


@transaction.atomic
def response_review(*, actor: Actor, response: Response, decision: str, reason: str = "") -> Response:
    """Approve, refuse (with a reason) or hold a submitted questionnaire."""
    response = Response.objects.select_for_update(of=("self",)).select_related("place").get(pk=response.pk)
    require(actor, ResponseAction.REVIEW, response)
    name = workflow.DECISION_TRANSITION.get(decision)
    if name is None or not workflow.can_review(response.status, decision):
        raise BadTransition()
    workflow.RESPONSE.check(actor, response, name)
    reason = reason.strip()
    if workflow.RESPONSE[name].needs_reason and not reason:
        raise ReasonRequired()
    old, _new = workflow.RESPONSE.move(actor=actor, obj=response, name=name)
    response.review_reason = reason[:300]
    response.reviewed_by = actor.user
    response.reviewed_at = clock.now()
    response.save(update_fields=["status", "review_reason", "reviewed_by", "reviewed_at", "updated_at"])
    log_action(
        actor,
        workflow.RESPONSE.audit_code(name),
        response,
        place=response.place,
        data={"from": old, "to": decision, "reason": reason},
    )
    return response


# --------------------------------------------------------------------------- estimation
@transaction.atomic
def estimation_request(*, actor: Actor, round_: Round) -> EstimationRun:
    """Queue scoring and estimation for a round (the work runs in the background)."""
    round_ = Round.objects.select_for_update().get(pk=round_.pk)
    require(actor, RoundAction.MANAGE, round_)
    if round_.bank is None:
        raise SurveyError(_("The round has no question bank."), code="survey_no_bank")
    # A run the worker lost (killed mid-way) must not block the round forever.
    pending = round_.runs.filter(
        status__in=[RunStatus.QUEUED, RunStatus.RUNNING], created_at__gte=timezone.now() - STALE_RUN
    )
    if pending.exists():
        raise SurveyError(
            _("An estimation is already under way for this round."), code="survey_run_pending", status=409
        )
    run = EstimationRun.objects.create(round=round_, requested_by=actor.user, rule=round_.rule)
    log_action(actor, "kepu.survey.estimation_requested", round_, place=actor.place, data={"run": run.pk})
    from kepu.survey.tasks import run_estimation

    transaction.on_commit(lambda: run_estimation.enqueue(run.pk))
    return run


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _write_scores(round_: Round, outcome) -> None:
    """Store each approved response's score with one prepared UPDATE run many times.

    ``bulk_update`` builds a CASE expression per column and is slow past a few thousand
    rows; ``executemany`` of a single-row UPDATE stays fast for a whole round.
    """
    meta = Response._meta
    qn = connection.ops.quote_name
    cols = ["total_score", "dimension_scores", "literate", "scored_rule"]
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        qn(meta.db_table), ", ".join(f"{qn(meta.get_field(c).column)} = %s" for c in cols), qn(meta.pk.column)
    )
    dims_field = meta.get_field("dimension_scores")
    params = []
    for i, pk in enumerate(outcome.response_ids):
        row = outcome.scores.row(i)
        dims = {k: round(v, 2) for k, v in row["dimensions"].items()}
        params.append(
            (round(row["total"], 2), dims_field.get_db_prep_save(dims, connection), row["literate"], round_.rule, pk)
        )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    # Responses no longer approved lose the score an earlier run gave them.
    Response.objects.filter(round=round_).exclude(status=ResponseStatus.APPROVED).update(
        total_score=None, dimension_scores={}, literate=None, scored_rule=""
    )


def estimation_execute(*, run_id: int) -> EstimationRun:
    """Do the work of one run: score approved responses, estimate, write the results.

    Called by the background task. A failure of the engine (no approved responses,
    margins that do not fit the sample) is recorded on the run with the engine's code,
    so the office sees why.
    """
    from kepu.survey import analysis

    with transaction.atomic():
        run = EstimationRun.objects.select_for_update(of=("self",)).select_related("round__bank").get(pk=run_id)
        if not workflow.RUN.allowed(SYSTEM, run, "start"):
            return run
        workflow.RUN.move(actor=SYSTEM, obj=run, name="start")
        run.started_at = clock.now()
        run.save(update_fields=["status", "started_at", "updated_at"])
    round_ = run.round
    try:
        outcome = analysis.run(round_)
    except literacy.LiteracyError as exc:
        workflow.RUN.move(actor=SYSTEM, obj=run, name="fail")
        run.error_code = exc.code
        run.error_message = exc.message + (
            f" {json.dumps(exc.details, ensure_ascii=False, default=str)}" if exc.details else ""
        )
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error_code", "error_message", "finished_at", "updated_at"])
        log_action(
            None,
            "kepu.survey.estimation_failed",
            round_,
            place=round_.owner.place,
            data={"run": run.pk, "code": exc.code},
        )
        return run
    district_names = dict(places_at(PlaceLevel.DISTRICT).values_list("code", "name"))
    with transaction.atomic():
        run = EstimationRun.objects.select_for_update().get(pk=run_id)
        _write_scores(round_, outcome)
        rows = []
        for position, (kind, est) in enumerate(outcome.estimates):
            level = est.domain or ""
            label = district_names.get(level, level) if kind == "district" else (level or round_.owner.place.name)
            rows.append(
                LiteracyEstimate(
                    run=run,
                    kind=kind,
                    level=level,
                    label=label[:60],
                    position=position,
                    estimate=est.estimate,
                    se=_finite(est.se),
                    ci_low=_finite(est.ci_low),
                    ci_high=_finite(est.ci_high),
                    df=est.df,
                    n=est.n,
                    weighted_n=est.weighted_n,
                    deff=_finite(est.deff),
                )
            )
        LiteracyEstimate.objects.bulk_create(rows)
        workflow.RUN.move(actor=SYSTEM, obj=run, name="finish")
        run.respondents = len(outcome.response_ids)
        run.calibrated = outcome.calibrated
        run.summary = outcome.summary
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "respondents", "calibrated", "summary", "finished_at", "updated_at"])
        log_action(
            None,
            "kepu.survey.results_published",
            round_,
            place=round_.owner.place,
            data={"run": run.pk, "respondents": run.respondents},
        )
    return run
