"""Draw Hisho's icons (favicon, app icons) from geometry, with the standard library only:
a red rounded square holding a white speech bubble. Run it after changing the design and
commit what it writes (`python scripts/make_icons.py`); nothing is downloaded.

Writes hisho/static/hisho/icon.svg, icon-192.png, icon-512.png, icon-maskable-512.png and
favicon.ico (PNG inside an ICO container, 32 and 48 px).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "hisho" / "static" / "hisho"
RED = (0xA3, 0x23, 0x2B)
WHITE = (0xFF, 0xFF, 0xFF)

# The design on a 0..1 square: (corner radius of the tile, bubble box, tail triangle).
TILE_RADIUS = 0.22
BUBBLE = (0.2, 0.24, 0.8, 0.66, 0.12)  # left, top, right, bottom, radius
TAIL = ((0.3, 0.62), (0.46, 0.62), (0.28, 0.8))
DOTS = ((0.36, 0.45), (0.5, 0.45), (0.64, 0.45))
DOT_R = 0.045


def _in_round_rect(x: float, y: float, box: tuple[float, float, float, float, float]) -> bool:
    left, top, right, bottom, r = box
    if not (left <= x <= right and top <= y <= bottom):
        return False
    cx = min(max(x, left + r), right - r)
    cy = min(max(y, top + r), bottom - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def _in_triangle(x: float, y: float, tri: tuple[tuple[float, float], ...]) -> bool:
    (x1, y1), (x2, y2), (x3, y3) = tri
    d1 = (x - x2) * (y1 - y2) - (x1 - x2) * (y - y2)
    d2 = (x - x3) * (y2 - y3) - (x2 - x3) * (y - y3)
    d3 = (x - x1) * (y3 - y1) - (x3 - x1) * (y - y1)
    return not ((d1 < 0 or d2 < 0 or d3 < 0) and (d1 > 0 or d2 > 0 or d3 > 0))


def _colour(x: float, y: float, maskable: bool) -> tuple[int, int, int, int]:
    if not maskable and not _in_round_rect(x, y, (0, 0, 1, 1, TILE_RADIUS)):
        return (0, 0, 0, 0)
    # A maskable icon keeps its drawing inside the central 80 % safe zone.
    if maskable:
        x, y = (x - 0.1) / 0.8, (y - 0.1) / 0.8
    if any((x - dx) ** 2 + (y - dy) ** 2 <= DOT_R**2 for dx, dy in DOTS):
        return (*RED, 255)
    if _in_round_rect(x, y, BUBBLE) or _in_triangle(x, y, TAIL):
        return (*WHITE, 255)
    return (*RED, 255)


def render(size: int, *, maskable: bool = False, samples: int = 4) -> bytes:
    rows = []
    for py in range(size):
        row = bytearray([0])  # PNG filter: none
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(samples):
                for sx in range(samples):
                    c = _colour(
                        (px + (sx + 0.5) / samples) / size,
                        (py + (sy + 0.5) / samples) / size,
                        maskable,
                    )
                    acc[0] += c[0] * c[3]
                    acc[1] += c[1] * c[3]
                    acc[2] += c[2] * c[3]
                    acc[3] += c[3]
            alpha = acc[3] // (samples * samples)
            rgb = [v // acc[3] if acc[3] else 0 for v in acc[:3]]
            row += bytes([*rgb, alpha])
        rows.append(bytes(row))
    return _png(size, b"".join(rows))


def _png(size: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ico(images: dict[int, bytes]) -> bytes:
    head = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, png in images.items():
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset)
        offset += len(png)
        blobs += png
    return head + entries + blobs


SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
<rect width="100" height="100" rx="22" fill="#a3232b"/>
<rect x="20" y="24" width="60" height="42" rx="12" fill="#fff"/>
<path d="M30 62h16L28 80z" fill="#fff"/>
<g fill="#a3232b"><circle cx="36" cy="45" r="4.5"/><circle cx="50" cy="45" r="4.5"/>
<circle cx="64" cy="45" r="4.5"/></g>
</svg>
"""


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "icon.svg").write_text(SVG)
    (OUT / "icon-192.png").write_bytes(render(192))
    (OUT / "icon-512.png").write_bytes(render(512, samples=2))
    (OUT / "icon-maskable-512.png").write_bytes(render(512, maskable=True, samples=2))
    (OUT / "favicon.ico").write_bytes(ico({32: render(32), 48: render(48)}))


if __name__ == "__main__":
    main()
