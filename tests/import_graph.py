"""The imports between SD Studio's own modules, read from the source with ``ast``.

Reading the source (rather than importing and watching ``sys.modules``) also sees the
imports inside functions, which run only later and which an import-time probe misses.
Only ``if TYPE_CHECKING:`` blocks are skipped: they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "sdstudio"

# The layers from the bottom up; a module may import its own layer and the ones before it
# (see docs/architecture.md). imaging and session share layer 1 there, but session may import
# imaging and not the other way round, so here imaging comes first.
LAYERS = ("root", "imaging", "session", "engine", "training", "app", "entry points")
SUBPACKAGE_LAYERS = {"imaging", "session", "engine", "training", "app"}
ROOT_MODULES = {"", "errors", "jobs", "job_queue", "tasks", "style_presets", "paths"}
ENTRY_POINTS = {"cli", "__main__", "selftest"}
IMPORT_BY_STRING = {"import_module", "__import__"}


@dataclass(frozen=True)
class ModuleImport:
    """One import of a project module: who imports what, and where."""

    importer: str
    target: str
    path: Path
    line: int

    @property
    def place(self) -> str:
        return f"{self.path}:{self.line}"


def module_files(package_dir: Path) -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def layer_of(module: str) -> str | None:
    """The layer a module belongs to; None for one the table does not place yet."""
    parts = module.split(".")[1:]
    first = parts[0] if parts else ""
    if len(parts) <= 1 and first in ROOT_MODULES:
        return "root"
    if first in ENTRY_POINTS or (len(parts) == 1 and first.startswith("cli_")):
        return "entry points"
    return first if first in SUBPACKAGE_LAYERS else None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of the tree except the body of an ``if TYPE_CHECKING:`` block."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                stack.extend(child.orelse)
            else:
                stack.append(child)


def _known_module(name: str, modules: dict[str, Path]) -> str:
    """The most specific module a dotted name lives in (``a.b.Class`` -> ``a.b``)."""
    while name not in modules and "." in name:
        name = name.rpartition(".")[0]
    return name


def _targets(node: ast.AST, module: str, is_package: bool, modules: dict[str, Path]):
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] == PACKAGE:
                yield _known_module(alias.name, modules)
    elif isinstance(node, ast.ImportFrom):
        source = node.module or ""
        if node.level:
            package = module if is_package else module.rpartition(".")[0]
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            source = ".".join(base + ([node.module] if node.module else []))
        if source.split(".")[0] != PACKAGE:
            return
        for alias in node.names:
            # ``from pkg import name`` imports the submodule pkg.name when there is one.
            yield _known_module(f"{source}.{alias.name}", modules)


def imports_in(module: str, modules: dict[str, Path]) -> list[ModuleImport]:
    """The project modules one module imports at run time, each with its line."""
    path = modules[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    return [
        ModuleImport(module, target, path, node.lineno)
        for node in runtime_nodes(tree)
        for target in _targets(node, module, is_package, modules)
    ]


def _string_argument(call: ast.Call) -> str | None:
    if not call.args:
        return None
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    if isinstance(first, ast.JoinedStr) and first.values:
        head = first.values[0]
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            return head.value
    return None


def string_imports(path: Path) -> list[tuple[int, str]]:
    """``importlib.import_module`` / ``__import__`` calls naming a project module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        text = _string_argument(node) if name in IMPORT_BY_STRING else None
        if text is not None and (text.split(".")[0] == PACKAGE or text.startswith(".")):
            found.append((node.lineno, text))
    return found


def is_own_package(importer: str, target: str) -> bool:
    """Whether one module is a parent package of the other: importing a module runs its
    packages' ``__init__`` first anyway, so that edge is no cycle of ours."""
    return importer.startswith(target + ".") or target.startswith(importer + ".")


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = lowest[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            step = next(successors, None)
            if step is not None:
                if step not in index:
                    index[step] = lowest[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(edges.get(step, ())))))
                elif step in on_stack:
                    lowest[node] = min(lowest[node], index[step])
                continue
            work.pop()
            if work:
                lowest[work[-1][0]] = min(lowest[work[-1][0]], lowest[node])
            if lowest[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found
