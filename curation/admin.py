from django.contrib import admin

from accounts.admin_site import ReadOnlyAdmin
from curation.models import CriteriaSet, Criterion


class CriterionInline(admin.TabularInline):
    model = Criterion
    fields = ["position", "key", "question"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None) -> bool:
        return True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CriteriaSet)
class CriteriaSetAdmin(ReadOnlyAdmin):
    list_display = ["version", "is_active", "created_at"]
    fields = ["version", "is_active", "created_at", "created_by"]
    inlines = [CriterionInline]
