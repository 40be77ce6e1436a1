"""The expert library's search index: why it is its own, what its terms are, and how a search reads it.

Why not ``kepu.core.search`` (the full-text module the science library uses): that module answers "the best 20
pieces for these words", ranked. The expert library is a register that an office browses with filters: it must
return *exactly* the experts that hold every word typed and pass every filter (field, district, audience,
emergency field, the emergency team), in entry order, and count them up to a cap ("more than 1,000"). A ranked
full-text lookup falls back to partial matches when nothing holds every word, cuts its answer at a page, and cannot
say how many match; narrowing by field and district before the words are read is what keeps a search of a common
pair (大学 is in a quarter of the library) fast. Measured with 100,000 experts and 4.5 million terms: p95 41.5 ms on
SQLite and 46.9 ms on PostgreSQL (bench/volunteers/README.md), where ``LIKE '%…%'`` ordered by name took 667 ms.

The terms (``ExpertTerm``, one row per expert and term, with copies of the expert's field and district so a term's
list can be read already narrowed):

* the single characters and character pairs of each word of the expert's name, affiliation, title, sub-field and
  topics (Chinese has no spaces; a word searched matches an expert whose words hold all of its pairs, so 人工智能
  does not match 人工 + 智能 written apart);
* ``@<audience>`` for each audience, ``!<field>`` for each emergency field, and ``!team`` for the emergency team.

Written by ``index_experts`` in the transaction that saves the experts (services, imports, the admin, the seed).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from kepu.volunteers.models import Expert, ExpertTerm

#: The index term of every member of the emergency team (an indexed tag rather than a column
#: filter: the team is a twelfth of the library, and a term's list is narrowed by field and district).
EMERGENCY_TEAM_TERM = "!team"
#: Term lists are counted up to this many entries to find the rarest (past it, they are all "common").
TERM_COUNT_CAP = 20_000


def terms_of(expert: Expert) -> set[str]:
    """The index terms of one expert: characters and character pairs of its searchable text, and its tags."""
    terms = set()
    for word in expert.search_text.split():
        terms.update(word)
        terms.update(word[i : i + 2] for i in range(len(word) - 1))
    terms.update(f"@{a}" for a in expert.audiences)
    terms.update(f"!{f}" for f in expert.emergency_fields)
    if expert.is_emergency:
        terms.add(EMERGENCY_TEAM_TERM)
    return terms


def index_experts(experts: Iterable[Expert], *, fresh: bool = False) -> None:
    """(Re)write the terms of saved experts; ``fresh`` when they were just created (nothing to delete).

    Rows go in with plain ``executemany``: 100,000 experts make about four million terms, which the ORM's
    ``bulk_create`` wrote several times slower.
    """
    experts = list(experts)
    if not fresh:
        for start in range(0, len(experts), 500):
            ExpertTerm.objects.filter(expert__in=[e.pk for e in experts[start : start + 500]]).delete()
    table = connection.ops.quote_name(ExpertTerm._meta.db_table)
    rows = [(e.pk, t[:24], e.field, e.district_id) for e in experts for t in terms_of(e)]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 50_000):
            cursor.executemany(
                f"INSERT INTO {table} (expert_id, term, field, district_id) VALUES (%s, %s, %s, %s)",
                rows[start : start + 50_000],
            )


def _term_list(term: str, field: str, district_id: int | None) -> QuerySet[ExpertTerm]:
    qs = ExpertTerm.objects.filter(term=term)
    if field:
        qs = qs.filter(field=field)
    if district_id:
        qs = qs.filter(district_id=district_id)
    return qs.order_by().values("expert_id")


def query_terms(*, q: str = "", audience: str = "", emergency: bool | None = None, emergency_field: str = "") -> list:
    """The terms an expert must hold for a search: the tags asked for and the pairs of each word typed."""
    terms = []
    if audience:
        terms.append(f"@{audience}")
    if emergency_field:
        terms.append(f"!{emergency_field}")
    elif emergency:
        terms.append(EMERGENCY_TEAM_TERM)
    for word in dict.fromkeys((q or "").lower().split()):
        terms.extend({word[i : i + 2] for i in range(len(word) - 1)} or {word})
    return list(dict.fromkeys(terms))


def holding(qs: QuerySet[Expert], terms: list[str], *, field: str = "", district_id: int | None = None):
    """``qs`` narrowed to the experts that hold every term.

    Each term's list, narrowed to the field and district asked for (the index carries both), is counted on its
    covering index up to ``TERM_COUNT_CAP``; the shortest drives the search and every other term is one index probe
    per candidate. When even the shortest is that long, matches are many: the library is read in entry order and
    probed, which stops at the page's cap long before a list would end. Intersecting whole lists instead costs the
    sum of their lengths.
    """
    if not terms:
        return qs
    counted = sorted((_term_list(t, field, district_id)[:TERM_COUNT_CAP].count(), t) for t in terms)
    probes = [t for _n, t in counted]
    if counted[0][0] < TERM_COUNT_CAP:
        qs = qs.filter(pk__in=_term_list(probes.pop(0), field, district_id))
    for term in probes:
        qs = qs.filter(Exists(ExpertTerm.objects.filter(term=term, expert_id=OuterRef("pk"))))
    return qs
