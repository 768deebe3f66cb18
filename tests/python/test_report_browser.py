"""The reports looked at in a real browser: Debian's chromium, headless, renders a run report and a
sweep report at a laptop's and a tablet's width, with every <details> opened, and a script injected
into a copy of each page says whether every image loaded and whether anything sticks out of the
page (a wide table may scroll inside its own box, not widen the page). Skipped, with the reason,
where chromium is not installed (tools/install-deps.sh installs it)."""

import html
import json
import os
import re
import shutil
import subprocess

import pytest
from test_plots_report import lever_sweep  # noqa: F401 - the sweep fixture

from icsim import report

# ICSIM_CHROMIUM names another browser binary (or "none", to see the skip).
CHROMIUM = shutil.which(os.environ.get("ICSIM_CHROMIUM") or "chromium") or shutil.which("chromium-browser")
if os.environ.get("ICSIM_CHROMIUM") == "none":
    CHROMIUM = None
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="chromium is not installed (Debian's chromium package; "
                                       "tools/install-deps.sh installs it)")

CHECK = """<script>
window.addEventListener('load', () => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const images = [...document.images];
  const broken = images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt);
  const width = document.documentElement.clientWidth;
  const overflowing = [];
  for (const e of document.body.querySelectorAll('*')) {
    if (e.parentElement && e.parentElement.closest('.scroll')) continue;  // scrolls in its box
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > width + 1 || r.left < -1)
      overflowing.push(e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') +
                       ' ' + Math.round(r.left) + '-' + Math.round(r.right));
  }
  document.body.setAttribute('data-check', JSON.stringify({
    images: images.length, broken: broken, overflowing: overflowing.slice(0, 10), width: width,
    scrollWidth: document.documentElement.scrollWidth}));
});
</script>"""


def rendered(page: str, folder, width: int) -> dict:
    """What the injected script found in ``page`` rendered by chromium ``width`` pixels wide."""
    path = folder / f"checked-{width}.html"
    path.write_text(page.replace("</body>", CHECK + "</body>"))
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           f"--window-size={width},900", f"--user-data-dir={folder / 'profile'}",
                           "--virtual-time-budget=10000", "--dump-dom", path.as_uri()],
                          capture_output=True, text=True, timeout=120)
    found = re.search(r'data-check="([^"]*)"', done.stdout)
    assert found, f"chromium did not run the check (exit {done.returncode}): {done.stderr[-1500:]}"
    return json.loads(html.unescape(found.group(1)))


def looks_right(page: str, folder) -> None:
    for width in (1280, 800):
        seen = rendered(page, folder, width)
        assert seen["images"] >= 3
        assert seen["broken"] == [], f"{width} px: images that did not load: {seen['broken']}"
        assert seen["overflowing"] == [], f"{width} px: sticks out of the page: {seen['overflowing']}"
        assert seen["scrollWidth"] <= seen["width"], seen


def test_the_check_sees_broken_images_and_overflow(tmp_path):
    """The check can fail: a broken image and a block wider than the page are caught."""
    page = ("<!DOCTYPE html><html><body><img alt='broken' src='data:image/png;base64,AAAA'>"
            "<div style='width: 3000px'>wide</div></body></html>")
    seen = rendered(page, tmp_path, 800)
    assert seen["broken"] == ["broken"]
    assert any(item.startswith("div") for item in seen["overflowing"])


def test_run_report_in_a_browser(run_file, tmp_path):
    looks_right(report.build(run_file), tmp_path)


def test_sweep_report_in_a_browser(lever_sweep, tmp_path):  # noqa: F811
    looks_right(report.build(lever_sweep.path), tmp_path)
