"""Curators' pages for held items: the list, and signing off or refusing one with a reason. The
item page shows the decision forms and the chain (templatetags/held_tags.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.forms import from_body, page_of
from curation import permissions
from curation.models import Submission
from curation.submissions import selectors, services
from curation.submissions.held_forms import HeldDecisionForm


def _curator_required(request) -> None:
    if not permissions.may_decide_held(request.user):
        raise PermissionDenied


def _held_item(request, item_id) -> Submission:
    """The item a curator decides on: 403 for anyone else, 404 for an unknown item."""
    _curator_required(request)
    return selectors.submission_visible_or_404(request.user, item_id)


@login_required
def held_list(request):
    _curator_required(request)
    page = page_of(request, selectors.held_items(), 50)
    return render(request, "curation/held_list.html", {"page": page})


def _decide(request, item_id, decide, done: str):
    item = _held_item(request, item_id)
    try:
        reason = from_body(HeldDecisionForm, request).cleaned_or_raise()["reason"]
        decide(actor=request.user, item=item, reason=reason)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("submission-detail", item_id=item.pk)


@login_required
@require_POST
def held_sign_off(request, item_id):
    return _decide(request, item_id, services.submission_sign_off,
                   "Signed off: the item is pending and goes to eligible reviewers.")


@login_required
@require_POST
def held_refuse(request, item_id):
    return _decide(request, item_id, services.submission_refuse, "Refused: the item is withdrawn.")
