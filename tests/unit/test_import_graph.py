"""The package's import graph, drawn from the code: no circles, no stage imported from below or beside
it, nothing of the tests imported by the pipeline.

Every `import` counts, those inside functions too: a lazy import hides a circle from Python's loader,
not from the design (two modules that each need the other are one module, or a third is missing).
Only imports under `if TYPE_CHECKING:` are left out: they name types for mypy and never run.

Layers, from the top: the clients that drive stages (`pipeline.run`, `pipeline.cli`,
`pipeline.commands`); the stages (`pipeline.stages.*`), none of which imports another; below them
everything a stage uses (the programme and its clips, media, records, subtitles …). What two stages
share lives below both. The batch runner and the review room go through `pipeline.run` and the data
below, not into a stage.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "pipeline"
STAGES = "pipeline.stages."
CLIENTS = ("pipeline.run", "pipeline.cli", "pipeline.commands")
"""The modules that may import a stage: they choose which stage runs and show what it reports."""
OUTSIDE = frozenset({"tests", "benchmarks", "examples", "scripts", "conftest"})
"""Top-level names of the repository's other folders: test fixtures, sample and benchmark helpers."""


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name, for `__init__.py`)."""
    out: dict[str, Path] = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in `tree`, at any depth (functions, methods, branches), except the
    bodies of `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
        else:
            stack.extend(ast.iter_child_nodes(node))


def _base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a `from … import` reads from."""
    if not node.level:
        return node.module or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, node.module] if node.module else parts)


def _targets(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The absolute names `module` imports: a module of the package where the name is one (so
    `from pipeline.stages import ingest` is `pipeline.stages.ingest`), else the name as written."""
    out: set[str] = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
            continue
        base = _base(module, path.name == "__init__.py", node)
        for alias in node.names:
            full = f"{base}.{alias.name}"
            out.add(full if full in known else base)
    out.discard(module)
    return out


@functools.cache
def _imports_of_every_module() -> dict[str, frozenset[str]]:
    """`{module: every name it imports}`, read once per test session."""
    modules = _modules()
    return {module: frozenset(_targets(module, path, modules)) for module, path in modules.items()}


def _graph() -> dict[str, frozenset[str]]:
    """`{module: the modules of the package it imports}`."""
    imports = _imports_of_every_module()
    return {module: frozenset(t for t in targets if t in imports) for module, targets in imports.items()}


def _reach(graph: dict[str, frozenset[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph[module])
    return seen


def _circles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (a module reaching itself through
    others), each sorted."""
    reach = {module: _reach(graph, module) for module in graph}
    circles: list[list[str]] = []
    done: set[str] = set()
    for module in sorted(graph):
        if module in done or module not in reach[module]:
            continue
        circle = sorted(m for m in reach[module] if module in reach[m])
        done.update(circle)
        circles.append(circle)
    return circles


def _is_client(module: str) -> bool:
    return any(module == c or module.startswith(c + ".") for c in CLIENTS)


def test_the_graph_sees_lazy_imports_and_leaves_out_type_only_ones() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .a import A\nelse:\n    from .b import B\n"
        "def f() -> None:\n    from ..c import C\n    import pipeline.d\n")
    names = {(n.level, n.module) if isinstance(n, ast.ImportFrom) else n.names[0].name for n in _imports(tree)}
    assert names == {(0, "typing"), (1, "b"), (2, "c"), "pipeline.d"}
    # The registry loads each stage inside a function: the graph sees those imports.
    assert any(target.startswith(STAGES) for target in _graph()["pipeline.run"])


def test_no_import_circles() -> None:
    graph = _graph()
    circles = _circles(graph)
    detail = ["; ".join(f"{m} -> {', '.join(sorted(graph[m] & set(c)))}" for m in c) for c in circles]
    assert not circles, "modules that import each other (lazy imports counted):\n" + "\n".join(detail)


def test_only_the_clients_import_a_stage() -> None:
    """No stage imports another, and nothing below or beside the stages reaches up into one: what
    a second module needs from a stage belongs below it (the programme, media, records)."""
    wrong = sorted(f"{module} -> {target}" for module, targets in _graph().items() for target in targets
                   if target.startswith(STAGES) and not _is_client(module))
    assert not wrong, ("imports of a stage from outside pipeline.run, pipeline.cli and pipeline.commands:\n"
                       + "\n".join(wrong))


def test_the_pipeline_imports_nothing_of_the_tests_or_sample_helpers() -> None:
    wrong = sorted(f"{module} -> {target}" for module, targets in _imports_of_every_module().items()
                   for target in targets
                   if target.split(".")[0] in OUTSIDE
                   or (target.startswith(PACKAGE + ".") and target.rsplit(".", 1)[-1].startswith("sample")))
    assert not wrong, "the package imports test, sample or benchmark code:\n" + "\n".join(wrong)
