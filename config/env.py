"""Read settings from environment variables, failing loudly on a bad value.

Every setting that comes from the environment passes through one of these helpers, so a typo in a
deployment stops start-up with a message naming the variable instead of running with a default.
"""

from __future__ import annotations

import os
import re
from importlib import import_module
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = _raw(name)
    if value is None:
        if required:
            raise ImproperlyConfigured(f"{name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 'true' or 'false', not {value!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        result = default
    else:
        try:
            result = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and result < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {result}.")
    return result


def env_choice(name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
    """One of `choices` (compared without regard to case), or `default` when unset."""
    value = _raw(name)
    if value is None:
        return default
    if value.lower() not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value.lower()


def env_list(name: str, default: list[str] | None = None, *, required: bool = False) -> list[str]:
    value = _raw(name)
    if value is None:
        if required:
            raise ImproperlyConfigured(f"{name} must be set (a comma-separated list).")
        return list(default or [])
    return [part.strip() for part in value.split(",") if part.strip()]


_RATE = re.compile(r"([0-9]+)/(s|sec|second|m|min|minute|h|hour|d|day)")


def env_rate(name: str, default: str) -> str:
    """A Django REST framework throttle rate: `N/second`, `N/minute`, `N/hour` or `N/day` (N ≥ 1)."""
    value = _raw(name)
    if value is None:
        return default
    match = _RATE.fullmatch(value.replace(" ", ""))
    if match is None or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"{name} must be a rate such as '3000/hour' (a whole number of requests, at least 1, per second, "
            f"minute, hour or day), not {value!r}."
        )
    return match.group(0)


def env_class_path(name: str, *, base: str) -> str | None:
    """The dotted path of an importable class that is `base` or a subclass of it; None when unset."""
    value = _raw(name)
    if value is None:
        return None
    module_path, _, class_name = value.rpartition(".")
    if not module_path or not all(part.isidentifier() for part in value.split(".")):
        raise ImproperlyConfigured(f"{name} must be a dotted class path such as 'package.module.Class', not {value!r}.")
    base_module, _, base_name = base.rpartition(".")
    try:
        cls = getattr(import_module(module_path), class_name, None)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{name}: cannot import {module_path!r} ({exc}).") from None
    expected = getattr(import_module(base_module), base_name)
    if not isinstance(cls, type) or not issubclass(cls, expected):
        raise ImproperlyConfigured(f"{name}: {value!r} is not a {base} class.")
    return value


def parse_database_url(url: str, *, base_dir: Path) -> dict:
    """Turn `postgres://user:pass@host:port/name` or `sqlite:///path` into Django's form."""
    try:
        return _parse_database_url(url, base_dir=base_dir)
    except ValueError as exc:  # urlsplit and .port raise on malformed hosts and ports
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}.") from None


def _parse_database_url(url: str, *, base_dir: Path) -> dict:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if url.startswith("sqlite:////"):
            name = path  # absolute path
        else:
            name = str(base_dir / path.lstrip("/")) if path.strip("/") else ""
        if not name:
            raise ImproperlyConfigured("DATABASE_URL: an sqlite URL needs a file path.")
        # IMMEDIATE: a writing transaction takes SQLite's write lock when it begins, so concurrent
        # requests of the development server wait for each other (up to `timeout` seconds) instead of
        # failing with "database is locked" when a read lock cannot be upgraded; SQLite has no row
        # locks, so this is also what serialises `select_for_update` there.
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name,
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20}}
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured("DATABASE_URL: a postgres URL needs a database name.")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with postgres:// or sqlite:///, not {parts.scheme or url!r}."
    )
