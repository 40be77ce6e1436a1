"""The library's full-text index (``kepu.core.search``): published versions only.

A version enters the index in the transaction that publishes it and leaves it in the one that
withdraws or supersedes it, so search can never find a piece the library would not show.
"""

from __future__ import annotations

from kepu.core.search import Document, SearchIndex
from kepu.resources.text import plain_text

#: Words a reader uses for whom a piece is and what it is, indexed with its text: a piece tagged for the
#: elderly is found by 老年人 even when its text never says so (in Chinese whatever the page's language).
POPULATION_WORDS = {
    "elderly": "老年人 长辈",
    "youth": "青少年 学生",
    "farmers": "农民",
    "workers": "职工 产业工人",
    "officials": "领导干部 公务员",
}
KIND_WORDS = {
    "article": "文章",
    "video": "视频",
    "audio": "音频",
    "course": "课程",
    "kit": "展品 借用",
    "poster": "海报",
}


def district_code(place_path: str) -> str:
    parts = [p for p in (place_path or "").split("/") if p]
    return parts[1] if len(parts) > 1 else "city"


def document(r) -> Document:
    lessons = " ".join(lesson.title for lesson in r.lessons.all()) if r.kind == "course" else ""
    audience = " ".join(POPULATION_WORDS.get(p, "") for p in r.population_list)
    parts = (r.summary, plain_text(r.body), lessons, r.transcript[:20000], r.author, r.source_unit.name)
    text = " ".join(p for p in (*parts, audience, KIND_WORDS.get(r.kind, "")) if p)
    return Document(
        r.pk,
        r.title,
        text,
        {
            "topic": r.topic_list,
            "population": r.population_list,
            "kind": r.kind,
            "district": district_code(r.place_path),
        },
    )


def _published():
    from kepu.resources.models import Resource, Status

    qs = Resource.objects.filter(status=Status.PUBLISHED).select_related("source_unit").prefetch_related("lessons")
    for r in qs.iterator(chunk_size=2000):
        yield document(r)


INDEX = SearchIndex("resources", rebuild=_published)


def add(resources) -> None:
    from kepu.resources.models import Resource

    ids = [r.pk for r in resources]
    rows = Resource.objects.filter(pk__in=ids).select_related("source_unit").prefetch_related("lessons")
    INDEX.upsert(document(r) for r in rows)


def remove(ids) -> None:
    INDEX.delete(ids)
