"""Browser pages for items: the same services as the API, HTML out."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.inputs import whole_number
from curation import permissions
from curation.hashing import media, signatures
from curation.hashing.uploads import max_upload_bytes, too_large_message, upload_too_large
from curation.models import MediaType, Submission
from curation.reviews.selectors import reviews_of
from curation.submissions import selectors, services

FORM_ALGORITHMS = ["md5", "sha1", "sha256", "pdq", "photodna", "vpdq"]


TRISTATE = {"": None, "yes": True, "no": False}


def _blank_form() -> dict:
    return {"media_type": "image", "external_reference": "", "note": "", "series": "",
            "victim_identified": "", "offender_identified": "", "pdq_quality": "", "reason": "",
            **{f"sig_{a}": "" for a in FORM_ALGORITHMS}}


def _render_submit(request, form: dict, errors: dict | None = None, hashed: bool = False, status: int = 200):
    context = {
        "form": form, "errors": errors or {}, "hashed": hashed, "media_types": MediaType.choices,
        "algorithms": [signatures.get(a) for a in FORM_ALGORITHMS], "max_mb": max_upload_bytes() // 2**20,
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


def _quality(raw: str) -> int | str | None:
    raw = raw.strip()
    if not raw:
        return None
    number = whole_number(raw)
    return raw if number is None else number


@login_required
def submission_create(request):
    if not permissions.may_submit(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return _render_submit(request, _blank_form())
    if request.POST.get("action") == "hash" or upload_too_large(request) or "file" in request.FILES:
        return _hash_file(request)
    form = {key: request.POST.get(key, "") for key in _blank_form()}
    used = [a for a in FORM_ALGORITHMS if form[f"sig_{a}"].strip()]
    rows = []
    for algorithm in used:
        row = {"algorithm": algorithm, "value": form[f"sig_{algorithm}"]}
        if algorithm == "pdq":
            row["quality"] = _quality(form["pdq_quality"])
        rows.append(row)
    item = services.ItemInput(
        media_type=form["media_type"], signatures=rows, external_reference=form["external_reference"],
        note=form["note"], series=form["series"], victim_identified=TRISTATE.get(form["victim_identified"]),
        offender_identified=TRISTATE.get(form["offender_identified"]), reason=form["reason"],
    )
    try:
        created = services.submission_create(actor=request.user, item=item)
    except DomainError as exc:
        if exc.code == "duplicate":
            errors = {"form": [f"{exc.message} Nothing was submitted."]}
        else:
            errors = _form_errors(exc, used)
        return _render_submit(request, form, errors, status=409 if exc.code == "duplicate" else 400)
    if created.status == Submission.Status.HELD:
        messages.warning(request, "Submitted and held: a signature is in a rejected item, so a curator decides "
                                  "whether it goes to review.")
    else:
        messages.success(request, "Submitted. The item now waits for three independent reviews.")
    return redirect("submission-detail", item_id=created.pk)


def _hash_file(request):
    form = {key: request.POST.get(key, "") for key in _blank_form()} | {"media_type": "image"}
    upload = request.FILES.get("file")
    if upload_too_large(request):
        return _render_submit(request, form, {"file": [too_large_message()]}, status=413)
    if upload is None or upload.size == 0:
        return _render_submit(request, form, {"file": ["Choose a file to hash."]}, status=400)
    try:
        result = media.hash_bytes(upload.read())
    except media.MediaError as exc:
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
    wanted = request.GET.get("status") or None
    if wanted not in (None, *Submission.Status.values):
        wanted = None
    may_search = permissions.may_search_by_value(request.user)
    value = request.GET.get("value", "").strip()[:20_000] if may_search else ""
    items = selectors.submission_list_for(request.user, status=wanted, value=value)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(request, "curation/submission_list.html", {
        "page": page, "status": wanted or "", "statuses": Submission.Status.choices,
        "sees_every_item": permissions.may_see_every_item(request.user), "may_search_by_value": may_search,
        "value": value,
    })


@login_required
def submission_detail(request, item_id):
    item = selectors.submission_for(request.user, item_id)
    if item is None:
        raise Http404
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
    item = selectors.submission_for(request.user, item_id)
    if item is None:
        raise Http404
    try:
        services.submission_withdraw(actor=request.user, item=item)
        messages.success(request, "The item was withdrawn.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("submission-detail", item_id=item.pk)


@login_required
@require_POST
def item_retract(request, item_id):
    item = selectors.submission_for(request.user, item_id)
    if item is None:
        raise Http404
    try:
        services.item_retract(actor=request.user, item=item, reason=request.POST.get("reason", ""))
        messages.success(request, "Retracted. The next release removes it.")
    except DomainError as exc:
        if exc.kind == "forbidden":
            raise PermissionDenied from None
        messages.error(request, exc.message)
    return redirect("submission-detail", item_id=item.pk)
