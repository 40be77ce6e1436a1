"""Tag lists stored as text (``,a,b,``): "has tag a" is one portable LIKE on SQLite and PostgreSQL.

Used by activities and science resources for topics and populations.
"""


def tags_to_text(values) -> str:
    values = [v for v in dict.fromkeys(values or []) if v]
    return f",{','.join(values)}," if values else ""


def text_to_tags(text: str) -> list[str]:
    return [v for v in (text or "").split(",") if v]
