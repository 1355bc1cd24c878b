"""The HTML report in a real browser: headless Chromium renders it to a screenshot that is not blank,
and its DOM carries the report's title. Chromium is required (Debian: ``apt-get install chromium``)."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from reconcile.history import build_run
from reconcile.render.report import render_report_html, report_title
from tests.test_report import sample_records

BROWSERS = ("chromium", "chromium-browser")


def chromium() -> str:
    """The Chromium executable; fails (never skips) with how to install it when it is missing."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "Chromium is not installed: install it (Debian/Ubuntu: apt-get install -y chromium) "
        "to run the browser test of the HTML report"
    )


def headless(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [
        chromium(),
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={cwd / 'profile'}",
        *args,
    ]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def png_pixels(data: bytes) -> tuple[int, int, set[bytes]]:
    """Width, height and the distinct pixel values of an 8-bit RGB/RGBA, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    position, header, compressed = 8, b"", b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            compressed += body
        position += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and color in (2, 6) and interlace == 0, f"unexpected PNG format {depth}/{color}/{interlace}"
    return width, height, _distinct_pixels(zlib.decompress(compressed), width, height, 3 if color == 2 else 4)


def _distinct_pixels(raw: bytes, width: int, height: int, channels: int) -> set[bytes]:
    stride = width * channels
    previous = bytearray(stride)
    distinct: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous, channels)
        distinct.update(bytes(line[i : i + channels]) for i in range(0, stride, channels))
        previous = line
    return distinct


def _unfilter(kind: int, line: bytearray, previous: bytearray, channels: int) -> bytearray:
    for i in range(len(line)):
        left = line[i - channels] if i >= channels else 0
        up, corner = previous[i], previous[i - channels] if i >= channels else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 2:
            line[i] = (line[i] + up) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            line[i] = (line[i] + _paeth(left, up, corner)) & 0xFF
    return line


def _paeth(left: int, up: int, corner: int) -> int:
    estimate = left + up - corner
    distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
    return (left, up, corner)[distances.index(min(distances))]


def test_png_decoding_sees_one_colour_in_a_blank_image() -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\xff\xff\xff" * 4 for _ in range(3))
    blank = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 3, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    assert png_pixels(blank) == (4, 3, {b"\xff\xff\xff"})


def test_the_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    run = build_run("abc123def456", sample_records())
    page = tmp_path / "report.html"
    page.write_text(render_report_html(run), encoding="utf-8")
    screenshot = tmp_path / "report.png"

    shot = headless(f"--screenshot={screenshot}", "--window-size=1200,900", page.as_uri(), cwd=tmp_path)

    assert screenshot.exists(), f"no screenshot was written:\n{shot.stderr}"
    data = screenshot.read_bytes()
    assert len(data) > 5_000, f"the screenshot is only {len(data)} bytes"
    width, height, colours = png_pixels(data)
    assert (width, height) == (1200, 900)
    assert len(colours) > 20, f"the page looks blank: {len(colours)} distinct pixel value(s)"

    dom = headless("--dump-dom", page.as_uri(), cwd=tmp_path)
    assert dom.returncode == 0, dom.stderr
    assert f"<title>{report_title(run)}</title>" in dom.stdout
    assert '<span class="badge failed">failed</span>' in dom.stdout
