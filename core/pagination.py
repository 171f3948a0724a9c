"""Pages of long lists without counting them in full (the review queue: README, "The review queue at
depth").

Django's Paginator counts every row of the list to number its pages; for a list of a million rows
that count is most of the request. `CappedPaginator` counts at most `cap` rows (a LIMIT-ed count)
and pages through those: up to the cap it is Django's Paginator exactly; past it, `count` is the cap,
`capped` says there are more, and the last page is the one that ends at the cap. So no page reads
more than `cap` rows. Deeper pages are not offered: an OFFSET walks every row before it (at a depth
of 10,000 queue items PostgreSQL also compiles the plan with JIT, over a second), and a list worked
from its oldest end brings the rest forward as it goes.
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator
from django.db.models import QuerySet


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page: int, *, cap: int) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def _counted(self) -> int:
        head = self.object_list[: self.cap + 1]
        return head.count() if isinstance(head, QuerySet) else len(head)

    @cached_property
    def count(self) -> int:
        """Exact up to the cap; the cap itself when there are more (`capped`)."""
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        """More than `cap` rows: `count` is a lower bound and the pages end at the cap."""
        return self._counted > self.cap
