"""The chart geometry stays inside the drawing and keeps intervals around their estimates."""

from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from kepu.survey import charts

rate = st.floats(min_value=0, max_value=1, allow_nan=False)


@st.composite
def estimates(draw):
    p = draw(rate)
    low = draw(st.floats(min_value=0, max_value=p))
    high = draw(st.floats(min_value=p, max_value=1))
    return SimpleNamespace(label="组", estimate=p, ci_low=low, ci_high=high)


@given(st.lists(estimates(), min_size=1, max_size=20), st.one_of(st.none(), rate.filter(lambda t: t > 0)))
def test_interval_chart_keeps_points_inside_and_between_their_bounds(rows, target):
    chart = charts.interval_chart(rows, target=target)
    for r in chart["rows"]:
        assert chart["plot_left"] <= r["x_low"] <= r["x"] <= r["x_high"] <= chart["plot_right"]
        assert 0 < r["y"] < chart["axis_y"]
    if target:
        assert chart["plot_left"] <= chart["target_x"] <= chart["plot_right"]
    assert chart["ticks"][0]["label"] == "0%"


@given(st.lists(st.tuples(st.integers(2000, 2040), rate), min_size=1, max_size=8, unique_by=lambda t: t[0]))
def test_trend_chart_places_years_left_to_right_inside_the_frame(points):
    pts = [
        {"year": y, "rate": r, "low": None, "high": None, "recorded": True, "target": None, "name": ""}
        for y, r in sorted(points)
    ]
    chart = charts.trend_chart(pts, target=0.28)
    xs = [p["x"] for p in chart["points"]]
    assert xs == sorted(xs)
    assert all(chart["left"] <= x <= chart["right"] for x in xs)
    assert all(0 <= p["y"] <= chart["bottom"] for p in chart["points"])
