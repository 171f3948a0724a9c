"""The notices page: a user's notices, marked read, and their email digest preference."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from accounts.services import user_email_digest_set
from curation import permissions
from curation.models import Notice
from curation.notices import services


@login_required
def notice_list(request):
    if request.method == "POST":
        if "email_digest" in request.POST:
            user_email_digest_set(actor=request.user, user=request.user, on=request.POST["email_digest"] == "on")
            messages.success(request, "Email preference saved.")
        services.notices_mark_read(actor=request.user)
        return redirect("notices")
    page = Paginator(Notice.objects.filter(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "curation/notices.html", {
        "page": page, "may_review": permissions.may_review(request.user),
    })
