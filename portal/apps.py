from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Home pages, dashboards, charts and navigation: above every other app, imported by none."""

    name = "portal"
    verbose_name = "Portal"
