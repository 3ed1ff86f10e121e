"""The parity report, rendered by a real headless Chromium."""

import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from conftest import PRATHEEPAN, run_cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--allow-file-access-from-files", "--virtual-time-budget=5000"]


@pytest.fixture(scope="module")
def report(tiny_run, exported, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = run_cli("verify", "--reference", tiny_run / "best.keras", "--candidate", exported["int8"],
                     "--data-dir", PRATHEEPAN, "--report", out, "--max-iou-drop", "1", "--quiet", check=True)
    assert f"report: {out / 'index.html'}" in result.stdout
    return out


def test_report_files(report):
    page = (report / "index.html").read_text()
    assert page.count("<img ") == 20  # 5 worst images x (photo, reference, candidate, difference)
    for name in re.findall(r'src="([^"]+)"', page):
        assert Image.open(report / name).format == "PNG"


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(report, tmp_path):
    url = (report / "index.html").as_uri()
    dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-images-loaded="20/20"' in dom.stdout
    assert dom.stdout.count("<tr>") >= 8  # header + 2 metric rows, header + 5 worst rows
    shot = tmp_path / "shot.png"
    run = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile2'}", f"--screenshot={shot}",
                          "--window-size=1400,1200", url], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    # The photos make the page colourful; a page that failed to render is (almost) all white.
    assert (pixels.std(axis=2) > 20).mean() > 0.01
