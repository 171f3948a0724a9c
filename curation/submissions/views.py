"""Browser pages for items: the same services as the API, HTML out."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.forms import from_body, from_query, page_of
from curation import permissions
from curation.hashing import media, signatures, slots
from curation.hashing.uploads import max_upload_bytes, too_large_message, upload_too_large
from curation.models import MediaType, Submission
from curation.reviews.selectors import reviews_of
from curation.submissions import selectors, services
from curation.submissions.forms import RetractForm, SubmissionFilterForm, SubmitForm


def _render_submit(request, form: dict, errors: dict | None = None, hashed: bool = False, status: int = 200):
    context = {
        "form": form, "errors": errors or {}, "hashed": hashed, "media_types": MediaType.choices,
        "algorithms": list(signatures.ALGORITHMS.values()), "max_mb": max_upload_bytes() // 2**20,
    }
    return render(request, "curation/submit.html", context, status=status)


def _form_errors(exc: DomainError, used: list[str]) -> dict:
    """Service errors keyed by form field (a signature row's errors go to its algorithm's input)."""
    errors: dict[str, list[str]] = {}
    for name, value in exc.extra.get("errors", {"form": [exc.message]}).items():
        if name == "signatures" and value and isinstance(value[0], dict):
            for algorithm, row in zip(used, value, strict=False):
                for messages_ in row.values():
                    errors.setdefault(f"sig_{algorithm}", []).extend(messages_)
        else:
            errors.setdefault(name if name != "signatures" else "form", []).extend(value)
    return errors


@login_required
def submission_create(request):
    if not permissions.may_submit(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return _render_submit(request, SubmitForm.blank())
    form = from_body(SubmitForm, request)
    form.is_valid()  # every field takes any text; the service checks the item
    if form.wants_hashing() or upload_too_large(request):
        return _hash_file(request, form)
    used, item = form.used_algorithms(), form.item()
    try:
        created = services.submission_create(actor=request.user, item=item)
    except DomainError as exc:
        if exc.code == "duplicate":
            errors = {"form": [f"{exc.message} Nothing was submitted."]}
        else:
            errors = _form_errors(exc, used)
        return _render_submit(request, form.values(), errors, status=409 if exc.code == "duplicate" else 400)
    if created.status == Submission.Status.HELD:
        messages.warning(request, "Submitted and held: a signature is in a rejected item, so a curator decides "
                                  "whether it goes to review.")
    else:
        messages.success(request, "Submitted. The item now waits for three independent reviews.")
    return redirect("submission-detail", item_id=created.pk)


def _hash_file(request, submitted: SubmitForm):
    form = submitted.values() | {"media_type": "image"}
    upload = submitted.cleaned_data.get("file")
    if upload_too_large(request):
        return _render_submit(request, form, {"file": [too_large_message()]}, status=413)
    if upload is None or upload.size == 0:
        return _render_submit(request, form, {"file": ["Choose a file to hash."]}, status=400)
    try:
        with slots.hashing_slot(request.user):  # the same per-user slots as POST /api/v1/hash/
            result = media.hash_bytes(upload.read())
    except media.MediaError as exc:  # 400, 413 (file or image too large), 415, 429 (slots taken)
        return _render_submit(request, form, {"file": [exc.message]}, status=exc.status)
    finally:
        upload.close()
    form["media_type"] = result.media_type
    for sig in result.signatures:
        form[f"sig_{sig['algorithm']}"] = sig["value"]
        if sig["algorithm"] == "pdq":
            form["pdq_quality"] = str(sig["quality"])
    return _render_submit(request, form, hashed=True)


@login_required
def submission_list(request):
    if not permissions.may_list_submissions(request.user):
        raise PermissionDenied
    form = from_query(SubmissionFilterForm, request)
    form.is_valid()  # an unknown status lists them all
    wanted = form.cleaned_data.get("status") or None
    may_search = permissions.may_search_by_value(request.user)
    value = form.cleaned_data.get("value", "") if may_search else ""
    items = selectors.submission_list_for(request.user, status=wanted, value=value)
    page = page_of(request, items, 50)
    return render(request, "curation/submission_list.html", {
        "page": page, "status": wanted or "", "statuses": Submission.Status.choices,
        "sees_every_item": permissions.may_see_every_item(request.user), "may_search_by_value": may_search,
        "value": value,
    })


@login_required
def submission_detail(request, item_id):
    item = selectors.submission_visible_or_404(request.user, item_id)
    return render(request, "curation/submission_detail.html", {
        "item": item,
        "reviews": reviews_of(item) if permissions.may_see_reviews(request.user, item) else None,
        "history": (selectors.status_history(item).select_related("actor")
                    if permissions.may_see_status_history(request.user) else None),
        "may_withdraw": item.status == Submission.Status.PENDING
        and permissions.withdraw_refusal(request.user, item) is None,
        "show_previous": permissions.may_see_earlier_item_link(request.user),
        "may_retract": permissions.may_retract(request.user) and item.status == Submission.Status.APPROVED,
    })


@login_required
@require_POST
def submission_withdraw(request, item_id):
    item = selectors.submission_visible_or_404(request.user, item_id)
    try:
        services.submission_withdraw(actor=request.user, item=item)
        messages.success(request, "The item was withdrawn.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("submission-detail", item_id=item.pk)


@login_required
@require_POST
def item_retract(request, item_id):
    item = selectors.submission_visible_or_404(request.user, item_id)
    form = from_body(RetractForm, request)
    form.is_valid()  # any text: the service asks for a reason and checks its length
    try:
        services.item_retract(actor=request.user, item=item, reason=form.cleaned_data["reason"])
        messages.success(request, "Retracted. The next release removes it.")
    except DomainError as exc:
        if exc.kind == "forbidden":
            raise PermissionDenied from None
        messages.error(request, exc.message)
    return redirect("submission-detail", item_id=item.pk)
