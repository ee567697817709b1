"""Write the ``recipe`` metadata into the shipped models, weights unchanged.

The shipped files were trained before the recipe travelled with the model (issue 19); their
``config`` and ``degradation`` metadata already say how. This reads that, writes it as
``recipe`` (``sdstudio.training.recipe``), and copies the tensor bytes as they are::

    .venv/bin/python scripts/add_model_recipes.py            # models/
    .venv/bin/python scripts/add_model_recipes.py --check    # exit 1 if any file lacks one
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Style files (another part of the project re-trains them) read their recipe from their
# "config" metadata until they are re-saved; the damage detector is not fine-tuned.
TASKS_WITH_RECIPES = ("enhance", "repair")


def tensor_digest(path: Path) -> str:
    """SHA-256 of everything after the safetensors header: the weights."""
    data = path.read_bytes()
    header_length = int.from_bytes(data[:8], "little")
    return hashlib.sha256(data[8 + header_length :]).hexdigest()


def main(argv: list[str] | None = None) -> int:
    from sdstudio.engine.model_file import read_model_info
    from sdstudio.training.model_rename import rewrite_metadata
    from sdstudio.training.recipe import RECIPE_KEY, read_recipe

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=REPO / "models")
    parser.add_argument("--check", action="store_true", help="only report missing recipes")
    parser.add_argument("--force", action="store_true", help="rewrite existing recipes too")
    args = parser.parse_args(argv)
    missing = 0
    for path in sorted(args.models.glob("*.safetensors")):
        info = read_model_info(path)
        if info.task not in TASKS_WITH_RECIPES:
            continue
        metadata = dict(info.metadata)
        if args.force:
            metadata.pop(RECIPE_KEY, None)
        recipe = read_recipe(metadata)
        if RECIPE_KEY in info.metadata and not args.force:
            print(f"{path.name}: has a recipe")
            continue
        missing += 1
        if args.check:
            print(f"{path.name}: no recipe")
            continue
        before = tensor_digest(path)
        rewrite_metadata(path, {RECIPE_KEY: json.dumps(recipe, sort_keys=True)})
        path.chmod(0o644)  # the temp file's 0600 would make a shipped file private
        if tensor_digest(path) != before:
            raise SystemExit(f"{path.name}: the weights changed; restore it from git")
        print(f"{path.name}: recipe written ({recipe.get('degradation', '-')}), weights unchanged")
    return 1 if args.check and missing else 0


if __name__ == "__main__":
    sys.exit(main())
