from django.conf import settings
from django.contrib import admin

from accounts.models import Role
from accounts.permissions import has_role


class BaselineAdminSite(admin.AdminSite):
    """Django admin for administrators only, and read-only: every change goes through a service."""

    site_header = "Baseline administration (read-only)"
    site_title = "Baseline admin"

    def has_permission(self, request) -> bool:
        # The second factor is required here too, even if a middleware were removed.
        verified = not settings.BASELINE_REQUIRE_MFA or request.user.is_verified()
        return has_role(request.user, Role.ADMINISTRATOR) and verified


class ReadOnlyAdmin(admin.ModelAdmin):
    """Views only. Writes bypassing services would skip rules and the audit log."""

    def has_view_permission(self, request, obj=None) -> bool:
        return has_role(request.user, Role.ADMINISTRATOR)

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows shown beside their parent, never added, changed or deleted here."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_view_permission(self, request, obj=None) -> bool:
        return True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
