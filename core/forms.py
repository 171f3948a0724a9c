"""How browser pages read input: a Django form bound to the query string or to the body.

Views never read `request.GET` / `request.POST` themselves (tests/test_architecture.py): they bind a
form here and use `form.cleaned_data`. Forms parse and shape input; what is allowed is decided by
the services, whose `DomainError` the views show as before.
"""

from __future__ import annotations

from typing import TypeVar

from django import forms
from django.core.paginator import Page, Paginator

from core.pagination import CappedPaginator

F = TypeVar("F", bound=forms.BaseForm)


def from_query(form_class: type[F], request, **kwargs) -> F:
    """The form bound to the request's query string (filters, searches, page numbers)."""
    return form_class(request.GET, **kwargs)


def from_body(form_class: type[F], request, **kwargs) -> F:
    """The form bound to a POSTed body and its uploaded files."""
    return form_class(request.POST, request.FILES, **kwargs)


class PageForm(forms.Form):
    # Left as text: Paginator.get_page answers any value (page 1 for junk, the last for too large).
    page = forms.CharField(required=False)


def page_of(request, items, per_page: int, *, cap: int | None = None) -> Page:
    """The page of `items` that `?page=` asks for; with `cap`, counting at most that many items
    (core/pagination.py)."""
    form = from_query(PageForm, request)
    number = form.cleaned_data["page"] if form.is_valid() else None
    paginator = Paginator(items, per_page) if cap is None else CappedPaginator(items, per_page, cap=cap)
    return paginator.get_page(number)
