"""The curators' Activity page: per listed item, what partners report and match (DESIGN.md section 11)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from curation import permissions
from curation.reports import selectors


@login_required
def activity(request):
    if not permissions.may_see_sightings(request.user):
        raise PermissionDenied("Only curators see partners' sightings and reports per item.")
    return render(request, "curation/activity.html", {
        "rows": selectors.item_activity(), "factor": selectors.SPIKE_FACTOR, "minimum": selectors.SPIKE_MINIMUM})
