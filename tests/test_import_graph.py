"""The import graph of ``sdstudio/`` keeps its layers: read from the source, every import.

``test_layers.py`` imports each layer and looks at ``sys.modules``; that cannot see an
import inside a function until it runs. These tests read every import statement with
``ast`` (only ``if TYPE_CHECKING:`` blocks are skipped) and fail, naming file and line, on an
import up the layers, on a runtime cycle between modules and on a project module imported
by a string. They also keep each module short enough to read in one sitting.
"""

from __future__ import annotations

from pathlib import Path

from tests.import_graph import (
    LAYERS,
    cycles,
    imports_in,
    is_own_package,
    layer_of,
    module_files,
    string_imports,
)

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "sdstudio"
MAX_MODULE_LINES = 400
MODULES = module_files(PACKAGE_DIR)
IMPORTS = [found for module in MODULES for found in imports_in(module, MODULES)]


def _relative(path: Path) -> str:
    return str(path.relative_to(PACKAGE_DIR.parent))


def test_the_graph_sees_imports_inside_functions():
    # A guard on the reader itself: the GUI launch in cli.py imports the app lazily.
    cli_targets = {found.target for found in IMPORTS if found.importer == "sdstudio.cli"}
    assert any(layer_of(target) == "app" for target in cli_targets)


def test_every_module_has_a_layer():
    unplaced = sorted(name for name in MODULES if layer_of(name) is None)
    assert unplaced == [], f"add these modules to the layer table: {unplaced}"


def test_no_import_goes_up_the_layers():
    upward = [
        f"{_relative(found.path)}:{found.line}: {found.importer} ({layer_of(found.importer)}) "
        f"imports {found.target} ({layer_of(found.target)})"
        for found in IMPORTS
        if LAYERS.index(layer_of(found.target) or "root")
        > LAYERS.index(layer_of(found.importer) or "root")
    ]
    assert upward == [], "imports up the layers:\n" + "\n".join(upward)


def test_no_import_cycle_between_modules():
    edges: dict[str, set[str]] = {}
    for found in IMPORTS:
        if found.target != found.importer and not is_own_package(found.importer, found.target):
            edges.setdefault(found.importer, set()).add(found.target)
    messages = []
    for cycle in cycles(edges):
        members = set(cycle)
        steps = sorted(
            {
                f"    {_relative(found.path)}:{found.line}: {found.importer} -> {found.target}"
                for found in IMPORTS
                if found.importer in members
                and found.target in members
                and found.target in edges.get(found.importer, ())
            }
        )
        messages.append(f"cycle between {', '.join(cycle)}:\n" + "\n".join(steps))
    assert messages == [], "import cycles:\n" + "\n".join(messages)


def test_no_project_module_is_imported_by_a_string():
    by_string = [
        f"{_relative(path)}:{line}: imports {text!r} by a string"
        for path in MODULES.values()
        for line, text in string_imports(path)
    ]
    assert by_string == [], "\n".join(by_string)


def test_no_module_is_over_the_line_limit():
    long_modules = [
        f"{_relative(path)}: {count} lines"
        for path in MODULES.values()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert long_modules == [], f"modules over {MAX_MODULE_LINES} lines:\n" + "\n".join(long_modules)


# -- the reader itself, on a made-up package ----------------------------------------------


def _package(root: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, text in files.items():
        path = root / "sdstudio" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return module_files(root / "sdstudio")


def test_the_reader_follows_relative_and_function_imports_but_not_type_checking(tmp_path):
    modules = _package(
        tmp_path,
        {
            "__init__.py": "",
            "app/__init__.py": "",
            "app/window.py": "",
            "imaging/__init__.py": "",
            "imaging/masks.py": "",
            "engine/__init__.py": "",
            "engine/b.py": "",
            "engine/a.py": (
                "from typing import TYPE_CHECKING\n"
                "from . import b\n"
                "if TYPE_CHECKING:\n"
                "    from sdstudio.app import window\n"
                "def fill():\n"
                "    from sdstudio.imaging.masks import dilate\n"
            ),
        },
    )
    found = imports_in("sdstudio.engine.a", modules)
    assert sorted((item.target, item.line) for item in found) == [
        ("sdstudio.engine.b", 2),
        ("sdstudio.imaging.masks", 6),
    ]


def test_a_project_module_named_by_a_string_is_found(tmp_path):
    path = tmp_path / "lazy.py"
    path.write_text(
        "import importlib\n"
        "importlib.import_module('json')\n"
        "importlib.import_module('sdstudio.engine.repair')\n"
        "name = 'x'\n"
        "__import__(f'sdstudio.{name}')\n",
        encoding="utf-8",
    )
    assert string_imports(path) == [(3, "sdstudio.engine.repair"), (5, "sdstudio.")]


def test_a_cycle_is_found_and_a_chain_is_not():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"d"}}
    assert cycles(edges) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}}) == []


def test_each_kind_of_module_has_its_layer():
    assert layer_of("sdstudio") == "root"
    assert layer_of("sdstudio.job_queue") == "root"
    assert layer_of("sdstudio.session.history") == "session"
    assert layer_of("sdstudio.engine.backends.classical") == "engine"
    assert layer_of("sdstudio.cli_damage") == layer_of("sdstudio.selftest.common")
    assert layer_of("sdstudio.selftest.common") == "entry points"
    assert layer_of("sdstudio.something_new") is None
