"""The operator's page in a real browser: headless Chromium (Debian's package) driven by
Selenium with the system chromedriver, against ``tdcoord serve --demo``."""

from __future__ import annotations

import os
import shutil
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
