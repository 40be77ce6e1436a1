"""Paging long order lists without counting them.

A district has hundreds of thousands of orders; ``COUNT(*)`` over them costs more than the
page itself. The list shows "previous / next" instead of "page n of m": one extra row is
fetched to know whether there is a next page.
"""

from dataclasses import dataclass


@dataclass
class Window:
    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)


def window(queryset, page, per_page: int = 25, max_page: int = 400) -> Window:
    try:
        number = min(max(int(page or 1), 1), max_page)
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return Window(rows[:per_page], number, len(rows) > per_page)
