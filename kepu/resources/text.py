"""Rich text of pieces: sanitized with nh3 on the way in, plain text for search and previews."""

from __future__ import annotations

import html

import nh3

TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "em", "b", "i", "u", "sub", "sup", "ul", "ol", "li",
    "blockquote", "a", "hr", "abbr", "table", "caption", "thead", "tbody", "tr", "th", "td",
    "figure", "figcaption",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}


def clean_html(value: str) -> str:
    """Keep only structure and links (no scripts, styles, images or event handlers).

    Plain text without tags (typed in a textarea, or sent through the API) becomes paragraphs.
    """
    value = (value or "").strip()
    if not value:
        return ""
    if "<" not in value:
        paragraphs = [p.strip() for p in value.replace("\r\n", "\n").split("\n") if p.strip()]
        value = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return nh3.clean(
        value,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def plain_text(value: str) -> str:
    """The words of sanitized HTML, without tags, entities decoded."""
    text = nh3.clean((value or "").replace("</p>", "</p>\n").replace("<br>", "\n"), tags=set())
    return html.unescape(text).strip()
