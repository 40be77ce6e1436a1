"""Match responsible units as written (责任单位) to the caller's organizations.

A pure function over data passed in: the web app hands over its organizations
as simple records and gets back, for every written name, either the
organization it means, a *group token* (各成员单位, 各镇（街道）（地区）) for
the app to expand against its own organizations by kind, or candidates ranked
by similarity for a person to pick from. Nothing is guessed silently: a name
that fits two organizations equally is left unresolved with both offered.

Order of evidence, strongest first: the exact name; the short name; one of the
organization's aliases; the same name once district and Party prefixes are
removed (密云区科委 = 区科委); the built-in table of Beijing department names
(区科委 = 区科学技术委员会 = 区科信局, see :mod:`.aliases`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from .aliases import canonical_name, department_of

#: Organization kinds the group tokens expand to (the values of kepu.orgs' OrgKind).
MEMBER_UNIT = "member_unit"
DISTRICT_OFFICE = "district_office"
STREET_OFFICE = "street_office"


class MatchStatus:
    """What became of one written name (or part of one)."""

    MATCHED = "matched"  # one organization
    GROUP = "group"  # a group phrase: expand ``group`` against the organizations
    UNRESOLVED = "unresolved"  # a person has to pick from ``candidates``


class MatchMethod:
    """Which evidence decided a match; shown to the person checking it."""

    EXACT = "exact"
    SHORT_NAME = "short_name"
    ALIAS = "alias"
    NORMALIZED = "normalized"  # same name without district / Party prefixes
    BUILTIN_ALIAS = "builtin_alias"  # same department per the built-in table
    GROUP = "group"
    AMBIGUOUS = "ambiguous"  # several organizations fit equally well
    NONE = "none"


@dataclass(frozen=True)
class Organization:
    """The caller's view of an organization: just what matching needs."""

    id: Any
    name: str
    short_name: str = ""
    aliases: tuple[str, ...] = ()
    kind: str = ""


@dataclass(frozen=True)
class GroupToken:
    """A group of organizations a plan names collectively, for the caller to expand.

    Expand to the organizations whose ``kind`` is in ``kinds`` and, when
    ``name_suffixes`` is not empty, whose name (or short name) ends with one of
    them: 各街道 is the street offices only, 各镇（街道）（地区） all three.
    """

    code: str  # "member_units", "streets_and_towns", "district_offices", "related_units"
    kinds: tuple[str, ...]
    name_suffixes: tuple[str, ...] = ()
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kinds": list(self.kinds),
            "name_suffixes": list(self.name_suffixes),
            "label": self.label,
        }


@dataclass(frozen=True)
class Candidate:
    """An organization offered for an unresolved name, with a 0–1 similarity."""

    organization_id: Any
    name: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"organization_id": self.organization_id, "name": self.name, "score": self.score}


@dataclass
class UnitMatch:
    """The outcome for one written name, or one part of it.

    A compound such as 区科协及其他成员单位 yields two matches with the same
    ``raw``: one for ``part`` 区科协 and a group for 其他成员单位.
    """

    raw: str
    part: str
    status: str
    method: str
    organization_id: Any = None
    organization_name: str | None = None
    group: GroupToken | None = None
    candidates: list[Candidate] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "raw": self.raw,
            "part": self.part,
            "status": self.status,
            "method": self.method,
            "organization_id": self.organization_id,
            "organization_name": self.organization_name,
            "group": self.group.to_dict() if self.group else None,
            "candidates": [c.to_dict() for c in self.candidates],
        }


MEMBER_UNITS = GroupToken(
    code="member_units",
    kinds=(MEMBER_UNIT, DISTRICT_OFFICE),
    label="member units of the joint meeting (成员单位)",
)
RELATED_UNITS = GroupToken(
    code="related_units",
    kinds=(MEMBER_UNIT,),
    label="the departments concerned (有关部门): a person should narrow this down",
)
DISTRICT_OFFICES = GroupToken(code="district_offices", kinds=(DISTRICT_OFFICE,), label="every district (各区)")

#: 各成员单位, 其他成员单位, 联席会议各成员单位, 区科普工作联席会议成员单位 …
_MEMBER_GROUP = re.compile(r"^(?:各|其他|其它|其余|相关|各相关|有关|各有关|全体)?(?:\S*联席会议)?(?:各|全体)?成员单位$")
#: 各有关部门, 相关单位, 各部门, 各单位 …
_RELATED_GROUP = re.compile(r"^(?:各|各相关|各有关|相关|有关|其他|其它)(?:部门|单位|委办局|职能部门)$")
#: 各区, 各区科协, 各区政府
_DISTRICT_GROUP = re.compile(r"^各区(?:科协|政府|人民政府)?$")
#: The front of a street/town group: 各, 各相关, 属地, 所在 …
_PLACE_GROUP_PREFIX = re.compile(r"^(?:各相关|各有关|各|相关|有关|属地|所在|所属|全区)")
#: Place words a street/town group is made of, longest first, and the name ending each stands for.
_PLACE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("街道办事处", ("街道",)),
    ("乡镇", ("乡", "镇")),
    ("镇街", ("镇", "街道")),
    ("街镇", ("街道", "镇")),
    ("街乡", ("街道", "乡")),
    ("街道", ("街道",)),
    ("地区", ("地区",)),
    ("镇", ("镇",)),
    ("乡", ("乡",)),
    ("街", ("街道",)),
)
#: Between the parts of a group phrase: brackets, 、, 和 …
_GROUP_FILLER = re.compile(r"[（）()、，,和及与/\s]")
#: Where a compound splits: "区科协及其他成员单位" -> 区科协 | 其他成员单位.
_COMPOUND = re.compile(r"以及|及|和|与")


def match_units(
    raw_names: Iterable[str],
    organizations: Sequence[Organization | Mapping[str, Any] | Any],
    *,
    extra_districts: tuple[str, ...] = (),
    max_candidates: int = 5,
) -> list[UnitMatch]:
    """Match each written unit name to an organization, a group token or candidates.

    ``organizations`` may be :class:`Organization` records, mappings with the
    same keys, or any objects with ``id``, ``name``, ``short_name``, ``aliases``
    and ``kind`` attributes (a Django model instance works). Returns the
    matches in the order of ``raw_names``; a compound name gives several.
    """
    index = _OrgIndex([_coerce(o) for o in organizations], extra_districts)
    matches: list[UnitMatch] = []
    for raw in raw_names:
        raw = raw.strip()
        if not raw:
            continue
        for part in _split_compound(raw):
            group = group_token(part)
            if group is not None:
                matches.append(
                    UnitMatch(raw=raw, part=part, status=MatchStatus.GROUP, method=MatchMethod.GROUP, group=group)
                )
                continue
            matches.append(index.match(raw, part, max_candidates))
    return matches


def group_token(name: str) -> GroupToken | None:
    """The group a collective name stands for, or None for a single organization."""
    compact = re.sub(r"\s+", "", name).removesuffix("等")
    if _MEMBER_GROUP.match(compact):
        return MEMBER_UNITS
    if _RELATED_GROUP.match(compact):
        return RELATED_UNITS
    if _DISTRICT_GROUP.match(compact):
        return DISTRICT_OFFICES
    prefix = _PLACE_GROUP_PREFIX.match(compact)
    if not prefix:
        return None
    suffixes: list[str] = []
    for segment in _GROUP_FILLER.split(compact[prefix.end() :]):
        segment = segment.removesuffix("人民政府").removesuffix("政府")
        ends = _place_words(segment)
        if ends is None:
            return None
        suffixes.extend(e for e in ends if e not in suffixes)
    if not suffixes:
        return None
    return GroupToken(
        code="streets_and_towns",
        kinds=(STREET_OFFICE,),
        name_suffixes=tuple(suffixes),
        label="street and town offices (" + "、".join(suffixes) + ")",
    )


def _place_words(segment: str) -> list[str] | None:
    """The name endings a run of place words stands for ("街乡镇" -> 街道, 乡, 镇), or None."""
    if not segment:
        return []
    for word, ends in _PLACE_WORDS:
        if segment.startswith(word):
            rest = _place_words(segment[len(word) :])
            if rest is not None:
                return [*ends, *rest]
    return None


def _split_compound(raw: str) -> list[str]:
    """Split "区科协及其他成员单位" into its organization and its group.

    Only splits when the right-hand side is a group phrase, so names that
    contain 和 (区文化和旅游局) or 及 stay whole.
    """
    for found in _COMPOUND.finditer(raw):
        left, right = raw[: found.start()], raw[found.end() :]
        if left and right and group_token(right) is not None:
            return [*_split_compound(left), right]
    return [raw]


def _coerce(item: Organization | Mapping[str, Any] | Any) -> Organization:
    """An :class:`Organization` from a record, a mapping or an object with the same fields."""
    if isinstance(item, Organization):
        return item
    get = item.get if isinstance(item, Mapping) else lambda key, default=None: getattr(item, key, default)
    aliases = get("aliases", ()) or ()
    if isinstance(aliases, str):
        aliases = (aliases,)
    return Organization(
        id=get("id"),
        name=str(get("name", "") or ""),
        short_name=str(get("short_name", "") or ""),
        aliases=tuple(str(a) for a in aliases),
        kind=str(get("kind", "") or ""),
    )


def _compact(name: str) -> str:
    """Whitespace removed and brackets made one width, for exact comparison."""
    return re.sub(r"[\s\u3000]+", "", name).translate(str.maketrans("()", "（）"))


class _OrgIndex:
    """The caller's organizations, indexed once per call for each kind of evidence."""

    def __init__(self, organizations: list[Organization], extra_districts: tuple[str, ...]) -> None:
        self.organizations = organizations
        self.extra = extra_districts
        self.names = [_compact(o.name) for o in organizations]
        self.shorts = [_compact(o.short_name) for o in organizations]
        self.aliases = [{_compact(a) for a in o.aliases} for o in organizations]
        self.spellings = [{s for s in (o.name, o.short_name, *o.aliases) if s} for o in organizations]
        self.canonical = [{canonical_name(s, extra_districts) for s in spellings} for spellings in self.spellings]
        self.departments = [
            {d for s in spellings if (d := department_of(s, extra_districts)) is not None}
            for spellings in self.spellings
        ]

    def match(self, raw: str, part: str, max_candidates: int) -> UnitMatch:
        """The match for one single-organization name."""
        written = _compact(part)
        canonical = canonical_name(part, self.extra)
        department = department_of(part, self.extra)
        stages = (
            (MatchMethod.EXACT, lambda i: self.names[i] == written),
            (MatchMethod.SHORT_NAME, lambda i: bool(self.shorts[i]) and self.shorts[i] == written),
            (MatchMethod.ALIAS, lambda i: written in self.aliases[i]),
            (MatchMethod.NORMALIZED, lambda i: canonical in self.canonical[i]),
            (MatchMethod.BUILTIN_ALIAS, lambda i: department is not None and department in self.departments[i]),
        )
        for method, test in stages:
            hits = [i for i in range(len(self.organizations)) if test(i)]
            if len(hits) == 1:
                org = self.organizations[hits[0]]
                return UnitMatch(
                    raw=raw, part=part, status=MatchStatus.MATCHED, method=method,
                    organization_id=org.id, organization_name=org.name,
                )  # fmt: skip
            if len(hits) > 1:
                candidates = [Candidate(self.organizations[i].id, self.organizations[i].name, 1.0) for i in hits]
                return UnitMatch(
                    raw=raw, part=part, status=MatchStatus.UNRESOLVED, method=MatchMethod.AMBIGUOUS,
                    candidates=candidates[:max_candidates],
                )  # fmt: skip
        return UnitMatch(
            raw=raw, part=part, status=MatchStatus.UNRESOLVED, method=MatchMethod.NONE,
            candidates=self.similar(canonical, max_candidates),
        )  # fmt: skip

    def similar(self, canonical: str, limit: int) -> list[Candidate]:
        """Organizations ranked by how alike their names are to ``canonical`` (best first)."""
        scored = []
        for i, org in enumerate(self.organizations):
            score = max((_similarity(canonical, c) for c in self.canonical[i]), default=0.0)
            if score >= 0.3:
                scored.append(Candidate(org.id, org.name, round(score, 3)))
        scored.sort(key=lambda c: (-c.score, c.name))
        return scored[:limit]


def _similarity(a: str, b: str) -> float:
    """0–1 likeness of two names: the better of sequence ratio and bigram overlap.

    The sequence ratio rewards shared order (区科委 / 区科信委); bigram overlap
    rewards shared pieces in another order (区农业农村局 / 区农村农业局).
    """
    if not a or not b:
        return 0.0
    ratio = SequenceMatcher(None, a, b).ratio()
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)} or {a}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)} or {b}
    dice = 2 * len(grams_a & grams_b) / (len(grams_a) + len(grams_b))
    return max(ratio, dice)
