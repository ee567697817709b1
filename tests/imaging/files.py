"""Builders for test files that Pillow cannot write itself: made byte by byte."""

from __future__ import annotations

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_16bit_rgb(rows: list[list[tuple[int, int, int]]]) -> bytes:
    """A valid 16-bit-per-channel RGB PNG holding ``rows`` of (r, g, b) samples."""
    height, width = len(rows), len(rows[0])
    raw = b"".join(b"\x00" + b"".join(struct.pack(">3H", *pixel) for pixel in row) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(raw))
        + png_chunk(b"IEND", b"")
    )


def png_claiming_size(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` but which holds almost no data:
    a decompression bomb's header, without allocating the bomb."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def cmyk_icc_profile(paper_lab: tuple[float, float, float]) -> bytes:
    """A minimal ICC v2 CMYK printer profile whose A2B0 table maps no ink (CMYK 0,0,0,0)
    to ``paper_lab`` and full black ink (K = 100 %) to Lab black, whatever C, M, Y are.

    A profile this unusual proves the loader used the embedded profile: a plain CMYK
    conversion would turn no ink into white.
    """
    lightness, a, b = paper_lab
    paper = bytes([round(lightness * 255 / 100), round(a + 128), round(b + 128)])
    black = bytes([0, 128, 128])
    # 2 grid points per input; the last input (K) varies fastest.
    clut = b"".join(black if index & 1 else paper for index in range(16))
    identity = bytes(range(256))
    matrix = b"".join(_s15(1.0 if row == col else 0.0) for row in range(3) for col in range(3))
    lut = (
        b"mft1" + b"\x00" * 4 + bytes([4, 3, 2, 0]) + matrix
        + identity * 4 + clut + identity * 3
    )  # fmt: skip
    text = b"SD Studio test CMYK\x00"
    desc = (
        b"desc" + b"\x00" * 4 + struct.pack(">I", len(text)) + text
        + b"\x00" * 8 + b"\x00" * 3 + b"\x00" * 67
    )  # fmt: skip
    white = b"XYZ " + b"\x00" * 4 + _s15(0.9642) + _s15(1.0) + _s15(0.8249)
    tags = [(b"desc", desc), (b"wtpt", white), (b"A2B0", lut)]
    offset = 128 + 4 + 12 * len(tags)
    table = struct.pack(">I", len(tags))
    body = b""
    for signature, data in tags:
        data += b"\x00" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (
        struct.pack(">I", size) + b"lcms" + struct.pack(">I", 0x02100000)
        + b"prtrCMYKLab " + b"\x00" * 12 + b"acsp" + b"\x00" * 24
        + struct.pack(">I", 0) + _s15(0.9642) + _s15(1.0) + _s15(0.8249)
    )  # fmt: skip
    header += b"\x00" * (128 - len(header))
    return header + table + body
