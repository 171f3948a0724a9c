"""Every non-trivial read."""

from __future__ import annotations

from curation.models import CriteriaSet


def active_criteria_set() -> CriteriaSet:
    return CriteriaSet.objects.prefetch_related("criteria").get(is_active=True)
