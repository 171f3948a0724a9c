from django.contrib import admin

from accounts.admin_site import ReadOnlyAdmin, ReadOnlyInline
from curation.models import CriteriaSet, Criterion


class CriterionInline(ReadOnlyInline):
    model = Criterion
    fields = ["position", "key", "question"]


@admin.register(CriteriaSet)
class CriteriaSetAdmin(ReadOnlyAdmin):
    list_display = ["version", "is_active", "created_at"]
    fields = ["version", "is_active", "created_at", "created_by"]
    inlines = [CriterionInline]
