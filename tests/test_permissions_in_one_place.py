"""Role decisions live in the permissions modules (STYLE.md: "permissions.py — the one module that
answers 'may this user see/do this'"). Views, services, serializers and the rest ask a named rule
there (`may_read_audit_log(user)`), never a role (`has_role(user, Role.ADMINISTRATOR)`).

This test reads the source with `ast`; it needs no database.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "accounts", "curation", "portal", "config")
PERMISSION_MODULES = {Path("accounts/permissions.py"), Path("curation/permissions.py")}
# The role primitives: only the permissions modules build rules from them.
PRIMITIVES = {"has_role", "has_any_role"}
# Where a set of roles would stand for a rule: navigation shows a link by the rule its page asks.
NO_ROLE_SETS = {Path("portal/navigation.py")}


def _sources() -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or relative in PERMISSION_MODULES:
                continue
            files.append(relative)
    return files


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _is_role_member(node: ast.AST) -> bool:
    """`Role.CURATOR` and the like (not `Role.values` or `Role.choices`)."""
    return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Role"
            and node.attr.isupper())


def _role_comparisons(test: ast.AST) -> list[ast.Compare]:
    return [node for node in ast.walk(test) if isinstance(node, ast.Compare)
            and any(_is_role_member(operand) for operand in (node.left, *node.comparators))]


def inline_role_checks(source: str, filename: str) -> list[str]:
    """Each place in `source` that decides by role instead of asking a permissions rule."""
    tree = ast.parse(source, filename=filename)
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Name) and node.id == "HasRole") or (
                isinstance(node, ast.Attribute) and node.attr == "HasRole"):
            found.append((node.lineno, "uses HasRole (a role list) instead of Allows.rule(a named rule)"))
        elif Path(filename) in NO_ROLE_SETS and isinstance(node, ast.Tuple | ast.List | ast.Set) and any(
                _is_role_member(element) for element in node.elts):
            found.append((node.lineno, "lists roles where a named rule decides"))
        elif isinstance(node, ast.Call) and _called_name(node) in PRIMITIVES:
            found.append((node.lineno, f"calls {_called_name(node)}()"))
        elif isinstance(node, ast.ImportFrom) and node.module == "accounts.permissions":
            found.extend((node.lineno, f"imports {alias.name}") for alias in node.names if alias.name in PRIMITIVES)
        elif isinstance(node, ast.If | ast.IfExp | ast.While | ast.Assert):
            found.extend((compare.lineno, "compares against a Role member in a condition")
                         for compare in _role_comparisons(node.test))
        elif isinstance(node, ast.comprehension):
            found.extend((compare.lineno, "compares against a Role member in a condition")
                         for condition in node.ifs for compare in _role_comparisons(condition))
    return [f"{filename}:{line}: {what}" for line, what in sorted(found)]


def test_the_checker_finds_inline_role_checks():
    source = (
        "from accounts.permissions import has_role\n"
        "def view(request):\n"
        "    if has_role(request.user, Role.CURATOR):\n"
        "        pass\n"
        "    shown = permissions.has_any_role(request.user, Role.CURATOR)\n"
        "    if Role.REVIEWER in roles:\n"
        "        pass\n"
        "    if role in Role.values:\n"  # input validation, not an access decision
        "        pass\n"
        "permission_classes = [HasRole.of(Role.CURATOR)]\n"
        "LINKS = (Link('Submit', 'submit', (Role.INVESTIGATOR,)),)\n"
    )
    assert inline_role_checks(source, "x.py") == [
        "x.py:1: imports has_role",
        "x.py:3: calls has_role()",
        "x.py:5: calls has_any_role()",
        "x.py:6: compares against a Role member in a condition",
        "x.py:10: uses HasRole (a role list) instead of Allows.rule(a named rule)",
    ]
    assert inline_role_checks(source, "portal/navigation.py")[-1] == (
        "portal/navigation.py:11: lists roles where a named rule decides")


def test_no_role_decisions_outside_the_permissions_modules():
    sources = _sources()
    assert Path("accounts/views.py") in sources and Path("curation/submissions/services.py") in sources
    found = []
    for relative in sources:
        found.extend(inline_role_checks((ROOT / relative).read_text(encoding="utf-8"), str(relative)))
    assert not found, (
        "Role decisions belong in accounts/permissions.py or curation/permissions.py as named rules "
        "(may_...); ask those instead:\n  " + "\n  ".join(found)
    )
