"""Browser pages for items: the same services as the API, HTML out."""

from __future__ import annotations

from baseline_client.hashing import media, signatures
from baseline_client.hashing.video import clock
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.forms import from_body, from_query, page_of
from curation import permissions
from curation.hashing import slots
from curation.hashing.uploads import max_upload_bytes, too_large_message, upload_too_large
from curation.matching import near
from curation.models import MediaType, Submission
from curation.reviews.selectors import reviews_of
from curation.submissions import selectors, services
from curation.submissions.forms import RetractForm, SubmissionFilterForm, SubmitForm

# The submit page's inputs in page order, so that its error summary lists problems as they appear;
# "signatures" (none given) links to the first signature input, "form" to nothing.
_ERROR_FIELDS = ["file", "media_type", "signatures", *(f"sig_{a}" for a in signatures.ALGORITHMS), "pdq_quality",
                 "external_reference", "note", "reason", "series", "form"]
_FIELD_IDS = {"signatures": f"id_sig_{next(iter(signatures.ALGORITHMS))}", "form": ""}


def error_summary(errors: dict) -> list[tuple[str, str]]:
    """(input id, message) pairs for templates/_error_summary.html, in page order."""
    keys = sorted(errors, key=lambda k: _ERROR_FIELDS.index(k) if k in _ERROR_FIELDS else len(_ERROR_FIELDS))
    return [(_FIELD_IDS.get(key, f"id_{key}"), message) for key in keys for message in errors[key]]


def _render_submit(request, form: dict, errors: dict | None = None, hashed: bool = False, status: int = 200,
                   duplicate: dict | None = None, video: dict | None = None):
    errors = errors or {}
    context = {
        "form": form, "errors": errors, "error_summary": error_summary(errors), "hashed": hashed, "video": video,
        "duplicate": duplicate, "media_types": MediaType.choices,
        "algorithms": list(signatures.ALGORITHMS.values()), "max_mb": max_upload_bytes() // 2**20,
        "video_cpu_seconds": settings.BASELINE_MAX_VIDEO_CPU_SECONDS,
    }
    return render(request, "curation/submit.html", context, status=status)


def _form_errors(exc: DomainError, used: list[str], typed: dict) -> dict:
    """Service errors keyed by form field (a signature row's errors go to its algorithm's input)."""
    errors: dict[str, list[str]] = {}
    for name, value in exc.extra.get("errors", {"form": [exc.message]}).items():
        if name == "signatures" and value and isinstance(value[0], dict):
            for algorithm, row in zip(used, value, strict=False):
                for messages_ in row.values():
                    errors.setdefault(f"sig_{algorithm}", []).extend(messages_)
        else:
            errors.setdefault(name, []).extend(value)
    for algorithm in signatures.CRYPTOGRAPHIC:  # a line of another tool's output in this box
        pasted = signatures.checksum_line_algorithm(typed.get(f"sig_{algorithm}", ""))
        if f"sig_{algorithm}" in errors and pasted not in (None, algorithm):
            label = signatures.ALGORITHMS[pasted].label
            errors[f"sig_{algorithm}"].append(f"This is a line of {pasted}sum output, a {label} value: "
                                              f"paste it in the {label} box.")
    return errors


_ALREADY = {
    Submission.Status.APPROVED: "an approved item: it is on the list already",
    Submission.Status.PENDING: "a pending item: it is waiting for review",
    Submission.Status.HELD: "a held item: a curator decides whether it goes to review",
}


def _duplicate(request, exc: DomainError, form: SubmitForm) -> dict:
    """What the page says about a clash: the signature (algorithm and value) and the existing item,
    linked only when the user may open it (the visibility rule); otherwise neither its id nor
    anything else about it, beyond the status the API also tells."""
    algorithm, existing = exc.extra["algorithm"], exc.extra["existing_item"]
    value = signatures.normalise(algorithm, form.cleaned_data.get(f"sig_{algorithm}", ""))
    shown = value if len(value) <= 64 else value[:64] + "…"
    item = selectors.submission_for(request.user, existing["id"])
    where = _ALREADY.get(existing["status"], f"an item ({existing['status']})")
    if item is None:
        where += " (submitted by another organisation, so it is not shown to you)"
    message = (f"The {signatures.ALGORITHMS[algorithm].label} signature {shown} is already in {where}. "
               "Nothing was submitted.")
    return {"field": f"sig_{algorithm}", "message": message, "item": item}


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
            clash = _duplicate(request, exc, form)
            return _render_submit(request, form.values(), {clash["field"]: [clash["message"]]}, status=409,
                                  duplicate=clash)
        return _render_submit(request, form.values(), _form_errors(exc, used, form.values()), status=400)
    if created.status == Submission.Status.HELD:
        messages.warning(request, "Submitted and held: a signature is in a rejected item, so a curator decides "
                                  "whether it goes to review.")
    else:
        messages.success(request, "Submitted. The item now waits for three independent reviews.")
    return redirect("submission-detail", item_id=created.pk)


def _hash_file(request, submitted: SubmitForm):
    """Hash the chosen file and show the page again: everything typed is kept, the computed
    signatures (and the media type) replace their inputs' values."""
    form = submitted.values()
    upload = submitted.cleaned_data.get("file")
    if upload_too_large(request):
        return _render_submit(request, form, {"file": [too_large_message()]}, status=413)
    if upload is None or upload.size == 0:
        return _render_submit(request, form, {"file": ["Choose a file to hash."]}, status=400)
    try:  # the same per-user slots as POST /api/v1/hash/
        result = slots.hash_upload(request.user, upload.read(), seconds_per_hash=submitted.seconds_per_hash())
    except media.MediaError as exc:  # 400, 413 (file, image or video too large), 415, 429 (slots taken)
        return _render_submit(request, form, {"file": [exc.message]}, status=exc.status)
    finally:
        upload.close()
    form["media_type"] = result.media_type
    for sig in result.signatures:
        form[f"sig_{sig['algorithm']}"] = sig["value"]
        if sig["algorithm"] == "pdq":
            form["pdq_quality"] = str(sig["quality"])
    video = None
    if result.video is not None:
        video = {**result.video, "clock": clock(result.video["duration"])}
    return _render_submit(request, form, hashed=True, video=video)


@login_required
def submission_list(request):
    if not permissions.may_list_submissions(request.user):
        raise PermissionDenied
    form = from_query(SubmissionFilterForm, request)
    form.is_valid()  # an unknown status lists them all
    wanted = form.cleaned_data.get("status") or None
    may_search = permissions.may_search_by_value(request.user)
    value = form.cleaned_data.get("value", "") if may_search else ""
    search = selectors.value_search(value)
    items = selectors.submission_list_for(request.user, status=wanted, search=search)
    page = page_of(request, items, 50)
    return render(request, "curation/submission_list.html", {
        "page": page, "status": wanted or "", "statuses": Submission.Status.choices,
        "sees_every_item": permissions.may_see_every_item(request.user), "may_search_by_value": may_search,
        "value": value, "search": search,
    }, status=400 if search and search.error else 200)


@login_required
def submission_detail(request, item_id):
    item = selectors.submission_visible_or_404(request.user, item_id)
    return render(request, "curation/submission_detail.html", {
        "item": item,
        "reviews": reviews_of(item) if permissions.may_see_reviews(request.user, item) else None,
        # Answers are shown by their questions (the key is only the criterion's name in the data).
        "questions": dict(item.criteria_set.criteria.values_list("key", "question")),
        "history": (selectors.status_history(item).select_related("actor")
                    if permissions.may_see_status_history(request.user) else None),
        "may_withdraw": item.status == Submission.Status.PENDING
        and permissions.withdraw_refusal(request.user, item) is None,
        "show_previous": permissions.may_see_earlier_item_link(request.user),
        "near_duplicates": near.earlier_near(item) if permissions.may_see_near_duplicates(request.user) else None,
        "reports": permissions.reports_visible_to(request.user).filter(item=item)[:100],
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
