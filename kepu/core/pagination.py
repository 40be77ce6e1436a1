"""Pagination with a count computed elsewhere (cheaply), for lists over millions of rows."""

from django.core.paginator import Paginator


class CountedPaginator(Paginator):
    """A ``Paginator`` told its total instead of running ``COUNT(*)`` over the whole queryset."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @property
    def count(self) -> int:
        return self._known_count
