"""The notices page: a user's notices, marked read, and their email digest preference."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.services import user_email_digest_set
from core.forms import from_body, page_of
from curation import permissions
from curation.models import Notice
from curation.notices import services
from curation.notices.forms import NoticesForm


@login_required
def notice_list(request):
    if request.method == "POST":
        form = from_body(NoticesForm, request)
        form.is_valid()  # any text: only "on" turns the digest on
        if form.cleaned_data["email_digest"] is not None:
            user_email_digest_set(actor=request.user, user=request.user, on=form.cleaned_data["email_digest"])
            messages.success(request, "Email preference saved.")
        services.notices_mark_read(actor=request.user)
        return redirect("notices")
    page = page_of(request, Notice.objects.filter(user=request.user), 50)
    return render(request, "curation/notices.html", {
        "page": page, "may_review": permissions.may_review(request.user),
    })
