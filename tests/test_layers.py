"""The directions between packages (docs/architecture.md "Allowed directions"), checked over every import of
backend/, those inside functions too. A breach fails with its file and line.

- ``core`` imports nothing of the project; ``registry`` and ``wechat`` only ``core``; ``auth`` also ``registry`` and
  ``wechat``; ``ops`` ``core`` and ``registry``.
- a domain imports ``core``, ``registry`` and the domains :data:`DOMAIN_DEPENDS` allows it, no more; ``township`` and
  ``home`` read any domain; ``demo`` and the app's own wiring (``backend/__init__.py``, ``cli.py``) import anything,
  and nothing imports ``demo`` but the CLI.
- one domain imports another only from the other's package (``from backend.ledger import post_voucher``), and only
  a name that package lists in ``__all__``: its models, routes and inner modules stay its own.
- ``decisions.votes`` never imports ``decisions.pipeline``.
- no import cycle: neither between domains nor between modules.
- below the routes nothing reads ``flask.request``.
- outside the registry, the registry's model classes are types only: never selected from, joined or loaded.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "backend"

DOMAINS = ("ledger", "disclosures", "decisions", "dividends", "land", "jobs", "notices", "membership", "assisted",
           "assets", "contracts", "projects")
# domain → the domains its rules need (docs/architecture.md): a large expense rests on a resolved decision
# (ledger → decisions); a disclosure is drafted from the books and cites decisions; a dividend needs an approving
# decision and posts vouchers; rent received posts a voucher and a lease rests on a decision; public-benefit pay
# posts a voucher; a notice is pushed through WeChat to the people auth knows; what a villager is told of (a vote
# opened, a dividend paid, rent passed on, an answer, a job's outcome) is queued in notices' outbox by its domain.
DOMAIN_DEPENDS: dict[str, frozenset[str]] = {
    "ledger": frozenset({"decisions"}),
    "disclosures": frozenset({"ledger", "decisions", "notices"}),
    "decisions": frozenset({"notices"}),
    "dividends": frozenset({"decisions", "ledger", "notices"}),
    "land": frozenset({"decisions", "ledger", "notices"}),
    "jobs": frozenset({"ledger", "notices"}),
    "notices": frozenset({"auth", "wechat"}),
    "membership": frozenset({"decisions", "notices"}),
    "assisted": frozenset({"decisions", "jobs", "notices"}),
    # the 三资 register reads fund balances from the books, links land and leased assets, and a disposal rests on a
    # resolved decision; the contracts register holds land's contracts beside its own, names the asset a contract
    # is about, posts receipts; a project's steps cite decisions and its income is read from the books
    "assets": frozenset({"decisions", "ledger", "land"}),
    "contracts": frozenset({"assets", "decisions", "ledger", "land"}),
    "projects": frozenset({"decisions", "ledger"}),
}
BASE = frozenset({"core", "registry"})
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "registry": frozenset({"core"}),
    "wechat": frozenset({"core"}),
    "auth": frozenset({"core", "registry", "wechat"}),
    "ops": frozenset({"core", "registry"}),
    **{d: BASE | deps for d, deps in DOMAIN_DEPENDS.items()},
    "township": BASE | frozenset(DOMAINS) | {"auth"},
    "home": BASE | frozenset(DOMAINS) | {"auth"},
}
# the app's wiring may import anything; so may the demo; the migrations read the guards they install
WIRING = frozenset({"app", "cli", "demo", "migrations", "extensions", "config", "wsgi"})
# the routes' world: request-level modules that read flask.request by design
REQUEST_LEVEL = frozenset({
    "backend.core.errors", "backend.core.hardening", "backend.core.idempotency", "backend.core.permissions",
    "backend.core.ratelimit", "backend.core.etag", "backend.core.pagination", "backend.core.request_memo",
    "backend.core.connections", "backend.core.shared_pages",
    "backend.auth.service",
})
REGISTRY_MODELS = frozenset({"Township", "Village", "Household", "Person", "Member", "RoleAssignment", "Setting"})
# calls that load by a model class but stay within the rules: the permission check's own loader and the
# village-scoped getters
TYPE_ONLY_CALLS = frozenset({"requires", "get_in_village", "find_in_village", "isinstance"})


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(module: str) -> str:
    """The top package under backend: ``backend.ledger.reports.service`` → ``ledger``; the app itself → ``app``."""
    parts = module.split(".")
    if len(parts) == 1:
        return "app"
    return parts[1]


MODULES: dict[str, Path] = {
    module_name(p): p for p in BACKEND.rglob("*.py") if "migrations" not in p.parts
}


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (a package's __init__ when a name is imported from it)
    names: tuple[str, ...]  # names imported from target (empty for ``import x``)
    line: int
    at_top: bool

    def where(self) -> str:
        return f"{MODULES[self.source].relative_to(ROOT)}:{self.line}"


def _resolve(source: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = source.split(".")
    if MODULES[source].name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports() -> list[Import]:
    found: list[Import] = []
    for source, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        top = {id(n) for n in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("backend"):
                        found.append(Import(source, alias.name, (), node.lineno, id(node) in top))
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(source, node)
                if not target.startswith("backend"):
                    continue
                modules = [a.name for a in node.names if f"{target}.{a.name}" in MODULES]
                names = tuple(a.name for a in node.names if f"{target}.{a.name}" not in MODULES)
                for m in modules:
                    found.append(Import(source, f"{target}.{m}", (), node.lineno, id(node) in top))
                if names:
                    found.append(Import(source, target, names, node.lineno, id(node) in top))
    return found


IMPORTS = _imports()


def _public(package: str) -> set[str]:
    """What ``backend.<package>``'s ``__init__`` names in ``__all__``."""
    tree = ast.parse(MODULES[f"backend.{package}"].read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return {ast.literal_eval(e) for e in node.value.elts}  # type: ignore[attr-defined]
    return set()


def test_every_module_is_read() -> None:
    assert len(MODULES) > 50 and len(IMPORTS) > 300


def test_packages_import_only_in_the_allowed_directions() -> None:
    breaches = []
    for imp in IMPORTS:
        src, dst = package_of(imp.source), package_of(imp.target)
        if src == dst or (dst == "app" and imp.target == "backend.extensions"):
            continue
        if dst == "demo" and src != "cli":
            breaches.append(f"{imp.where()}: {imp.source} imports the demo")
        if src in WIRING:
            continue
        if dst not in ALLOWED.get(src, frozenset()) and dst not in {"extensions", "config"}:
            breaches.append(f"{imp.where()}: {src} may not import {dst} ({imp.target})")
    assert breaches == []


def test_a_domain_uses_only_what_another_exports() -> None:
    breaches = []
    for imp in IMPORTS:
        src, dst = package_of(imp.source), package_of(imp.target)
        if src == dst or src in WIRING or dst in {"core", "app", "extensions", "config"}:
            continue
        package = f"backend.{dst}"
        exported_module = imp.target.rpartition(".")[0] == package and imp.target.rpartition(".")[2] in _public(dst)
        if imp.target != package and not exported_module:
            breaches.append(f"{imp.where()}: {imp.target} is inside {dst}; import from {package} what it exports")
            continue
        missing = sorted(set(imp.names) - _public(dst))
        if missing:
            breaches.append(f"{imp.where()}: {package} does not export {', '.join(missing)}")
    assert breaches == []


def test_votes_never_import_the_pipeline() -> None:
    breaches = [
        f"{imp.where()}: {imp.source} imports {imp.target}"
        for imp in IMPORTS
        if imp.source.startswith("backend.decisions.votes") and imp.target.startswith("backend.decisions.pipeline")
    ]
    assert breaches == []


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_cycle_between_packages() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in IMPORTS:
        src, dst = package_of(imp.source), package_of(imp.target)
        if src != dst and src not in {"app"}:
            edges[src].add(dst)
    assert _cycles(edges) == []


def test_no_cycle_between_modules() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in IMPORTS:
        if imp.target in MODULES and imp.source != imp.target:
            edges[imp.source].add(imp.target)
    cycles = _cycles(edges)
    where = {
        " → ".join(c): [i.where() for i in IMPORTS if i.source in c and i.target in c] for c in cycles
    }
    assert where == {}


def test_nothing_below_the_routes_reads_the_request() -> None:
    breaches = []
    for source, path in MODULES.items():
        if path.name == "routes.py" or source in REQUEST_LEVEL or package_of(source) in WIRING:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.ImportFrom) and node.module == "flask"
                    and any(a.name == "request" for a in node.names)):
                breaches.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert breaches == []


def _annotation_nodes(tree: ast.AST) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        annotations: list[ast.AST | None] = []
        if isinstance(node, (ast.arg, ast.AnnAssign)):
            annotations.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            annotations.append(node.returns)
        for a in annotations:
            if a is not None:
                inside.update(id(n) for n in ast.walk(a))
    return inside


def test_other_domains_read_the_registry_through_its_functions() -> None:
    breaches = []
    for source, path in MODULES.items():
        if package_of(source) in {"registry", "demo", "app", "cli"} or source.startswith("backend.migrations"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bound = {
            (a.asname or a.name)
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("backend.registry")
            for a in node.names
            if a.name in REGISTRY_MODELS
        }
        if not bound:
            continue
        annotations = _annotation_nodes(tree)
        allowed_args: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in TYPE_ONLY_CALLS:
                allowed_args.update(id(n) for n in ast.walk(node))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Name) and node.id in bound and id(node) not in annotations
                    and id(node) not in allowed_args):
                breaches.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.id} used beyond a type")
    assert breaches == []
