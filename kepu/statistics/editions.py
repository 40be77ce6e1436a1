"""Reading an edition file of the indicator dictionary (TOML), all or nothing.

The file names the survey's tables, its indicators (code, label, unit, type, aggregation, the
kinds of unit that fill it, the measure that pre-fills it, the years it is valid) and its
validation rules (see ``data/edition-2024.toml``). ``read`` checks every entry and returns the
problems in words a statistics officer can act on; ``services.edition_load`` writes a file that
has none. An indicator or a rule with a later ``valid_from`` than the one in force closes the
older one the year before, so the years already filed keep the dictionary they were filed with.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from kepu.core.measures import get_measure
from kepu.statistics import expressions
from kepu.statistics.models import Aggregation, FilerKind, Severity, ValueType

FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass
class EditionFile:
    name: str
    valid_from: int
    digest: str
    tables: list[dict] = field(default_factory=list)
    indicators: list[dict] = field(default_factory=list)
    rules: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _year(value, what: str, problems: list[str]):
    if value is None:
        return None
    if not isinstance(value, int) or not FIRST_YEAR <= value <= LAST_YEAR:
        problems.append(_("%(what)s: the year must be a whole number from 2000 to 2100.") % {"what": what})
        return None
    return value


def read(content: bytes) -> EditionFile:
    """Parse and check ``content``; ``problems`` lists everything wrong (empty when it may be loaded)."""
    digest = hashlib.sha256(content).hexdigest()
    try:
        data = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return EditionFile("", 0, digest, problems=[_("The file cannot be read: %(error)s") % {"error": exc}])
    problems: list[str] = []
    head = data.get("edition") or {}
    name = str(head.get("name") or "").strip()
    if not name:
        problems.append(_("The [edition] section needs a name."))
    valid_from = _year(head.get("valid_from"), "[edition]", problems) or 0
    if not head.get("valid_from"):
        problems.append(_("The [edition] section needs valid_from (the first year it applies to)."))
    out = EditionFile(name[:100], valid_from, digest, problems=problems)

    table_codes = set()
    for i, t in enumerate(data.get("table") or [], start=1):
        code = str(t.get("code") or "").strip()
        where = _("table %(n)s (%(code)s)") % {"n": i, "code": code or "?"}
        if not code or not t.get("name") or not t.get("sheet"):
            problems.append(_("%(where)s: code, name and sheet are required.") % {"where": where})
            continue
        if len(str(t["sheet"])) > 31 or any(c in str(t["sheet"]) for c in "[]:*?/\\"):
            problems.append(
                _("%(where)s: a sheet name has at most 31 characters and none of [ ] : * ? / \\.") % {"where": where}
            )
        if code in table_codes:
            problems.append(_("%(where)s: the code is given twice.") % {"where": where})
        table_codes.add(code)
        out.tables.append(
            {
                "code": code,
                "name": str(t["name"])[:60],
                "name_en": str(t.get("name_en") or "")[:100],
                "sheet": str(t["sheet"])[:31],
                "position": i,
            }
        )

    seen: set[tuple[str, int]] = set()
    codes: set[str] = set()
    for i, ind in enumerate(data.get("indicator") or [], start=1):
        code = str(ind.get("code") or "").strip()
        where = _("indicator %(n)s (%(code)s)") % {"n": i, "code": code or "?"}
        if not expressions.CODE.match(code) or code == "X":
            problems.append(
                _("%(where)s: a code is a capital letter followed by capital letters, digits or _.") % {"where": where}
            )
            continue
        start = _year(ind.get("valid_from", valid_from), where, problems) or valid_from
        end = _year(ind.get("valid_to"), where, problems)
        if end is not None and end < start:
            problems.append(_("%(where)s: valid_to is before valid_from.") % {"where": where})
        if (code, start) in seen:
            problems.append(_("%(where)s: the code is given twice for the same year.") % {"where": where})
        seen.add((code, start))
        codes.add(code)
        row = {
            "code": code,
            "valid_from": start,
            "valid_to": end,
            "table": str(ind.get("table") or ""),
            "position": i,
            "label": str(ind.get("label") or "").strip()[:120],
            "label_en": str(ind.get("label_en") or "").strip()[:160],
            "unit": str(ind.get("unit") or "").strip()[:12],
            "value_type": str(ind.get("type") or ValueType.INTEGER),
            "aggregation": str(ind.get("aggregation") or ""),
            "parent_code": str(ind.get("parent") or ""),
            "applies_to": list(ind.get("applies_to") or []),
            "source": str(ind.get("source") or ""),
            "source_filters": dict(ind.get("source_filters") or {}),
            "help": str(ind.get("help") or "")[:300],
            "headline": bool(ind.get("headline", False)),
        }
        if row["table"] not in table_codes:
            problems.append(_("%(where)s: no table %(table)s in the file.") % {"where": where, "table": row["table"]})
        if not row["label"] or not row["unit"]:
            problems.append(_("%(where)s: label and unit are required.") % {"where": where})
        if row["value_type"] not in ValueType.values:
            problems.append(_("%(where)s: type must be integer or decimal.") % {"where": where})
        if row["aggregation"] not in Aggregation.values:
            problems.append(_("%(where)s: aggregation must be sum, area or headcount.") % {"where": where})
        unknown = set(row["applies_to"]) - set(FilerKind.values)
        if unknown:
            problems.append(
                _("%(where)s: unknown kinds of unit: %(kinds)s.")
                % {"where": where, "kinds": ", ".join(sorted(unknown))}
            )
        if row["source"]:
            measure = get_measure(row["source"])
            if measure is None:
                problems.append(
                    _("%(where)s: no measure %(key)s on the platform.") % {"where": where, "key": row["source"]}
                )
            elif not measure.honours("organizations", "year"):
                problems.append(
                    _("%(where)s: the measure %(key)s cannot count by unit and year.")
                    % {"where": where, "key": row["source"]}
                )
            elif set(row["source_filters"]) - measure.filters:
                problems.append(
                    _("%(where)s: the measure %(key)s does not understand %(filters)s.")
                    % {"where": where, "key": row["source"], "filters": ", ".join(sorted(row["source_filters"]))}
                )
        out.indicators.append(row)
    for row in out.indicators:
        if row["parent_code"] and row["parent_code"] not in codes:
            problems.append(
                _("indicator %(code)s: its parent %(parent)s is not in the file.")
                % {"code": row["code"], "parent": row["parent_code"]}
            )

    rule_seen: set[tuple[str, int]] = set()
    for i, r in enumerate(data.get("rule") or [], start=1):
        code = str(r.get("code") or "").strip()
        where = _("rule %(n)s (%(code)s)") % {"n": i, "code": code or "?"}
        start = _year(r.get("valid_from", valid_from), where, problems) or valid_from
        end = _year(r.get("valid_to"), where, problems)
        row = {
            "code": code[:20],
            "valid_from": start,
            "valid_to": end,
            "left": str(r.get("left") or ""),
            "operator": str(r.get("operator") or ""),
            "right": str(r.get("right") or ""),
            "severity": str(r.get("severity") or ""),
            "message": str(r.get("message") or "").strip()[:200],
            "message_en": str(r.get("message_en") or "").strip()[:300],
            "for_each": str(r.get("for_each") or ""),
        }
        if not code or not row["message"]:
            problems.append(_("%(where)s: code and message are required.") % {"where": where})
        if (code, start) in rule_seen:
            problems.append(_("%(where)s: the code is given twice for the same year.") % {"where": where})
        rule_seen.add((code, start))
        if row["operator"] not in expressions.OPERATORS:
            problems.append(
                _("%(where)s: the operator must be one of %(ops)s.")
                % {"where": where, "ops": " ".join(expressions.OPERATORS)}
            )
        if row["severity"] not in Severity.values:
            problems.append(_("%(where)s: severity must be error or warning.") % {"where": where})
        if row["for_each"] not in ("", "*"):
            problems.append(_('%(where)s: for_each can only be "*".') % {"where": where})
        for side in ("left", "right"):
            try:
                used = expressions.codes(row[side])
            except expressions.ExpressionError as exc:
                problems.append(f"{where}: {exc}")
                continue
            allowed = codes | ({"X"} if row["for_each"] else set())
            missing = used - allowed
            if missing:
                problems.append(
                    _("%(where)s: unknown indicators %(codes)s.")
                    % {"where": where, "codes": ", ".join(sorted(missing))}
                )
        out.rules.append(row)
    if not out.tables or not out.indicators:
        problems.append(_("The file has no tables or no indicators."))
    return out
