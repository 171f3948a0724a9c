from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db.models.base import ModelBase
from django.shortcuts import redirect

from accounts.permissions import may_view_admin_site


class BaselineAdminSite(admin.AdminSite):
    """Django admin for administrators only, and read-only: every change goes through a service."""

    site_header = "Baseline administration (read-only)"
    site_title = "Baseline admin"
    # Only the project's own models, each with a read-only admin. Third-party apps register plain
    # ModelAdmins at autodiscovery (auth groups, django-otp devices with their secret-revealing config
    # and QR-code views, django-axes lockouts): here those would let a superuser add or remove second
    # factors or clear lockouts with no audit entry, so they are not registered at all.
    own_apps = frozenset({"accounts", "curation"})

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else list(model_or_iterable)
        own = [model for model in models if model._meta.app_label in self.own_apps]
        if not own:
            return
        if admin_class is None or not issubclass(admin_class, ReadOnlyAdmin):
            raise ImproperlyConfigured(f"{own[0]._meta.label} must be registered with a ReadOnlyAdmin.")
        super().register(own, admin_class, **options)

    def has_permission(self, request) -> bool:
        # The second factor is required here too, even if a middleware were removed.
        verified = not settings.BASELINE_REQUIRE_MFA or request.user.is_verified()
        return may_view_admin_site(request.user) and verified

    # Django's own password-change views would change a password with no audit entry, no lockout
    # and no check of the validators' outcome against the forced-change flag: the project's page
    # does all three, so the admin's links lead there and its views change nothing.
    def password_change(self, request, extra_context=None):
        return redirect("password-change")

    def password_change_done(self, request, extra_context=None):
        return redirect("password-change")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Views only. Writes bypassing services would skip rules and the audit log."""

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        """Only the declared filters. Django also accepts any lookup along a model's own fields
        (`?password__startswith=pbkdf2` on users answers, one character at a time, what a password
        hash begins with); anything else here is refused (400)."""
        declared = {spec if isinstance(spec, str) else spec[0] for spec in self.list_filter}
        return any(lookup in (name, f"{name}__exact", f"{name}__isnull") for name in declared)

    def has_view_permission(self, request, obj=None) -> bool:
        return may_view_admin_site(request.user)

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
