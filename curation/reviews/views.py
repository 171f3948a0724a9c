"""Browser pages for reviewers and criteria: the same services as the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import requests as account_requests
from accounts.models import RoleRequest
from core.errors import DomainError
from curation import permissions
from curation.models import Recusal, Submission
from curation.reviews import criteria as criteria_services
from curation.reviews import selectors, services
from curation.submissions.selectors import with_details


def _reviewer_required(request) -> None:
    if not permissions.may_review(request.user):
        raise PermissionDenied


@login_required
def review_queue(request):
    _reviewer_required(request)
    items = with_details(selectors.review_queue_for(request.user))
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(request, "curation/review_queue.html", {"page": page})


def _queued_item(request, item_id) -> Submission:
    item = with_details(selectors.review_queue_for(request.user)).filter(pk=item_id).first()
    if item is None:
        raise Http404
    return item


def _next_in_queue(request):
    following = selectors.review_queue_for(request.user).first()
    if following is None:
        messages.info(request, "Your queue is empty. Thank you.")
        return redirect("review-queue")
    return redirect("review-item", item_id=following.pk)


@login_required
def review_item(request, item_id):
    _reviewer_required(request)
    item = _queued_item(request, item_id)
    criteria = list(item.criteria_set.criteria.order_by("position"))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        answers = {c.key: {"yes": True, "no": False}.get(request.POST.get(c.key, "")) for c in criteria}
        missing = [c.key for c in criteria if answers[c.key] is None]
        if missing:
            errors = {key: ["Answer yes or no."] for key in missing}
        else:
            try:
                services.review_record(actor=request.user, item=item, answers=answers,
                                       comment=request.POST.get("comment", ""))
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("review-queue")
            messages.success(request, "Review recorded.")
            return _next_in_queue(request)
    return render(request, "curation/review_item.html", {
        "item": item, "criteria": criteria, "errors": errors, "posted": request.POST,
        "reasons": Recusal.Reason.choices, "queue_size": selectors.review_queue_for(request.user).count(),
    }, status=400 if errors else 200)


@login_required
@require_POST
def review_recuse(request, item_id):
    _reviewer_required(request)
    item = _queued_item(request, item_id)
    try:
        services.review_recuse(actor=request.user, item=item, reason=request.POST.get("reason", ""))
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
        text = request.POST.get("criteria", "")
        pairs = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            key, sep, question = line.partition("|")
            if not sep:
                errors.append(f"Line {number}: write 'key | question'.")
            pairs.append((key.strip(), question.strip()))
        if not errors:
            try:  # a two-person act: another administrator approves it on the Requests page
                account_requests.role_request_create(actor=request.user, kind=RoleRequest.Kind.CRITERIA_PUBLISH,
                                                     payload={"criteria": [list(pair) for pair in pairs]})
            except DomainError as exc:
                errors = exc.extra.get("errors", {}).get("criteria", [exc.message])
            else:
                messages.success(request, "Request sent; another administrator must approve it. New items use "
                                          "the new criteria once it is approved.")
                return redirect("criteria-admin")
    return render(request, "curation/criteria_admin.html", {
        "current": current, "text": text, "errors": errors,
    }, status=400 if errors else 200)
