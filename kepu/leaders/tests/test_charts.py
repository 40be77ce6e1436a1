"""The server-drawn charts keep every number inside the drawing, however long it is (a city's person-times run to
nine digits); the bars keep their proportions."""

from decimal import Decimal

from kepu.leaders import charts

CHAR = 0.6  # a digit or comma is about 0.6 em wide in the page's fonts


def _ends(texts_at):
    return [x + len(text) * size * CHAR for x, text, size in texts_at]


def test_pairs_keep_long_numbers_inside_the_chart():
    rows = [
        {"label": "人次", "this": Decimal(88748994), "last": Decimal(98756682)},
        {"label": "志愿服务时长", "this": Decimal("10418672.8"), "last": Decimal("10462557.8")},
        {"label": "发布资源数", "this": Decimal(51), "last": Decimal(0)},
    ]
    chart = charts.pairs(rows, this_label="2026", last_label="2025")
    ends = _ends([(b["text_x"], b["text"], 12) for it in chart["items"] for b in it["bars"]])
    assert max(ends) <= chart["width"]
    first = chart["items"][0]["bars"]
    assert first[0]["w"] > first[1]["w"] > 0  # last year's bar is the longer, each pair on its own scale
    assert chart["items"][2]["bars"][0]["w"] == 0 and chart["items"][2]["bars"][0]["text"] == "0"


def test_bars_keep_long_numbers_inside_the_chart():
    rows = [("朝阳区", Decimal(15512282), "/a"), ("西城区", Decimal(1080838), "/b"), ("延庆区", None, "/c")]
    chart = charts.bars(rows)
    assert max(_ends([(it["text_x"], it["text"], 13) for it in chart["items"]])) <= chart["width"]
    widths = [it["w"] for it in chart["items"]]
    assert widths[0] > widths[1] > widths[2] == 0
    assert round(widths[1] / widths[0], 2) == round(1080838 / 15512282, 2)
