"""The operator's page in a real browser: headless Chromium (Debian's package) driven by
Selenium with the system chromedriver, against ``tdcoord serve --demo``."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.service.live import Server, serving


def _browser_paths() -> tuple[str, str]:
    chromium = os.environ.get("TDCOORD_CHROMIUM") or shutil.which("chromium")
    driver = os.environ.get("TDCOORD_CHROMEDRIVER") or shutil.which("chromedriver")
    if not chromium or not driver:
        if os.environ.get("TDCOORD_REQUIRE_BROWSER") == "1":
            pytest.fail("TDCOORD_REQUIRE_BROWSER=1 but chromium / chromedriver are missing")
        pytest.skip("no chromium + chromedriver (apt-get install chromium chromium-driver)")
    return chromium, driver


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("web")
    with serving(f"sqlite:///{tmp / 'demo.db'}", tmp / "server.log", demo=True) as srv:
        yield srv


@pytest.fixture
def browser() -> Iterator[Any]:
    chromium, driver = _browser_paths()
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000"):
        opts.add_argument(arg)
    b = webdriver.Chrome(service=Service(executable_path=driver), options=opts)
    b.set_page_load_timeout(60)
    yield b
    b.quit()


def _sign_in(b: Any, url: str, user: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    b.get(url + "/")
    b.find_element(By.ID, "username").send_keys(user)
    b.find_element(By.ID, "password").send_keys("demo")
    b.find_element(By.ID, "login-button").click()
    WebDriverWait(b, 60).until(ec.visibility_of_element_located((By.ID, "dashboard")))
    WebDriverWait(b, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#sessions tbody tr"))
    WebDriverWait(b, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#mine li"))


@pytest.mark.slow
def test_login_dashboard_and_session(demo_server: Server, browser: Any,
                                     tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    _sign_in(browser, demo_server.url, "mo")
    assert "mo" in browser.find_element(By.ID, "who").text
    row = browser.find_element(By.CSS_SELECTOR, "#sessions tbody tr")
    assert "open" in row.text
    countdown = row.find_element(By.CSS_SELECTOR, ".countdown").text
    assert countdown.endswith("s") and "h" in countdown
    row.find_element(By.CSS_SELECTOR, "button.open-session").click()
    WebDriverWait(browser, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#depth-figure .main-svg"))
    assert "Session #1" in browser.find_element(By.ID, "detail-title").text
    mine = browser.find_element(By.ID, "mine").text
    assert "DERs visible to you" in mine
    browser.save_screenshot(str(tmp_path / "dashboard.png"))


@pytest.mark.slow
def test_wrong_password_shows_an_error(demo_server: Server, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(demo_server.url + "/")
    browser.find_element(By.ID, "username").send_keys("fsp1")
    browser.find_element(By.ID, "password").send_keys("wrong")
    browser.find_element(By.ID, "login-button").click()
    WebDriverWait(browser, 30).until(
        lambda d: d.find_element(By.ID, "login-error").text.strip() != "")
    assert not browser.find_element(By.ID, "dashboard").is_displayed()


@pytest.mark.slow
def test_an_fsp_sees_its_own_view(demo_server: Server, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    _sign_in(browser, demo_server.url, "fsp1")
    assert "(fsp)" in browser.find_element(By.ID, "who").text
    assert "DERs visible to you" in browser.find_element(By.ID, "mine").text


@pytest.mark.slow
def test_clearing_shows_the_report_price_maps(demo_server: Server, browser: Any) -> None:
    """Runs last (it closes the demo session): close the gate, run the clearing from the page,
    and the report's network price maps (DLMP and LMP) appear."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def click(label: str) -> None:
        WebDriverWait(browser, 60).until(lambda d: [
            b for b in d.find_elements(By.CSS_SELECTOR, "#detail-actions button")
            if b.text == label])
        next(b for b in browser.find_elements(By.CSS_SELECTOR, "#detail-actions button")
             if b.text == label).click()

    def open_first() -> None:
        WebDriverWait(browser, 60).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#sessions button.open-session"))
        browser.find_element(By.CSS_SELECTOR, "#sessions button.open-session").click()

    def wait_row(state: str) -> None:
        WebDriverWait(browser, 60).until(lambda d: [
            r for r in d.find_elements(By.CSS_SELECTOR, "#sessions tbody tr")
            if state in r.text.split()])

    _sign_in(browser, demo_server.url, "mo")
    open_first()
    click("Close gate now")
    wait_row("closed")
    open_first()
    click("Run clearing")
    for _ in range(120):  # the worker clears the default study's session
        browser.refresh()
        WebDriverWait(browser, 60).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#sessions tbody tr"))
        if "cleared" in browser.find_element(By.CSS_SELECTOR, "#sessions tbody tr").text:
            break
        time.sleep(2)
    open_first()
    WebDriverWait(browser, 120).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#price-figure .main-svg")
        and d.find_elements(By.CSS_SELECTOR, "#lmp-figure .main-svg"))
    # the demo market's model (the study's first, au.sip: the DSO enters as static limits)
    # prices no feeder nodes, so the report's DLMP map says so; the LMP map colours the buses
    dlmp_title = browser.find_element(By.CSS_SELECTOR, "#price-figure .gtitle").text
    assert dlmp_title.startswith("DLMP")
    lmp_title = browser.find_element(By.CSS_SELECTOR, "#lmp-figure .gtitle").text
    assert "LMP at" in lmp_title and "model au.sip" in lmp_title
