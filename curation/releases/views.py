"""Browser pages for releases and feed entitlements: the same services as the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.forms import from_body, from_query, page_of
from curation import permissions
from curation.models import Feed, Release, SigningKey
from curation.releases import exports, selectors, services, signing
from curation.releases.forms import FeedGrantForm, ReleaseListForm, ReleaseRequestForm


@login_required
def release_list(request):
    if not permissions.may_see_releases(request.user):
        raise PermissionDenied
    may_publish = permissions.may_publish(request.user)
    items = permissions.releases_visible_to(request.user).prefetch_related("files").order_by("-version")
    page = page_of(request, items, 25)
    # One read for the box and the table, so they cannot disagree (a separate query for the box
    # could see "building" and the table, read a moment later, "published"). The release being
    # built is the newest, so on page 1 it is among the rows.
    page.object_list = list(page.object_list)
    if page.number == 1:
        building = next((r for r in page.object_list if r.status == Release.Status.BUILDING), None)
    else:
        building = items.filter(status=Release.Status.BUILDING).first()
    form = from_query(ReleaseListForm, request)
    built = form.cleaned_data["built"] if form.is_valid() else None
    outcome = None
    if built is not None and may_publish:
        outcome = items.filter(version=built).exclude(status=Release.Status.BUILDING).first()
    return render(request, "curation/release_list.html", {
        "page": page, "building": building, "outcome": outcome, "may_publish": may_publish,
        "feeds": permissions.entitled_feeds(request.user),
        # The counts are the publish box's, which a build in progress replaces.
        "pending": selectors.pending_changes() if may_publish and not building else None,
    })


@login_required
def release_detail(request, version: int):
    release = selectors.release_or_404(request.user, version)
    feeds = permissions.entitled_feeds(request.user)
    keys = [{"key_id": k.key_id, "public_key": k.public_key, "active": k.active,
             "fingerprint": signing.fingerprint(k.public_key)} for k in SigningKey.objects.all()]
    return render(request, "curation/release_detail.html", {
        "release": release, "files": [f for f in release.files.all() if f.feed in feeds],
        "manifest_name": exports.manifest_name(version), "manifest_size": len(release.manifest or b""),
        "signature_name": exports.signature_name(version),
        "keys": keys, "signed_by": next((k for k in keys if k["key_id"] == release.key_id), None), "feeds": feeds,
        # The curators' note is for curators (as in the API): partners see the files and the keys.
        "sees_internals": permissions.may_see_release_internals(request.user),
    })


@login_required
@require_POST
def release_publish(request):
    form = from_body(ReleaseRequestForm, request)
    form.is_valid()  # any text
    try:
        release = services.release_request(actor=request.user, note=form.cleaned_data["note"])
    except DomainError as exc:
        if exc.kind == "forbidden":
            raise PermissionDenied from None
        messages.error(request, exc.message)
        return redirect("release-list")
    messages.success(request, f"Release {release.version} requested; it is being built.")
    return redirect("release-list")


@login_required
def entitlements(request):
    if not permissions.may_manage_entitlements(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = from_body(FeedGrantForm, request)
        form.is_valid()  # any text: an unknown organisation or feed is explained below
        org = selectors.partner_organisation(form.cleaned_data["organisation"])
        if org is None:
            messages.error(request, "Choose a partner organisation.")
        else:
            try:
                services.feed_grant(actor=request.user, organisation=org, feed_name=form.cleaned_data["feed"],
                                    revoke=form.cleaned_data["action"])
                messages.success(request, f"Entitlements of {org.name} updated.")
            except DomainError as exc:
                messages.error(request, exc.message)
        return redirect("entitlements")
    partners = selectors.partners().order_by("name")
    rows = [{"org": org, "feeds": selectors.feeds_of(org)} for org in partners]
    return render(request, "curation/entitlements.html", {"rows": rows, "feeds": Feed.objects.order_by("name")})
