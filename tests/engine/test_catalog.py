from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from sdstudio import paths
from sdstudio.engine import catalog
from sdstudio.engine.catalog import MethodInfo, ModelProblem
from sdstudio.errors import UnknownNameError
from tests.engine.helpers import (
    save_tiny_enhance_model,
    save_tiny_repair_model,
    save_tiny_style_model,
    validation_scores,
)


def test_without_model_files_only_classical_methods_are_offered():
    repair = catalog.list_methods("repair", include_providers=False)
    assert {m.id for m in repair} >= {"telea", "navier_stokes"}
    assert all(m.kind == "classical" and m.path is None for m in repair)
    expected = "auto_classical" if catalog.patchmatch_available() else "telea"
    assert catalog.best_method("repair").id == expected
    assert [m.id for m in catalog.list_methods("enhance", include_providers=False)] == ["lanczos"]


def test_patchmatch_is_offered_when_installed():
    ids = [m.id for m in catalog.list_methods("repair", include_providers=False)]
    assert ("patchmatch" in ids) == catalog.patchmatch_available()


def test_trained_models_in_the_user_folder_are_listed_and_preferred():
    folder = paths.user_models_dir()
    save_tiny_repair_model(folder)
    save_tiny_enhance_model(folder, 2)
    save_tiny_enhance_model(folder, 4)
    save_tiny_style_model(folder)
    repair = catalog.list_methods("repair", include_providers=False)
    assert repair[0].id == "tiny-repair" and repair[0].kind == "builtin"
    assert repair[0].source == "your models" and repair[0].size_bytes > 0
    assert catalog.best_method("repair").id == "tiny-repair"
    assert catalog.best_method("enhance", scale=4).id == "tiny-sr-x4"
    assert catalog.best_method("enhance", scale=1).id == "lanczos"
    style = catalog.list_methods("style", include_providers=False)
    assert [(m.style, m.kind) for m in style] == [("oil_painting", "builtin")]
    # every offered network has its file
    for task in ("repair", "enhance", "style"):
        for method in catalog.list_methods(task, include_providers=False):
            assert method.kind == "classical" or method.path.is_file()


def test_find_method_by_id_name_or_file_and_unknown_names_list_choices():
    save_tiny_repair_model(paths.user_models_dir(), name="my-fill")
    assert catalog.find_method("repair", "my-fill").kind == "builtin"
    assert catalog.find_method("repair", "TELEA").id == "telea"
    assert catalog.find_method("repair", "Telea (OpenCV)").id == "telea"
    assert catalog.find_method("repair", "my-fill.safetensors").id == "my-fill"
    assert catalog.find_method("repair", "auto").id == "my-fill"
    with pytest.raises(UnknownNameError, match="telea") as caught:
        catalog.find_method("repair", "nonsense")
    assert "nonsense" in str(caught.value)
    with pytest.raises(UnknownNameError):
        catalog.list_methods("juggling")


def test_broken_files_are_reported_not_fatal():
    folder = paths.user_models_dir()
    good = save_tiny_repair_model(folder)
    (folder / "junk.safetensors").write_bytes(b"not a model at all")
    truncated = folder / "cut.safetensors"
    truncated.write_bytes(good.read_bytes()[:-50])
    result = catalog.scan_catalog(include_providers=False)
    assert [m.id for m in result.for_task("repair")][0] == "tiny-repair"
    problems = {p.path.name: p.message for p in result.problems}
    assert set(problems) == {"junk.safetensors", "cut.safetensors"}
    assert "truncated" in problems["cut.safetensors"]


def test_a_provider_extends_the_catalog_and_a_failing_one_is_a_problem():
    def good(folders):
        yield MethodInfo("lama-community", "repair", "LaMa", "community file", "community")
        yield ModelProblem(Path("x.pth"), "x.pth is not an image model")

    def broken(folders):
        raise RuntimeError("boom")

    catalog.register_provider(good)
    catalog.register_provider(broken)
    try:
        result = catalog.scan_catalog()
    finally:
        catalog.unregister_provider(good)
        catalog.unregister_provider(broken)
    assert "lama-community" in [m.id for m in result.for_task("repair")]
    messages = [p.message for p in result.problems]
    assert "x.pth is not an image model" in messages and any("boom" in m for m in messages)


def test_listing_our_models_does_not_import_torch(isolated_user_data):
    save_tiny_repair_model(paths.user_models_dir())
    code = (
        "import sys\nfrom sdstudio.engine import catalog\n"
        "methods = catalog.list_methods('repair', include_providers=False)\n"
        "print(methods[0].id, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["tiny-repair", "False"]


class _RunsCode:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "pwned"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_malicious_pickle_beside_our_models_is_never_unpickled(tmp_path):
    folder = paths.user_models_dir()
    save_tiny_repair_model(folder)
    marker = tmp_path / "marker.txt"
    payload = pickle.dumps({"state_dict": _RunsCode(str(marker))})
    for name in ("evil.pth", "evil.ckpt", "evil.pt"):
        (folder / name).write_bytes(payload)
    result = catalog.scan_catalog()  # with every provider, the community one included
    assert not marker.exists()
    assert "tiny-repair" in [m.id for m in result.for_task("repair")]
    assert not any(m.path and m.path.suffix in (".pth", ".ckpt", ".pt") for m in result.methods)


def test_a_variant_model_is_offered_but_never_the_automatic_choice():
    from sdstudio.engine.model_file import load_network, read_model_info, save_model

    folder = paths.user_models_dir()
    # "a-..." sorts before the default, so only the variant metadata keeps it second.
    plain = read_model_info(save_tiny_enhance_model(folder, 2, name="tiny-sr-x2"))
    network = load_network(plain)
    save_model(
        folder / "a-crisp-x2.safetensors", network, task="enhance", architecture="compact_sr",
        hyperparameters=plain.hyperparameters, name="Crisp x2", scale=2,
        extra_metadata={"variant": "detail", "validation": validation_scores("enhance")},
    )  # fmt: skip
    enhance = catalog.list_methods("enhance", include_providers=False)
    assert [m.id for m in enhance][:2] == ["a-crisp-x2", "tiny-sr-x2"]
    assert enhance[0].variant == "detail" and enhance[1].variant == ""
    assert catalog.best_method("enhance", scale=2).id == "tiny-sr-x2"
    (folder / "tiny-sr-x2.safetensors").unlink()
    assert catalog.best_method("enhance", scale=2).id == "a-crisp-x2"  # the only x2 left
