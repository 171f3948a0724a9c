"""The home page (a dashboard per role), the reviewer roster and the favicon."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.templatetags.static import static

from accounts.models import Role
from accounts.permissions import may_see_reviewer_roster, roles_of
from core.forms import page_of
from portal import dashboards
from portal.navigation import ROLE_SUMMARIES


@login_required
def home(request):
    figures = {
        Role.INVESTIGATOR: lambda: dashboards.investigator(request.user),
        Role.REVIEWER: lambda: dashboards.reviewer(request.user),
        Role.CURATOR: dashboards.curator,
        Role.PARTNER: lambda: dashboards.partner(request.user),
        Role.ADMINISTRATOR: dashboards.administrator,
    }
    roles = sorted(roles_of(request.user))
    panels = [{"role": role, "label": Role(role).label, "summary": ROLE_SUMMARIES[role], "data": figures[role]()}
              for role in roles]
    return render(request, "portal/home.html", {"panels": panels})


@login_required
def reviewer_roster(request):
    if not may_see_reviewer_roster(request.user):
        raise PermissionDenied
    page = page_of(request, dashboards.reviewer_roster(), 50)
    return render(request, "portal/reviewer_roster.html", {"page": page})


def favicon(request):
    """Browsers ask for /favicon.ico whatever the pages link; send them to the SVG (not permanent:
    the static file's hashed name changes with its content)."""
    return redirect(static("favicon.svg"))
