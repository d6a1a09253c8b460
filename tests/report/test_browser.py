"""The small study's report in a real browser (headless Chromium through selenium): every
section is there, every plotly figure has drawn data, and screenshots of each section are saved
(``TDCOORD_SHOTS`` folder, default a temporary one) for a person to look at.

Skipped when Chromium or chromedriver is absent, unless ``TDCOORD_REQUIRE_BROWSER=1`` (CI), which
turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tdcoord.report.html import SECTIONS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

#: For every plotly div: its id, number of traces, number of traces with at least one point.
FIGURES_JS = """
return Array.from(document.querySelectorAll('.plotly-graph-div')).map(function (d) {
  var traces = d.data || [];
  var drawn = traces.filter(function (t) {
    var keys = ['x', 'y', 'z', 'values', 'cells'];
    return keys.some(function (k) {
      var v = t[k];  // a plain or typed array, or plotly's base64 {dtype, bdata} form
      return v && (v.length > 0 || (v.bdata && v.bdata.length > 0));
    });
  });
  return [d.id, traces.length, drawn.length, d.querySelectorAll('.main-svg').length];
});
"""


#: True once every figure div (``fig-*``) has been drawn by plotly.js (a slow machine needs time).
READY_JS = """
var divs = document.querySelectorAll('div[id^="fig-"]');
return divs.length > 0 && Array.from(divs).every(function (d) {
  return d.classList.contains('js-plotly-plot') && d.querySelector('.main-svg') !== null;
});
"""


def _driver() -> object:
    missing = [n for n, p in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not p]
    if missing:
        why = (
            f"{' and '.join(missing)} not installed (Debian: apt-get install chromium "
            "chromium-driver)"
        )
        if os.environ.get("TDCOORD_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TDCOORD_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)


def test_report_renders_every_section_and_no_empty_figure(
    small_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    shots = Path(os.environ.get("TDCOORD_SHOTS", str(tmp_path)))
    shots.mkdir(parents=True, exist_ok=True)
    driver = _driver()
    try:
        driver.get((small_runs[0] / "report.html").resolve().as_uri())  # type: ignore[attr-defined]
        WebDriverWait(driver, 120).until(lambda d: d.execute_script(READY_JS))
        figures = driver.execute_script(FIGURES_JS)  # type: ignore[attr-defined]
        for sid, title in SECTIONS:
            el = driver.find_element(By.ID, sid)  # type: ignore[attr-defined]
            assert title in el.text, sid
            el.screenshot(str(shots / f"{sid}.png"))
    finally:
        driver.quit()  # type: ignore[attr-defined]
    assert len(figures) >= 8, figures
    for div, n_traces, n_drawn, n_svg in figures:
        assert n_traces > 0 and n_drawn > 0, f"figure {div} is empty"
        assert n_svg > 0, f"figure {div} was not drawn by plotly.js"
