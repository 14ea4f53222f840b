"""The layering of docs/architecture.md, checked from the source: one direction of imports, no cycles,
no private names across modules, a numpy-only core."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pixelfes_edu"

#: Lowest first; a module may import its own layer's modules and those of lower layers only.
LAYERS = [
    ("validation", "models"),
    ("store",),
    ("faces",),
    ("data",),
    ("evaluation", "plotting", "pictures"),
    ("explore",),
    ("cli",),
]


def _module_name(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path):
    """``(module, names)`` of every import of a package module in ``path`` (relative ones resolved)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "pixelfes_edu":
                out.append((target, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.split(".")[0] == "pixelfes_edu"]
    return out


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module):
    parts = module.split(".")
    if len(parts) == 1:
        return None  # the package's face (__init__) re-exports from every layer
    for i, names in enumerate(LAYERS):
        if parts[1] in names:
            return i
    raise AssertionError(f"{module} is in no layer of LAYERS: add it to docs/architecture.md and here")


def _resolve(target, name):
    """The module an ``from target import name`` reads: a submodule if one is named so."""
    return f"{target}.{name}" if f"{target}.{name}" in MODULES else target


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) is not None))
def test_imports_only_run_down_the_layers(module):
    here = _layer(module)
    for target, names in _imports(MODULES[module]):
        for resolved in {_resolve(target, n) for n in names} or {target}:
            there = _layer(resolved) if resolved != "pixelfes_edu" else None
            assert there is not None and there <= here, f"{module} imports {resolved} (a higher layer)"


def test_no_import_cycles():
    graph = {m: {_resolve(t, n) for t, names in _imports(p) for n in (names or [""])} & set(MODULES)
             for m, p in MODULES.items()}
    # package faces (__init__) re-export their children: edges into them are edges to the children
    state = {}

    def visit(m, stack):
        state[m] = "open"
        for nxt in graph[m]:
            if nxt == m or m.startswith(nxt + "."):
                continue  # a module importing its own package's face
            if state.get(nxt) == "open":
                raise AssertionError(" -> ".join(stack + [m, nxt]))
            if nxt not in state:
                visit(nxt, stack + [m])
        state[m] = "done"

    for m in graph:
        if m not in state:
            visit(m, [])


def test_no_private_names_imported_across_modules():
    bad = [(m, t, n) for m, p in MODULES.items() for t, names in _imports(p) for n in names if n.startswith("_")]
    assert bad == []


def test_the_core_imports_numpy_only():
    allowed = {"numpy", "numbers", "os", "concurrent", "pixelfes_edu"}
    for m, p in MODULES.items():
        if _layer(m) != 0:
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Import):
                roots = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= allowed, f"{m} imports {roots - allowed}"


def test_the_layer_table_knows_every_subpackage():
    tops = {m.split(".")[1] for m in MODULES if "." in m}
    assert tops == {n for names in LAYERS for n in names}
