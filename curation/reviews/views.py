"""Browser pages for reviewers and criteria: the same services as the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import requests as account_requests
from accounts.models import RoleRequest
from core.errors import DomainError
from core.forms import from_body, page_of
from curation import permissions
from curation.models import Recusal, Review
from curation.reviews import criteria as criteria_services
from curation.reviews import selectors, services
from curation.reviews.forms import CriteriaForm, RecuseForm, ReviewForm
from curation.submissions.selectors import with_details


def _reviewer_required(request) -> None:
    if not permissions.may_review(request.user):
        raise PermissionDenied


@login_required
def review_queue(request):
    _reviewer_required(request)
    items = with_details(selectors.review_queue_for(request.user))
    page = page_of(request, items, 50, cap=selectors.QUEUE_COUNT_CAP)
    return render(request, "curation/review_queue.html", {"page": page})


def _next_in_queue(request):
    following = selectors.review_queue_for(request.user).first()
    if following is None:
        messages.info(request, "Your queue is empty. Thank you.")
        return redirect("review-queue")
    return redirect("review-item", item_id=following.pk)


def _reviewed(request, item_id, *, status: int = 200):
    """What the reviewer recorded for an item no longer in their queue ("you reviewed this on …"),
    or 404 when they never reviewed nor recused it."""
    judgement = selectors.own_judgement(request.user, item_id)
    if judgement is None:
        raise Http404
    review = judgement if isinstance(judgement, Review) else None
    return render(request, "curation/review_done.html", {
        "judgement": judgement, "review": review, "item": judgement.submission,
        "answered_no": selectors.answered_no(review) if review else [],
        "queue_size": selectors.review_queue_size(request.user),
        "next_item": selectors.review_queue_for(request.user).first(),
    }, status=status)


@login_required
def review_item(request, item_id):
    item = selectors.queued_item(request.user, item_id)
    if item is None:  # reviewed or recused already (Back, a second tab, a resend), or not theirs
        if request.method == "POST":
            messages.error(request, "You have already reviewed this item; your first review stands.")
            return _reviewed(request, item_id, status=409)
        return _reviewed(request, item_id)
    criteria = list(item.criteria_set.criteria.order_by("position"))
    form = ReviewForm(criteria=criteria)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = from_body(ReviewForm, request, criteria=criteria)
        if not form.is_valid():
            errors = form.error_lists()
        else:
            try:
                review = services.review_record(actor=request.user, item=item, answers=form.answers(),
                                                comment=form.cleaned_data["comment"])
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("review-queue")
            messages.success(request, f"Review recorded: {review.get_verdict_display().lower()}.")
            return redirect("review-item", item_id=item.pk)  # the receipt, before moving on
    return render(request, "curation/review_item.html", {
        "item": item, "criteria": criteria, "errors": errors, "posted": form.data,
        "reasons": Recusal.Reason.choices, "queue_size": selectors.review_queue_size(request.user),
    }, status=400 if errors else 200)


@login_required
def review_history(request):
    _reviewer_required(request)
    page = page_of(request, selectors.reviews_by(request.user), 50)
    return render(request, "curation/review_history.html", {"page": page})


@login_required
@require_POST
def review_recuse(request, item_id):
    item = selectors.review_item_or_404(request.user, item_id)
    form = from_body(RecuseForm, request)
    form.is_valid()  # any text: the service knows the reasons
    try:
        services.review_recuse(actor=request.user, item=item, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("review-item", item_id=item.pk)
    messages.success(request, "You recused yourself from that item.")
    return _next_in_queue(request)


@login_required
def criteria_admin(request):
    if not permissions.may_publish_criteria(request.user):
        raise PermissionDenied
    current = criteria_services.active_criteria_set()
    text = "\n".join(f"{c.key} | {c.question}" for c in current.criteria.order_by("position"))
    errors: list[str] = []
    if request.method == "POST":
        form = from_body(CriteriaForm, request)
        valid = form.is_valid()
        text = form.cleaned_data["criteria"]
        errors = list(form.non_field_errors())
        if valid:
            try:  # a two-person act: another administrator approves it on the Requests page
                account_requests.role_request_create(
                    actor=request.user, kind=RoleRequest.Kind.CRITERIA_PUBLISH,
                    payload={"criteria": [list(pair) for pair in form.cleaned_data["pairs"]]})
            except DomainError as exc:
                errors = exc.extra.get("errors", {}).get("criteria", [exc.message])
            else:
                messages.success(request, "Request sent; another administrator must approve it. New items use "
                                          "the new criteria once it is approved.")
                return redirect("criteria-admin")
    return render(request, "curation/criteria_admin.html", {
        "current": current, "text": text, "errors": errors,
    }, status=400 if errors else 200)
