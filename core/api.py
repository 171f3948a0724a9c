"""The API's shared shapes: pagination and errors (DESIGN.md section 6)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError
from core.pagination import CappedPaginator


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CappedPagination(Pagination):
    """For lists too long to count on every request (core/pagination.py): `count` is exact up to
    `cap`; past it `count` is the cap, `count_capped` is true, and the pages end at the cap (the last
    one has no `next`; a page beyond is 404)."""

    cap = 1000

    def django_paginator_class(self, queryset, page_size: int) -> CappedPaginator:  # called as DRF calls the class
        return CappedPaginator(queryset, page_size, cap=self.cap)

    def get_paginated_response(self, data) -> Response:
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.capped
        return response


def curation_error_response(exc: DomainError) -> Response:
    """A service's domain error in the contract's shape."""
    if exc.kind == "invalid":
        body = exc.extra.get("errors") or {exc.field or "non_field_errors": [exc.message]}
        return Response(body, status=400)
    extra = {k: v for k, v in exc.extra.items() if k != "errors"}
    return Response({"detail": exc.message, "code": exc.code, **extra}, status=exc.status)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(f"The request body is larger than the {limit // 1024} KB limit for form and JSON data.")


def request_too_large_response() -> JsonResponse:
    """The same 413, for the places that answer before DRF runs (core/middleware.py)."""
    exc = RequestTooLarge()
    return JsonResponse({"detail": str(exc.detail), "code": exc.default_code}, status=exc.status_code)


def exception_handler(exc, context):
    """400s keep DRF's field-error shape (a body that does not parse is {"detail", "code"}); every
    other error is {"detail", "code"}. Django's own refusals of a body become API errors too: over
    DATA_UPLOAD_MAX_MEMORY_SIZE a 413, too many fields or files a 400 (not Django's HTML 400)."""
    if isinstance(exc, DomainError):
        return curation_error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):  # TooManyFieldsSent, TooManyFilesSent, …
        exc = exceptions.ParseError(str(exc) or "The request could not be read.", code="bad_request")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if response.status_code == status.HTTP_400_BAD_REQUEST:
        if isinstance(exc, exceptions.ParseError):
            response.data = {"detail": str(exc.detail), "code": exc.detail.code or exc.default_code}
        return response
    if isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = exc.get_codes()
        if isinstance(detail, dict) and "detail" in detail:
            # Already shaped by a view (for example a 409 with extra fields): keep it.
            return response
        if isinstance(detail, (list, dict)):
            detail, code = str(detail), exc.default_code
        response.data = {"detail": str(detail), "code": code if isinstance(code, str) else exc.default_code}
    return response


def paginated(serializer_class, name: str, *, capped: bool = False):
    """The contract's page shape around a list, for the OpenAPI schema of APIViews (with `capped`,
    CappedPagination's)."""
    from rest_framework import serializers

    fields = {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": serializer_class(many=True),
    }
    if capped:
        fields["count_capped"] = serializers.BooleanField(
            help_text="True when there are more items than `count` (the list is counted up to a cap).")
    return type(name, (serializers.Serializer,), fields)
