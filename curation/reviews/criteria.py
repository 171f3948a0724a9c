"""Criteria sets: the active set reviewers answer, and publishing a new version."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from accounts import requests as account_requests
from accounts.models import RoleRequest
from accounts.permissions import allows, second_person_check
from core import audit
from core.actions import AuditAction
from core.actors import person
from core.errors import DomainError
from curation import permissions
from curation.models import CriteriaSet, Criterion

MAX_QUESTION = Criterion._meta.get_field("question").max_length
KEY_PATTERN = rf"[a-z][a-z0-9_]{{0,{Criterion._meta.get_field('key').max_length - 1}}}"


def active_criteria_set() -> CriteriaSet:
    return CriteriaSet.objects.prefetch_related("criteria").get(is_active=True)


def _check(actor, criteria: list[tuple[str, str]]) -> None:
    if not allows(actor, permissions.may_publish_criteria):
        raise DomainError("Only administrators publish criteria.", code="forbidden", kind="forbidden")
    errors = _criteria_errors(criteria)
    if errors:
        raise DomainError("The criteria have errors.", code="invalid", field="criteria",
                            extra={"errors": {"criteria": errors}})


def criteria_publish(*, actor, criteria: list[tuple[str, str]], approval: RoleRequest | None = None) -> CriteriaSet:
    """Publish a new criteria-set version; new items use it, existing items keep theirs. A person
    publishes only as the approver of a request (two-person rule, DESIGN.md section 3)."""
    _check(actor, criteria)
    both = second_person_check(actor, approval, RoleRequest.Kind.CRITERIA_PUBLISH)
    with transaction.atomic():
        # Lock every existing set, in one order, before reading: a concurrent publish waits here
        # for the first to commit and then sees its new version. Locking only the active row is not
        # enough: the waiter finds that row no longer active and would insert a second active set.
        list(CriteriaSet.objects.select_for_update().order_by("version").values_list("pk", flat=True))
        latest = CriteriaSet.objects.order_by("-version").values_list("version", flat=True).first() or 0
        CriteriaSet.objects.filter(is_active=True).update(is_active=False)
        try:
            with transaction.atomic():
                new = CriteriaSet.objects.create(version=latest + 1, is_active=True, created_by=person(actor))
        except IntegrityError:  # only where rows cannot be locked (SQLite serialises writes instead)
            raise DomainError("Another criteria version was published at the same moment; try again.",
                                code="conflict", kind="conflict") from None
        Criterion.objects.bulk_create(
            Criterion(criteria_set=new, key=key, question=question, position=i)
            for i, (key, question) in enumerate(criteria)
        )
        audit.record(actor=actor, action=AuditAction.CRITERIA_PUBLISH, obj=new,
                     details={"version": new.version, "criteria": [{"key": k, "question": q} for k, q in criteria],
                              **both})
    return new


def _request_payload(actor, payload: dict) -> dict:
    """A criteria-publish request's payload, checked as publishing would check it."""
    rows = payload.get("criteria")
    if not isinstance(rows, list) or not all(
            isinstance(row, list | tuple) and len(row) == 2 and all(isinstance(x, str) for x in row) for row in rows):
        raise DomainError("Criteria are a list of [key, question] pairs.", code="invalid", field="criteria")
    criteria = [(key.strip(), question.strip()) for key, question in rows]
    _check(actor, criteria)
    return {"criteria": [list(pair) for pair in criteria]}


def _perform_request(actor, request: RoleRequest) -> None:
    criteria_publish(actor=actor, criteria=[tuple(pair) for pair in request.payload["criteria"]], approval=request)


def register_requests() -> None:
    """Make criteria publication a requestable two-person act (curation/apps.py calls this)."""
    account_requests.register(RoleRequest.Kind.CRITERIA_PUBLISH, check=_request_payload, perform=_perform_request)


def _criteria_errors(criteria: list[tuple[str, str]]) -> list[str]:
    errors = []
    if not criteria:
        errors.append("A criteria set needs at least one criterion.")
    keys = [key for key, _ in criteria]
    for key, question in criteria:
        if not re.fullmatch(KEY_PATTERN, key):
            errors.append(f"{key!r}: a key is lower-case letters, digits and underscores, starting with a letter.")
        if not question.strip() or len(question) > MAX_QUESTION:
            errors.append(f"{key!r}: a question is 1 to {MAX_QUESTION} characters.")
    if len(set(keys)) != len(keys):
        errors.append("Each key may appear only once.")
    return errors
