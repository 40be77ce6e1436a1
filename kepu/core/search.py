"""Chinese full-text search shared by the apps: one interface over SQLite FTS5 and PostgreSQL.

Chinese has no spaces, and neither database's own parser splits it into words: SQLite's
``unicode61`` tokenizer and PostgreSQL's ``simple`` configuration both keep a sentence as one
token. So the text is segmented here, in Python, with jieba (one dictionary, loaded once per
process, with the platform's domain words added), and the databases only store and match the
words we hand them:

* SQLite: an FTS5 table ``search_<name>`` (rowid = the document's id; columns title, body, tags),
  ranked with ``bm25`` (a title word weighs ten body words).
* PostgreSQL: a table ``search_<name>`` (id, ``document tsvector``) with a GIN index. The vector
  is written as a tsvector *literal* (words with positions and weights A for the title, D for the
  rest), so PostgreSQL's parser and the database's locale never touch the words; ranked with
  ``ts_rank`` (normalized by length).

An app declares an index (``SearchIndex("resources")``), creates its table in a migration with
``CreateSearchIndex("resources")`` (the same migration on both databases), writes documents in the
transaction that makes them visible (``upsert`` / ``delete``), and asks ``search(q, tags=…)`` for
ranked ids, which it loads and scopes itself. Filters are *tags*: ``{"topic": ["health", "safety"],
"kind": "video"}`` means (topic health or safety) and kind video; they are stored as tokens beside
the words, so the full-text index intersects them with the words in one lookup on both databases.

The analyzer is per index: ``WORDS`` (jieba; for prose: titles, summaries, articles) or ``NGRAMS``
(single characters and character pairs; for names and short labels, where a search for 王 must
find 王伟 and no dictionary knows the name). The expert library keeps its own exact, unranked index
(``kepu.volunteers.search`` says why); see docs/ARCHITECTURE.md "Search".
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django.db.migrations.operations.base import Operation

WORDS = "words"
NGRAMS = "ngrams"

#: Words that carry no meaning in a query ("如何", "的"): dropped from queries and documents alike.
STOP_WORDS = frozenset(
    "的 了 和 与 及 或 是 在 有 也 都 就 而 等 吗 呢 吧 啊 呀 着 过 这 那 之 其 对 从 把 被 让 给 为 以 于 向 "
    "怎么 怎样 如何 什么 为什么 哪些 哪里 一个 一些 我们 你们 他们 我 你 他 她 它 要 会 能 可以 应该 "
    "怎么办 怎么样 一点 一下 有点 有没有 是不是 需要 "
    "a an and are as at be by for from in is it of on or the to with".split()
)

DOMAIN_WORDS_FILE = Path(__file__).resolve().parent / "data" / "search_words.txt"
#: Groups of words that mean the same to a reader (老人 老年人 长辈), one group per line.
SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "search_synonyms.txt"

_lock = threading.Lock()
_jieba = None
_extra_words: list[str] = []
_synonyms: dict[str, set[str]] = {}
_TOKEN = re.compile(r"[^\W_]+")
_TAG = re.compile(r"^[a-z0-9_]{1,60}$")


def add_words(words: Iterable[str]) -> None:
    """Teach the segmenter words of an app's field (``心肺复苏``, ``反诈``); call from ``AppConfig.ready``."""
    words = [w.strip() for w in words if w and w.strip()]
    with _lock:
        _extra_words.extend(words)
        if _jieba is not None:
            for w in words:
                _jieba.add_word(w)


def add_synonyms(*groups: Iterable[str]) -> None:
    """Make the words of each group find each other (a query for 电动车 also finds 电动自行车)."""
    for group in groups:
        words = [_normalize(w).strip() for w in group if w and w.strip()]
        for w in words:
            _synonyms.setdefault(w, set()).update(x for x in words if x != w)
        add_words(words)


def synonyms(word: str) -> set[str]:
    segmenter()
    return _synonyms.get(word, set())


def segmenter():
    """jieba, loaded once per process (about 0.7 s) with the domain words; later calls are free."""
    global _jieba
    if _jieba is not None:
        return _jieba
    with _lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            words, weighted = [], []
            if DOMAIN_WORDS_FILE.exists():
                # One word a line, optionally with a frequency (``调大 2000``) where a word must win
                # over a neighbour the general dictionary prefers (字调 in 把字调大).
                for line in DOMAIN_WORDS_FILE.read_text(encoding="utf-8").splitlines():
                    parts = line.split("#")[0].split()
                    if len(parts) == 2 and parts[1].isdigit():
                        weighted.append((parts[0], int(parts[1])))
                    elif parts:
                        words.append(parts[0])
            if SYNONYMS_FILE.exists():
                for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines():
                    group = [_normalize(w) for w in line.split("#")[0].split()]
                    for w in group:
                        _synonyms.setdefault(w, set()).update(x for x in group if x != w)
                    words.extend(group)
            for w in [*words, *_extra_words]:
                jieba.add_word(w)
            for w, freq in weighted:
                jieba.add_word(w, freq)
            _jieba = jieba
    return _jieba


def warm() -> None:
    """Load the dictionary now (the web server calls this at start-up, so no request pays for it)."""
    segmenter()


def _normalize(text: str) -> str:
    # Full-width letters and digits (ＡＩ, １２０) are the same word as their half-width forms.
    return unicodedata.normalize("NFKC", text or "").lower()


def _clean(pieces: Iterable[str]) -> list[str]:
    out = []
    for piece in pieces:
        for tok in _TOKEN.findall(piece):
            if tok not in STOP_WORDS and len(tok) <= 40:
                out.append(tok)
    return out


def tokens(text: str, analyzer: str = WORDS, *, query: bool = False) -> list[str]:
    """The words of ``text`` as the index stores them (``query``: as a search asks for them).

    Documents are cut in jieba's search mode (a long word and its parts: 空间站, 空间), queries in
    its precise mode (空间站), so every query word is one the document was indexed under.
    """
    text = _normalize(text)
    if not text.strip():
        return []
    if analyzer == NGRAMS:
        out = []
        for run in _TOKEN.findall(text):
            if run.isascii():
                out.append(run)
                continue
            out.extend(run)
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        return out if not query else list(dict.fromkeys(out))
    jieba = segmenter()
    if query:
        return list(dict.fromkeys(_clean(jieba.cut(text))))
    return _clean(jieba.cut_for_search(text))


def _cover(word: str) -> list[str] | None:
    """The shortest run of dictionary words, each shorter than ``word``, that spells it out (or None)."""
    parts = [p for p in _clean(segmenter().cut_for_search(word)) if p != word and len(p) > 1]
    if not parts:
        return None
    out, at = [], 0
    while at < len(word):
        best = max((p for p in parts if word.startswith(p, at)), key=len, default=None)
        if best is None:
            return None
        out.append(best)
        at += len(best)
    return out if len(out) > 1 else None


def _tag_tokens(tags: Mapping[str, object] | None) -> list[list[str]]:
    """``{"topic": ["a", "b"], "kind": "video"}`` → ``[["topic_a", "topic_b"], ["kind_video"]]``."""
    groups = []
    for name, values in (tags or {}).items():
        if values is None or values == "" or values == []:
            continue
        if isinstance(values, str | int):
            values = [values]
        group = [f"{name}_{v}".lower() for v in values if v not in (None, "")]
        for t in group:
            if not _TAG.match(t):
                raise ValueError(f"search tag {t!r}: only a-z, 0-9 and _ may be used")
        if group:
            groups.append(group)
    return groups


@dataclass
class Document:
    """One searchable thing: its id in the app's table, title, text, and the tags it is filtered by."""

    id: int
    title: str = ""
    text: str = ""
    tags: Mapping[str, object] = field(default_factory=dict)


@dataclass
class Plan:
    """A query: the words a document must hold (each with its alternatives) and those that only rank."""

    required: list[list[list[str]]]
    optional: list[list[list[str]]]


@dataclass
class Hits:
    """Ranked ids, best first; ``matched`` says whether every word matched ("all") or only some ("any")."""

    ids: list[int]
    matched: str = "all"
    words: list[str] = field(default_factory=list)

    def __iter__(self):
        return iter(self.ids)

    def __len__(self):
        return len(self.ids)


#: Body words beyond this are not indexed (PostgreSQL positions stop at 16,383; ranking needs no more).
MAX_BODY_TOKENS = 4000

_indexes: dict[str, SearchIndex] = {}


class SearchIndex:
    """A full-text index over one app's documents; see the module docstring."""

    def __init__(
        self,
        name: str,
        *,
        analyzer: str = WORDS,
        rebuild: Callable[[], Iterable[Document]] | None = None,
    ):
        if not re.match(r"^[a-z][a-z0-9_]{1,40}$", name):
            raise ValueError(f"search index name {name!r}")
        self.name = name
        self.analyzer = analyzer
        #: Yields every document that should be in the index (``rebuild_search`` calls it).
        self.rebuild_source = rebuild
        _indexes[name] = self

    @property
    def table(self) -> str:
        return table_name(self.name)

    # --- Writing ---------------------------------------------------------------------
    def upsert(self, docs: Iterable[Document]) -> int:
        """Write (or rewrite) documents; call inside the transaction that makes them visible."""
        docs = list(docs)
        if not docs:
            return 0
        self.delete([d.id for d in docs])
        qn = connection.ops.quote_name(self.table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.executemany(
                    f"INSERT INTO {qn} (id, document) VALUES (%s, %s::tsvector)",
                    [(d.id, self._tsvector(d)) for d in docs],
                )
            else:
                cursor.executemany(
                    f"INSERT INTO {qn} (rowid, title, body, tags) VALUES (%s, %s, %s, %s)",
                    [
                        (
                            d.id,
                            " ".join(tokens(d.title, self.analyzer)),
                            " ".join(tokens(d.text, self.analyzer)[:MAX_BODY_TOKENS]),
                            " ".join(t for g in _tag_tokens(d.tags) for t in g),
                        )
                        for d in docs
                    ],
                )
        return len(docs)

    def delete(self, ids: Iterable[int]) -> None:
        ids = [int(i) for i in ids]
        if not ids:
            return
        qn = connection.ops.quote_name(self.table)
        key = "id" if connection.vendor == "postgresql" else "rowid"
        with connection.cursor() as cursor:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                cursor.execute(f"DELETE FROM {qn} WHERE {key} IN ({', '.join(['%s'] * len(chunk))})", chunk)

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(self.table)}")

    def rebuild(self, batch: int = 2000) -> int:
        """Empty the index and write every document its app yields (``manage.py rebuild_search``)."""
        if self.rebuild_source is None:
            return 0
        self.clear()
        n, chunk = 0, []
        for doc in self.rebuild_source():
            chunk.append(doc)
            if len(chunk) >= batch:
                n += self._insert_fresh(chunk)
                chunk = []
        return n + self._insert_fresh(chunk)

    def _insert_fresh(self, docs):
        return self.upsert(docs) if docs else 0

    def _tsvector(self, doc: Document) -> str:
        parts, pos = [], 0
        for tok in tokens(doc.title, self.analyzer):
            pos += 1
            parts.append(f"'{tok}':{pos}A")
        for tok in tokens(doc.text, self.analyzer)[:MAX_BODY_TOKENS]:
            pos += 1
            parts.append(f"'{tok}':{min(pos, 16383)}")
        parts.extend(f"'{t}'" for g in _tag_tokens(doc.tags) for t in g)
        return " ".join(parts)

    # --- Reading ---------------------------------------------------------------------
    def words(self, q: str) -> list[str]:
        """The words a query is looked up by (also what a results page may highlight)."""
        return tokens(q, self.analyzer, query=True)[:12]

    def _terms(self, words: list[str]) -> list[list[list[str]]]:
        """Each query word with its alternatives: the word itself, or (for a compound the dictionary
        knows whole) its parts together, so 保健品骗局 also finds a text that says 保健品 … 骗局."""
        if self.analyzer != WORDS:
            return [[[w]] for w in words]
        out = []
        for w in words:
            alternatives = [[w]] + [[x] for x in sorted(synonyms(w))]
            parts = _cover(w) if len(w) > 2 else None
            out.append(alternatives + ([parts] if parts else []))
        return out

    def search(self, q: str, *, tags: Mapping[str, object] | None = None, limit: int = 20, offset: int = 0) -> Hits:
        """Ids of the documents matching every word of ``q`` and the tags, best first.

        A word also matches through its synonyms and, for a compound, through its parts together.
        Single characters next to real words (量 in 量血压, 防 in 防诈骗) only rank, they do not filter.
        When no document holds every word, the documents holding the most of them come instead
        (``Hits.matched == "any"``), so a long question typed as a sentence still finds something.
        """
        words = self.words(q)
        if not words:
            return Hits([], "all", [])
        query = self._plan(words)
        groups = _tag_tokens(tags)
        ids = self._title_first(query, groups, "all", limit, offset)
        if ids or len(query.required) + len(query.optional) == 1:
            return Hits(ids, "all", words)
        return Hits(self._any(query, groups, limit, offset), "any", words)

    def _title_first(self, query: Plan, groups, mode: str, limit: int, offset: int) -> list[int]:
        """The first pages from the documents with the words in their title, when there are enough of them.

        A title word weighs ten body words, so the best matches of a common word (诈骗: ten thousand
        documents) are the ones with it in the title; ranking only those keeps the first page fast. When
        fewer titles match than the page needs, everything matching is ranked.
        """
        if offset + limit <= self.TITLE_FIRST_DEPTH:
            ids = self._query(query, groups, mode, limit, offset, title_only=True)
            if len(ids) == limit:
                return ids
        return self._query(query, groups, mode, limit, offset)

    #: Pages deeper than this are ranked over every match.
    TITLE_FIRST_DEPTH = 100

    def _plan(self, words: list[str]) -> Plan:
        terms = self._terms(words)
        if self.analyzer != WORDS:
            return Plan(terms, [])
        multi = [t for w, t in zip(words, terms, strict=True) if len(w) > 1 or w.isascii()]
        single = [t for w, t in zip(words, terms, strict=True) if not (len(w) > 1 or w.isascii())]
        return Plan(multi, single) if multi else Plan(single, [])

    #: How many of the best partial matches are re-ranked by how many of the words they hold.
    ANY_POOL = 200

    def _any(self, query: Plan, groups, limit: int, offset: int) -> list[int]:
        if offset + limit > self.ANY_POOL:
            return self._query(query, groups, "any", limit, offset)
        # Documents with some of the words in their title first (as in ``_title_first``): when there
        # are enough of them for the page, the pool is theirs.
        pool = self._query(query, groups, "any", self.ANY_POOL, 0, title_only=True)
        if len(pool) < offset + limit:
            pool = self._query(query, groups, "any", self.ANY_POOL, 0)
        held = self._terms_of(pool)

        def matched(doc_id):
            words = held.get(doc_id, set())
            found = sum(2 for t in query.required if any(set(alt) <= words for alt in t))
            return found + sum(1 for t in query.optional if any(set(alt) <= words for alt in t))

        order = {doc_id: i for i, doc_id in enumerate(pool)}
        pool.sort(key=lambda d: (-matched(d), order[d]))
        return pool[offset : offset + limit]

    def _terms_of(self, ids: list[int]) -> dict[int, set[str]]:
        if not ids:
            return {}
        qn = connection.ops.quote_name(self.table)
        marks = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT id, tsvector_to_array(document) FROM {qn} WHERE id IN ({marks})", ids)
                return {row[0]: set(row[1]) for row in cursor.fetchall()}
            cursor.execute(f"SELECT rowid, title, body FROM {qn} WHERE rowid IN ({marks})", ids)
            return {row[0]: set(f"{row[1]} {row[2]}".split()) for row in cursor.fetchall()}

    def similar(
        self,
        title: str,
        text: str = "",
        *,
        tags: Mapping[str, object] | None = None,
        exclude: Iterable[int] = (),
        limit: int = 5,
    ) -> list[int]:
        """Documents sharing the most words with this title and text ("related pieces")."""
        # The title's words and their parts (保健品骗局: 保健品, 骗局), and the longest words of the
        # text (its subject; short ones are common to everything). Documents sharing most come first.
        words = list(dict.fromkeys(w for w in tokens(title, self.analyzer) if len(w) > 1))[:10]
        extra = sorted(set(tokens(text, self.analyzer)) - set(words), key=lambda w: (-len(w), w))
        words += [w for w in extra if len(w) > 2][:6]
        if not words:
            return []
        exclude = {int(i) for i in exclude}
        ids = self._query(Plan([[[w]] for w in words], []), _tag_tokens(tags), "any", limit + len(exclude), 0)
        return [i for i in ids if i not in exclude][:limit]

    def count(
        self, q: str, *, tags: Mapping[str, object] | None = None, cap: int = 1000, matched: str | None = None
    ) -> int:
        """How many documents ``search`` would give, up to ``cap`` (counted without ranking them).

        ``matched`` is the answer's ``Hits.matched`` when the caller already searched, which saves
        finding out again whether every word matched.
        """
        words = self.words(q)
        if not words:
            return 0
        query = self._plan(words)
        groups = _tag_tokens(tags)
        if matched is None:
            n = self._count(query, groups, "all", cap)
            if n or len(query.required) + len(query.optional) == 1:
                return n
            matched = "any"
        return self._count(query, groups, matched, cap)

    def _count(self, query: Plan, groups, mode: str, cap: int) -> int:
        sql, params = self._match(query, groups, mode)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {sql} LIMIT %s) AS hits", [*params, cap])
            return cursor.fetchone()[0]

    def _match(self, query: Plan, groups, mode: str, *, title_only: bool = False) -> tuple[str, list]:
        """``<table> WHERE <the query matches>`` and its parameters, for both databases
        (``title_only``: the words must be in the title)."""
        qn = connection.ops.quote_name(self.table)
        every = query.required + query.optional
        if connection.vendor == "postgresql":
            weight = ":A" if title_only else ""
            text_q = (
                " & ".join(_pg_term(t, weight) for t in query.required)
                if mode == "all"
                else " | ".join(_pg_term(t, weight) for t in every)
            )
            full_q = " & ".join([f"({text_q})"] + ["(" + " | ".join(f"'{t}'" for t in g) + ")" for g in groups])
            return f"{qn} WHERE document @@ %s::tsquery", [full_q]
        columns = "{title}" if title_only else "{title body}"
        any_expr = " OR ".join(_fts_term(t) for t in every)
        if mode == "all":
            expr = columns + " : (" + " AND ".join(_fts_term(t) for t in query.required) + ")"
            if query.optional:
                # Satisfied by the required words anyway; here so that bm25 counts the optional ones.
                expr += " AND {title body} : (" + any_expr + ")"
        else:
            expr = columns + " : (" + any_expr + ")"
        for g in groups:
            expr += " AND tags : (" + " OR ".join(f'"{t}"' for t in g) + ")"
        return f"{qn} WHERE {qn} MATCH %s", [expr]

    def _query(self, query: Plan, groups, mode: str, limit: int, offset: int, *, title_only: bool = False) -> list[int]:
        qn = connection.ops.quote_name(self.table)
        sql, params = self._match(query, groups, mode, title_only=title_only)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                rank_q = " | ".join(_pg_term(t) for t in query.required + query.optional)
                cursor.execute(
                    f"SELECT id FROM {sql} ORDER BY ts_rank(document, %s::tsquery, 1) DESC, id DESC LIMIT %s OFFSET %s",
                    [*params, rank_q, limit, offset],
                )
            else:
                cursor.execute(
                    f"SELECT rowid FROM {sql} ORDER BY bm25({qn}, 10.0, 1.0, 0.0), rowid DESC LIMIT %s OFFSET %s",
                    [*params, limit, offset],
                )
            return [row[0] for row in cursor.fetchall()]


def _pg_term(alternatives: list[list[str]], weight: str = "") -> str:
    return "(" + " | ".join("(" + " & ".join(f"'{w}'{weight}" for w in alt) + ")" for alt in alternatives) + ")"


def _fts_term(alternatives: list[list[str]]) -> str:
    return "(" + " OR ".join("(" + " AND ".join(f'"{w}"' for w in alt) + ")" for alt in alternatives) + ")"


def table_name(name: str) -> str:
    return f"search_{name}"


def index_named(name: str) -> SearchIndex | None:
    return _indexes.get(name)


def all_indexes() -> list[SearchIndex]:
    return list(_indexes.values())


# --- Migrations ------------------------------------------------------------------------
def _create_sql(vendor: str, name: str) -> list[str]:
    table = table_name(name)
    if vendor == "postgresql":
        return [
            f'CREATE TABLE "{table}" (id bigint PRIMARY KEY, document tsvector NOT NULL)',
            f'CREATE INDEX "{table}_gin" ON "{table}" USING gin (document)',
        ]
    if vendor == "sqlite":
        return [
            f'CREATE VIRTUAL TABLE "{table}" USING fts5(title, body, tags, '
            f"tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\")"
        ]
    raise NotImplementedError(f"search indexes need SQLite or PostgreSQL, not {vendor}")


class CreateSearchIndex(Operation):
    """Migration operation: create the table of index ``name`` (FTS5 on SQLite, tsvector + GIN on PostgreSQL).

    One operation for both databases, so an app's migrations are the same everywhere.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, name: str):
        self.name = name

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for sql in _create_sql(schema_editor.connection.vendor, self.name):
            schema_editor.execute(sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        schema_editor.execute(f'DROP TABLE IF EXISTS "{table_name(self.name)}"')

    def describe(self):
        return f"Create search index {self.name}"

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.name], {})

    @property
    def migration_name_fragment(self):
        return f"search_{self.name}"
