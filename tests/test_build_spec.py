"""build.spec bundles what the frozen app needs, without running PyInstaller.

A real build takes minutes and gigabytes, too much for CI; scripts/build_app.sh does it
for releases. Here the spec is executed with stand-ins for PyInstaller's build classes
that record their arguments, so its data entries, excludes and entry script are checked.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from sdstudio import paths

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build.spec"


ANALYSED_BINARIES = [
    ("libQt6Gui.so.6", "/venv/PySide6/Qt/lib/libQt6Gui.so.6", "BINARY"),
    ("PySide6/Qt/plugins/platforms/libqxcb.so", "/venv/qxcb.so", "BINARY"),
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/venv/qgtk3.so", "BINARY"),
    ("libcairo.so.2", "/usr/lib/libcairo.so.2", "BINARY"),
    ("libpango-1.0.so.0", "/usr/lib/libpango-1.0.so.0", "BINARY"),
]


class _Recorder:
    def __init__(self, kind: str, calls: list, *args, **kwargs) -> None:
        calls.append((kind, args, kwargs))
        self.args = args
        self.kwargs = kwargs
        # What later build steps read from an Analysis; binaries as PyInstaller's binary
        # dependency analysis would add them, so the spec's filtering can be checked.
        self.pure, self.scripts = [], []
        self.binaries = [(Path(src).name, src, "BINARY") for src, _ in kwargs.get("binaries", [])]
        self.binaries += ANALYSED_BINARIES
        self.datas = kwargs.get("datas", [])


def run_spec(root: Path, platform: str = "linux") -> dict[str, SimpleNamespace]:
    """Execute build.spec as if PyInstaller did, with SPECPATH = root."""
    calls: list = []
    namespace = {"SPECPATH": str(root), "__name__": "__main__", "__file__": str(SPEC)}
    for kind in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"):
        namespace[kind] = lambda *a, _kind=kind, **k: _Recorder(_kind, calls, *a, **k)
    real_platform = sys.platform
    sys.platform = platform  # the spec picks the icon and the macOS .app by platform
    try:
        exec(compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec"), namespace)
    finally:
        sys.platform = real_platform
    recorded = {kind: SimpleNamespace(args=args, kwargs=kwargs) for kind, args, kwargs in calls}
    recorded["namespace"] = SimpleNamespace(**{k: v for k, v in namespace.items() if k.isupper()})
    return recorded


@pytest.fixture(scope="module")
def spec() -> dict[str, SimpleNamespace]:
    return run_spec(ROOT)


def _bundled(spec) -> dict[str, str]:
    """bundle path -> source path for every data file."""
    return {str(Path(dest) / Path(src).name): src for src, dest in spec["Analysis"].kwargs["datas"]}


def test_every_resource_and_model_file_is_bundled_at_its_relative_path(spec):
    bundled = _bundled(spec)
    for folder in ("resources", "models"):
        for path in (ROOT / folder).rglob("*"):
            relative = path.relative_to(ROOT)
            hidden = any(part.startswith(".") for part in relative.parts)
            if path.is_file() and not hidden and path.suffix not in {".part", ".tmp", ".pyc"}:
                assert bundled.get(str(relative)) == str(path), f"{relative} is not bundled"
    assert all(Path(src).is_file() for src in bundled.values())


def test_icon_is_bundled_and_used_for_the_executable(spec):
    bundled = _bundled(spec)
    for name in ("sdstudio.svg", "sdstudio.png", "sdstudio.ico", "sdstudio-48.png"):
        assert f"resources/icons/{name}" in bundled
    assert "resources/linux/sdstudio.desktop" in bundled
    assert spec["EXE"].kwargs["icon"] is None  # Linux: the .desktop entry names the icon
    windows = run_spec(ROOT, platform="win32")["EXE"].kwargs["icon"]
    mac = run_spec(ROOT, platform="darwin")["EXE"].kwargs["icon"]
    assert windows.endswith("sdstudio.ico") and Path(windows).is_file()
    assert mac.endswith(".png") and Path(mac).is_file()


def test_model_folder_filtering(tmp_path):
    """Hidden files, caches and half-written downloads stay out; models keep their path."""
    (tmp_path / "sdstudio" / "engine").mkdir(parents=True)
    (tmp_path / "sdstudio" / "__init__.py").write_text("")
    (tmp_path / "sdstudio" / "__main__.py").write_text("")
    (tmp_path / "sdstudio" / "engine" / "runner.py").write_text("")
    (tmp_path / "resources" / "example").mkdir(parents=True)
    (tmp_path / "resources" / "example" / "example.jpg").write_bytes(b"jpeg")
    (tmp_path / "models" / "style").mkdir(parents=True)
    (tmp_path / "models" / "repair.safetensors").write_bytes(b"weights")
    (tmp_path / "models" / "style" / "oil.safetensors").write_bytes(b"weights")
    (tmp_path / "models" / "README.md").write_text("model card")
    (tmp_path / "models" / ".gitkeep").write_text("")
    (tmp_path / "models" / "next.safetensors.part").write_bytes(b"half")
    (tmp_path / "models" / "__pycache__").mkdir()
    (tmp_path / "models" / "__pycache__" / "x.pyc").write_bytes(b"")

    recorded = run_spec(tmp_path)

    assert sorted(_bundled(recorded)) == [
        "models/README.md",
        "models/repair.safetensors",
        "models/style/oil.safetensors",
        "resources/example/example.jpg",
    ]
    assert recorded["Analysis"].kwargs["hiddenimports"] == ["sdstudio", "sdstudio.engine.runner"]


@pytest.mark.parametrize(
    ("package", "library"), [("patchmatch", "libpatchmatch"), ("torchvision", "_C_stable")]
)
def test_native_libraries_loaded_by_path_are_bundled(spec, package, library):
    """Found at run time beside the package's modules, as in site-packages."""
    import importlib.util

    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not installed in this environment")
    binaries = spec["Analysis"].kwargs["binaries"]
    assert any(
        dest == package and Path(src).name.startswith(library) and Path(src).is_file()
        for src, dest in binaries
    ), binaries


def test_gtk_theme_plugin_and_its_system_libraries_stay_out(spec):
    collected = {Path(entry[0]).name for entry in spec["COLLECT"].args[1]}
    assert {"libQt6Gui.so.6", "libqxcb.so"} <= collected
    assert not collected & {"libqgtk3.so", "libcairo.so.2", "libpango-1.0.so.0"}


def test_every_app_module_is_a_hidden_import(spec):
    hidden = set(spec["Analysis"].kwargs["hiddenimports"])
    for path in (ROOT / "sdstudio").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        assert name in hidden


@pytest.mark.parametrize(
    "package", ["triton", "pytest", "hypothesis", "tests", "diffusers", "transformers", "scipy"]
)
def test_heavy_unused_packages_are_excluded(spec, package):
    assert package in spec["Analysis"].kwargs["excludes"]


def _unguarded_imports(tree: ast.AST) -> set[str]:
    """Modules imported outside a `try: ... except ImportError` (or broader) block."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            names = set()
            for handler in node.handlers:
                if handler.type is None:
                    names.add("Exception")
                for sub in ast.walk(handler.type) if handler.type else []:
                    if isinstance(sub, ast.Name):
                        names.add(sub.id)
            if names & {"ImportError", "ModuleNotFoundError", "Exception"}:
                for statement in node.body:
                    guarded.update(id(sub) for sub in ast.walk(statement))
    modules = set()
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def _matches(module: str, names: list[str]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in names)


def _sources():
    for path in (ROOT / "sdstudio").rglob("*.py"):
        yield path.relative_to(ROOT), ast.parse(path.read_text(encoding="utf-8"))


def test_the_app_never_needs_an_excluded_package(spec):
    """An unguarded import of an excluded package would crash only the frozen app."""
    optional = spec["namespace"].DIFFUSION_MODULES
    never_used = [m for m in spec["Analysis"].kwargs["excludes"] if m not in optional]
    offenders = [
        f"{relative} imports {module}"
        for relative, tree in _sources()
        for module in _unguarded_imports(tree)
        if _matches(module, never_used)
    ]
    assert offenders == []


def test_optional_diffusion_stack_is_imported_only_lazily(spec):
    """Without the diffusion extra every app module still imports (it is looked up first)."""
    optional = spec["namespace"].DIFFUSION_MODULES
    offenders = []
    for relative, tree in _sources():
        module_level = ast.Module(
            body=[s for s in tree.body if not isinstance(s, (ast.FunctionDef, ast.ClassDef))],
            type_ignores=[],
        )
        offenders += [
            f"{relative} imports {module} at import time"
            for module in _unguarded_imports(module_level)
            if _matches(module, optional)
        ]
    assert offenders == []


def test_one_folder_windowed_build_without_upx(spec):
    exe, collect = spec["EXE"].kwargs, spec["COLLECT"].kwargs
    assert exe["exclude_binaries"] is True  # one-folder: binaries go to COLLECT
    assert exe["name"] == collect["name"] == "sdstudio"
    assert exe["console"] is False
    assert exe["upx"] is False and collect["upx"] is False
    assert spec["Analysis"].kwargs["optimize"] == 0
    assert "BUNDLE" not in spec
    mac = run_spec(ROOT, platform="darwin")
    assert mac["BUNDLE"].kwargs["name"] == "SD Studio.app"


def test_freeze_support_runs_first_in_the_entry_script(spec):
    entry = Path(spec["Analysis"].args[0][0])
    assert entry == ROOT / "sdstudio" / "__main__.py"
    tree = ast.parse(entry.read_text(encoding="utf-8"))
    guard = None
    for statement in tree.body:
        if isinstance(statement, ast.If) and "__main__" in ast.unparse(statement.test):
            guard = statement
            break
        # Before the guard only light standard-library imports: nothing that could start
        # torch or Qt (or a training process) before freeze_support() has run.
        assert isinstance(statement, (ast.Import, ast.ImportFrom, ast.Expr)), ast.unparse(statement)
        if isinstance(statement, ast.Import):
            assert {a.name for a in statement.names} <= {"multiprocessing", "sys", "os"}
        if isinstance(statement, ast.ImportFrom):
            assert statement.module == "__future__"
    assert guard is not None
    assert ast.unparse(guard.body[0]) == "multiprocessing.freeze_support()"


def test_bundle_root_honours_meipass(monkeypatch, tmp_path):
    assert paths.bundle_root() == ROOT  # source tree
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.bundle_root() == tmp_path
    assert paths.resources_dir() == tmp_path / "resources"
    assert paths.bundled_models_dir() == tmp_path / "models"
    assert paths.example_photo_path() == tmp_path / "resources" / "example" / "example.jpg"


def test_user_data_never_lives_in_the_bundle(monkeypatch, tmp_path):
    bundle = tmp_path / "bundle"
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.delenv("SDSTUDIO_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    for folder in (paths.user_data_dir(), paths.user_models_dir(), paths.logs_dir()):
        assert not folder.is_relative_to(bundle)
        assert folder.is_relative_to(tmp_path / "home")
