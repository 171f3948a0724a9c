"""The OpenAPI schema documents every operation's response body (issue 12, item 7)."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

BINARY = {"type": "string", "format": "binary"}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _empty_parts(schema: dict, node: dict, where: str, seen: frozenset = frozenset()) -> list[str]:
    """Places in a response schema that say nothing about the body: objects without properties,
    arrays without items."""
    ref = node.get("$ref")
    if ref in seen:
        return []
    node = _resolve(schema, node)
    seen = seen | {ref} if ref else seen
    if node.get("type") == "array":
        items = node.get("items") or {}
        return _empty_parts(schema, items, f"{where}[]", seen) if items else [where]
    if node.get("type") == "object" or "properties" in node:
        properties = node.get("properties") or {}
        if not properties and "additionalProperties" not in node:
            return [where]
        return [bad for name, child in properties.items()
                for bad in _empty_parts(schema, child, f"{where}.{name}", seen)]
    if any(key in node for key in ("type", "oneOf", "anyOf", "allOf", "enum")):
        return []
    return [where]


def _operations(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_documents_its_response_body(schema):
    problems = []
    for name, operation in _operations(schema):
        success = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
        if not success:
            problems.append(f"{name}: no 2xx response")
        for code, response in success.items():
            if code == "204":
                continue
            content = response.get("content") or {}
            if not content:
                problems.append(f"{name}: {code} has no response body")
            for media_type, body in content.items():
                if "json" not in media_type:
                    if body.get("schema") != BINARY:
                        problems.append(f"{name}: {code} {media_type} is not a binary string")
                    continue
                problems += [f"{name}: {code} {bad} is undocumented"
                             for bad in _empty_parts(schema, body.get("schema") or {}, "body")]
    assert not problems, "\n".join(problems)


def test_pages_document_their_results(schema):
    pages = {name: s for name, s in schema["components"]["schemas"].items() if name.startswith("Paginated")}
    assert pages
    assert all("results" in page["properties"] for page in pages.values()), pages


def test_file_downloads_declare_their_media_types(schema):
    files = schema["paths"]["/api/v1/releases/{version}/files/{file_format}/"]["get"]["responses"]["200"]
    delta = schema["paths"]["/api/v1/releases/{version}/delta/"]["get"]["responses"]["200"]
    assert files["content"] == {"application/octet-stream": {"schema": BINARY}}
    assert delta["content"] == {"text/csv": {"schema": BINARY}}
