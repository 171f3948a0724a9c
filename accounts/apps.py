from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts import schema, signals  # noqa: F401 - sign-in audit receivers, OpenAPI token scheme


class BaselineAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "accounts.admin_site.BaselineAdminSite"
