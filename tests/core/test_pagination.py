"""core/pagination.py: a paginator that counts at most `cap` items and pages through those."""

from __future__ import annotations

import pytest

from core.forms import page_of
from core.pagination import CappedPaginator

ITEMS = list(range(25))


def test_under_the_cap_it_is_djangos_paginator():
    paginator = CappedPaginator(ITEMS, 10, cap=30)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (25, False, 3)
    assert list(paginator.page(3)) == ITEMS[20:] and not paginator.page(3).has_next()


def test_exactly_at_the_cap_is_not_capped():
    paginator = CappedPaginator(ITEMS[:10], 4, cap=10)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (10, False, 3)


def test_past_the_cap_the_pages_end_at_the_cap():
    paginator = CappedPaginator(ITEMS, 4, cap=10)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (10, True, 3)
    last = paginator.page(3)
    assert list(last) == [8, 9] and not last.has_next() and last.has_previous()


@pytest.mark.parametrize(("query", "number"), [("", 1), ("?page=2", 2), ("?page=junk", 1), ("?page=99", 3),
                                               ("?page=-1", 3)])
def test_page_of_with_a_cap_answers_any_page_value_as_the_paginator_does(rf, query, number):
    assert page_of(rf.get(f"/x/{query}"), ITEMS, 4, cap=10).number == number
