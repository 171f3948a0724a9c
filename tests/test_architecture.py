"""Fitness tests for the layout (README "Layout"): they read the source with `ast` and need no database.

1. Imports run one way between the apps: core <- accounts <- curation <- portal. A module may import
   its own app and the apps below it, never one above; and no two modules import each other, even
   through others (a cycle), at import time.
2. Every ORM write of a domain model (`.save()`, `.create(`, `.update(`, `.delete()`, bulk and
   get-or-create forms) is in a services module (or one of the few named writers below) or a
   migration: views, API views, selectors, forms, tasks and commands call services.
3. Browser pages read input through Django forms (core/forms.py binds them), never `request.GET`,
   `request.POST` or `request.FILES` themselves.

Each checker is tested on a small made-up source first, so the test that scans the tree cannot pass
by finding nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"core": 0, "accounts": 1, "curation": 2, "portal": 3}

# Modules that write and are not called services.py, each for a reason.
WRITERS = {
    Path("accounts/requests.py"): "the two-person rule's service: requests, their decisions, acknowledgements",
    Path("core/audit.py"): "appends to the audit chain: the one function every service calls",
    Path("curation/releases/build.py"): "the release build (a service run by its task): attempts, files, publishing",
    Path("curation/submissions/imports.py"): "the bulk-import service (same rules as submission_create, in batches)",
    Path("curation/submissions/staging.py"): "the bulk import's PostgreSQL writes (COPY, INSERT … SELECT)",
    Path("curation/reviews/criteria.py"): "criteria sets: the active set, and publishing a new version",
}
QUERYSET_WRITES = {"update", "delete", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
ALWAYS_WRITES = {"bulk_create", "bulk_update", "get_or_create", "update_or_create"}
QUERYSET_STEPS = {"objects", "filter", "exclude", "all", "select_for_update", "select_related", "prefetch_related",
                  "order_by", "using", "none"}


def app_modules() -> list[Path]:
    files = []
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" not in relative.parts:
                files.append(relative)
    return files


def module_name(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


# --- 1. Imports ------------------------------------------------------------------------------------

def imports_of(source: str, filename: str, *, top_level_only: bool = False) -> list[tuple[int, str]]:
    """(line, module) for every absolute import of a project module in `source`."""
    tree = ast.parse(source, filename=filename)
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    if top_level_only:  # also imports inside top-level `if TYPE_CHECKING:`-free blocks like try/if
        nodes = [n for stmt in tree.body for n in ast.walk(stmt)
                 if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) or n is stmt]
        nodes += [n for stmt in tree.body if isinstance(stmt, ast.ClassDef) for n in ast.walk(stmt)
                  if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    found = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return [(line, name) for line, name in found if name.split(".")[0] in LAYERS]


def layer_violations(source: str, filename: str) -> list[str]:
    """Each import in `source` (a module of the app its path starts with) of an app above it."""
    own = Path(filename).parts[0]
    found = []
    for line, name in imports_of(source, filename):
        other = name.split(".")[0]
        if LAYERS[other] > LAYERS[own]:
            found.append(f"{filename}:{line}: {own} imports {name} ({other} is above {own})")
    return sorted(set(found))


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles in a module graph (Tarjan's strongly connected components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def module_graph() -> dict[str, set[str]]:
    """Which project module imports which at import time (imports inside functions run later and
    cannot make an import cycle; they are still held to the layers)."""
    files = app_modules()
    known = {module_name(path) for path in files}
    graph: dict[str, set[str]] = {}
    for path in files:
        name = module_name(path)
        targets = set()
        for _, imported in imports_of((ROOT / path).read_text(encoding="utf-8"), str(path), top_level_only=True):
            if imported in known and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def test_the_import_checkers_find_a_reversed_arrow_and_a_cycle():
    source = (
        "from core.errors import DomainError\n"
        "from curation import permissions\n"
        "def view():\n"
        "    from portal import dashboards\n"
    )
    assert layer_violations(source, "accounts/views.py") == [
        "accounts/views.py:2: accounts imports curation (curation is above accounts)",
        "accounts/views.py:2: accounts imports curation.permissions (curation is above accounts)",
        "accounts/views.py:4: accounts imports portal (portal is above accounts)",
        "accounts/views.py:4: accounts imports portal.dashboards (portal is above accounts)",
    ]
    assert layer_violations(source, "portal/views.py") == []
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


def test_imports_run_core_accounts_curation_portal():
    files = app_modules()
    assert Path("core/audit.py") in files and Path("portal/views.py") in files
    found = []
    for path in files:
        found.extend(layer_violations((ROOT / path).read_text(encoding="utf-8"), str(path)))
    assert not found, "Imports must run core <- accounts <- curation <- portal:\n  " + "\n  ".join(found)


def test_no_import_cycles_between_modules():
    graph = module_graph()
    assert graph["curation.submissions.api"], "the graph has edges"
    cycles = import_cycles(graph)
    assert not cycles, "Modules that import each other (directly or through others):\n  " + "\n  ".join(
        " <-> ".join(cycle) for cycle in cycles)


# --- 2. Writes -------------------------------------------------------------------------------------

def _chain(node: ast.AST) -> list[str]:
    """The names along a call chain: `Item.objects.filter(x=1).update` -> [Item, objects, filter, update]."""
    names = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            break
        else:
            break
    return list(reversed(names))


def orm_writes(source: str, filename: str) -> list[str]:
    """Each call in `source` that writes a model: on a manager or queryset chain (`X.objects...`,
    `x.filter(...)...`), or an instance's `.save()` / `.delete()` (which take no positional
    argument, unlike a storage's `save(name, content)` or a cache's `delete(key)`)."""
    tree = ast.parse(source, filename=filename)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, chain = node.func.attr, _chain(node.func.value)
        on_queryset = method in QUERYSET_WRITES and QUERYSET_STEPS & set(chain[1:])
        on_instance = method in ("save", "delete") and not node.args
        if method in ALWAYS_WRITES or on_queryset or on_instance:
            found.append((node.lineno, f"{'.'.join(chain)}.{method}()"))
    return [f"{filename}:{line}: {what}" for line, what in sorted(found)]


def is_writer(path: Path) -> bool:
    return path.name == "services.py" or path in WRITERS


def test_the_write_checker_finds_writes_and_spares_lookalikes():
    source = (
        "def view(request, item, storage, cache, context):\n"
        "    item.status = 'x'\n"
        "    item.save(update_fields=['status'])\n"
        "    Submission.objects.filter(pk=1).update(status='x')\n"
        "    Notice.objects.create(user=request.user)\n"
        "    item.signatures.all().delete()\n"
        "    Group.objects.get_or_create(name='g')\n"
        "    storage.save('name', content)\n"
        "    storage.delete('name')\n"
        "    cache.delete('key')\n"
        "    context.update(note='x')\n"
        "    Submission.objects.filter(pk=1).exists()\n"
    )
    assert orm_writes(source, "v.py") == [
        "v.py:3: item.save()",
        "v.py:4: Submission.objects.filter.update()",
        "v.py:5: Notice.objects.create()",
        "v.py:6: item.signatures.all.delete()",
        "v.py:7: Group.objects.get_or_create()",
    ]


def test_orm_writes_only_in_services_modules():
    files = app_modules()
    writers = [path for path in files if is_writer(path)]
    assert Path("curation/submissions/services.py") in writers and Path("accounts/services.py") in writers
    assert all((ROOT / path).exists() for path in WRITERS), "a named writer was renamed: update WRITERS"
    found = []
    for path in files:
        if not is_writer(path):
            found.extend(orm_writes((ROOT / path).read_text(encoding="utf-8"), str(path)))
    assert not found, (
        "Writes belong in a services module (STYLE.md: one write path per state change); call one instead:\n  "
        + "\n  ".join(found)
    )


# --- 3. Input through forms ----------------------------------------------------------------------

# The apps whose pages read input only through forms; an app joins with one line.
FORM_INPUT_APPS = (
    "accounts",
    "curation",
    "portal",
)
RAW_INPUT = {"GET", "POST", "FILES"}


def view_modules(apps=FORM_INPUT_APPS) -> list[Path]:
    return [path for path in app_modules() if path.parts[0] in apps
            and (path.name == "views.py" or path.name.endswith("_views.py"))]


def raw_input_reads(source: str, filename: str) -> list[str]:
    """Each read of `request.GET`, `request.POST` or `request.FILES` in `source` (of any name's)."""
    tree = ast.parse(source, filename=filename)
    found = [(node.lineno, f"{'.'.join(_chain(node))}") for node in ast.walk(tree)
             if isinstance(node, ast.Attribute) and node.attr in RAW_INPUT]
    return [f"{filename}:{line}: reads {what}" for line, what in sorted(found)]


def test_the_input_checker_finds_raw_reads():
    source = (
        "def view(request):\n"
        "    if request.method == 'POST':\n"
        "        note = request.POST.get('note', '')\n"
        "        upload = request.FILES['file']\n"
        "    page = self.request.GET.get('page')\n"
        "    form = from_body(NoteForm, request)\n"
    )
    assert raw_input_reads(source, "v.py") == [
        "v.py:3: reads request.POST",
        "v.py:4: reads request.FILES",
        "v.py:5: reads self.request.GET",
    ]


def test_pages_read_input_through_forms():
    modules = view_modules()
    assert Path("curation/submissions/views.py") in modules and Path("portal/views.py") in modules
    found = []
    for path in modules:
        found.extend(raw_input_reads((ROOT / path).read_text(encoding="utf-8"), str(path)))
    assert not found, (
        "Pages read input through a form (STYLE.md; bind it with core.forms.from_query / from_body and "
        "use form.cleaned_data):\n  " + "\n  ".join(found)
    )


# --- 4. Size ---------------------------------------------------------------------------------------

def test_modules_stay_readable():
    """No module of curation over 450 lines, none anywhere over 600 (split into a package instead)."""
    too_long = []
    for path in app_modules() + sorted(p.relative_to(ROOT) for p in (ROOT / "config").rglob("*.py")):
        lines = len((ROOT / path).read_text(encoding="utf-8").splitlines())
        limit = 450 if path.parts[0] == "curation" else 600
        if lines > limit:
            too_long.append(f"{path}: {lines} lines (limit {limit})")
    assert not too_long, "\n".join(too_long)


def test_curation_has_no_loose_modules():
    """Everything in curation/ lives in a feature package, but the permissions, the tasks and the
    app's wiring."""
    allowed = {"__init__.py", "apps.py", "admin.py", "urls.py", "api_urls.py", "permissions.py", "tasks.py"}
    loose = sorted(path.name for path in (ROOT / "curation").glob("*.py") if path.name not in allowed)
    assert not loose, f"curation/ modules outside a package: {loose}"


def test_the_partner_client_needs_nothing_of_the_service():
    """client/ is installed on partners' machines alone: no Django, nothing of the service's packages
    (the service imports the client's hashing and matching, never the other way round)."""
    service = ("django", "rest_framework", "core", "accounts", "curation", "portal", "config", "celery")
    found = []
    for path in sorted((ROOT / "client" / "baseline_client").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            found += [f"{path.relative_to(ROOT)}: {name}" for name in names if name.split(".")[0] in service]
    assert found == []
