"""Pack the training photos into one file that travels with a GPU command.

    .venv/bin/python scripts/pack_training_photos.py            # ../shared/photos/train
    .venv/bin/python scripts/pack_training_photos.py FOLDER --out .gpu-data/other.tar

The device machine gets a copy of the working tree and nothing beside it (64 MiB with
whatever it carries), so ``scripts/train_on_gpu.py`` reads its photos from this one
uncompressed tar in the ignored ``.gpu-data/`` folder: ``manifest.json`` (every photo's
name in the pack, its source file name and size), the folder's ``SOURCES.tsv`` and
``README.md`` when it has them (where each photo comes from and its licence), and the
photos under ``photos/``. A JPEG whose long side is within ``--max-side`` is packed as it
is (re-encoding would only lose quality); other photos are downscaled and saved as JPEG
at ``--quality``. A pack over ``--limit-mib`` is refused with its size: pack again with a
smaller ``--max-side``.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
from pathlib import Path

from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PHOTOS = REPO.parent / "shared" / "photos" / "train"
DEFAULT_PACK = REPO / ".gpu-data" / "train-photos.tar"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
JPEG_SUFFIXES = {".jpg", ".jpeg"}
NOTES = ("SOURCES.tsv", "README.md")  # the folder's provenance files, packed beside it
MANIFEST = "manifest.json"
PHOTOS = "photos"


def packed_photo(path: Path, max_side: int, quality: int) -> tuple[bytes, str, tuple[int, int]]:
    """The bytes to pack for ``path``, their file name in the pack and the photo's size."""
    with Image.open(path) as image:
        size = image.size
        if path.suffix.lower() in JPEG_SUFFIXES and max(size) <= max_side:
            return path.read_bytes(), path.name, size
        picture = ImageOps.exif_transpose(image).convert("RGB")
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    encoded = io.BytesIO()
    picture.save(encoded, "JPEG", quality=quality)
    return encoded.getvalue(), f"{path.stem}.jpg", picture.size


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    member = tarfile.TarInfo(name)
    member.size = len(data)
    member.mode = 0o644
    archive.addfile(member, io.BytesIO(data))


def pack(folder: Path, out: Path, *, max_side: int = 1024, quality: int = 92) -> dict:
    """Write the pack; returns its manifest."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    if not files:
        raise SystemExit(f"no photos in {folder}")
    out.parent.mkdir(parents=True, exist_ok=True)
    entries, names = [], set()
    temporary = out.with_suffix(out.suffix + ".tmp")
    with tarfile.open(temporary, "w") as archive:
        for path in files:
            data, name, (width, height) = packed_photo(path, max_side, quality)
            if name in names:  # photo.png beside photo.jpg: keep both
                name = f"{path.stem}-{path.suffix.lstrip('.').lower()}.jpg"
            names.add(name)
            _add(archive, f"{PHOTOS}/{name}", data)
            entries.append({"file": name, "source": path.name, "size": [width, height]})
        notes = [note for note in NOTES if (folder / note).is_file()]
        for note in notes:
            _add(archive, note, (folder / note).read_bytes())
        manifest = {
            "folder": folder.name,
            "max_side": max_side,
            "quality": quality,
            "notes": notes,
            "photos": entries,
        }
        _add(archive, MANIFEST, json.dumps(manifest, indent=1).encode())
    temporary.replace(out)
    return manifest


def unpack(pack_file: Path, folder: Path) -> tuple[Path, dict]:
    """Extract a pack into ``folder``; returns the photo folder and the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(pack_file) as archive:
        for member in archive.getmembers():
            target = (folder / member.name).resolve()
            if not member.isfile() or folder.resolve() not in target.parents:
                raise SystemExit(f"{pack_file}: unexpected member {member.name!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.extractfile(member).read())
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return folder / PHOTOS, manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, nargs="?", default=DEFAULT_PHOTOS)
    parser.add_argument("--out", type=Path, default=DEFAULT_PACK)
    parser.add_argument("--max-side", type=int, default=1024)
    parser.add_argument("--quality", type=int, default=92)
    # The working tree (about 11 MiB) travels too; the device takes 64 MiB in all.
    parser.add_argument("--limit-mib", type=float, default=50.0)
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        parser.error(f"no photo folder at {args.folder}")
    manifest = pack(args.folder, args.out, max_side=args.max_side, quality=args.quality)
    size_mib = args.out.stat().st_size / 2**20
    print(f"{args.out}: {len(manifest['photos'])} photos, {size_mib:.1f} MiB")
    if size_mib > args.limit_mib:
        args.out.unlink()
        print(f"over {args.limit_mib} MiB: pack again with a smaller --max-side", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
