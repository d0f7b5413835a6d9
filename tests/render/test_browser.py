"""A rendered page in a real browser: headless Chromium turns it into a PNG (skipped without Chromium)."""

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from derivcheck.config import CheckConfig
from derivcheck.render import render_paths

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "screenshot_html.sh"
FIXTURES = Path(__file__).parent / "fixtures"

pytestmark = [
    pytest.mark.slow,  # a browser in a subprocess
    pytest.mark.skipif(
        not (shutil.which("chromium") or shutil.which("chromium-browser")), reason="chromium is not installed"
    ),
]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_chromium_renders_a_page_to_png(tmp_path):
    page = tmp_path / "marks.html"
    render_paths([str(FIXTURES / "marks.yaml")], "html", str(page), CheckConfig(jobs=1, cache_dir=None))
    png = tmp_path / "marks.png"
    proc = subprocess.run(
        ["bash", str(SCRIPT), str(page), str(png), "1000x1200"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert png_size(png) == (1000, 1200)
    assert png.stat().st_size > 20_000  # a blank page compresses to a few kilobytes


def test_script_fails_clearly_on_a_missing_page(tmp_path):
    proc = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path / "none.html"), str(tmp_path / "x.png")],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1 and "no such file" in proc.stderr
