from django.contrib import admin

from accounts.admin_site import ReadOnlyAdmin, ReadOnlyInline
from accounts.models import ApiToken, Organisation, RoleGrant, User


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ["name", "country", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]


class RoleGrantInline(ReadOnlyInline):
    model = RoleGrant
    fk_name = "user"
    fields = ["role", "granted_by", "granted_at"]


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ["username", "organisation", "email", "is_active", "last_login"]
    list_filter = ["is_active", "organisation__kind"]
    search_fields = ["username", "email"]
    fields = ["username", "email", "first_name", "last_name", "organisation", "is_active", "last_login", "date_joined"]
    inlines = [RoleGrantInline]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "last_used_at", "revoked_at"]
    fields = ["prefix", "user", "name", "created_at", "expires_at", "last_used_at", "revoked_at", "revoked_by"]
