"""End to end in headless Chromium: load the app, move a slider, simulate, see a figure and a KPI change.

Uses Debian's /usr/bin/chromium (installed by `make browser`, part of `make test`), driven by
Playwright without its own browser download. Set CHANNELSIM_SCREENSHOT_DIR to keep the
screenshots (docs/img/ holds the ones in the docs).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import channelsim
from channelsim.app import make_server
from channelsim.app.workbench import kpi_keys

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[1]
SLIDER = '[data-path="sources.search_ads.spend_per_week"]'
# the flags a closed network needs: no background calls home, no sandbox as root, no GPU
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium: run `make browser`")


@pytest.fixture()
def app_url(tmp_path: Path) -> Iterator[str]:
    scenario = tmp_path / "workshop_intro.yaml"
    shutil.copy(ROOT / "scenarios" / "workshop_intro.yaml", scenario)
    server = make_server(str(scenario), port=0)  # a free port on 127.0.0.1
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.url
    server.shutdown()
    server.server_close()


@pytest.fixture()
def page(tmp_path: Path) -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1100})
        page.set_default_timeout(30_000)
        yield page
        browser.close()


def _shot(page: object, tmp_path: Path, name: str) -> Path:
    folder = Path(os.environ.get("CHANNELSIM_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    return path


def _kpi(page: object, key: str) -> float:
    return float(page.get_attribute(f'.kpi[data-key="{key}"]', "data-mean"))


def test_slider_simulate_changes_a_figure_and_a_kpi(page: object, app_url: str, tmp_path: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(app_url)
    # the page simulates the scenario as written on load
    page.wait_for_selector('img[data-name="weekly_orders"]')
    page.wait_for_selector("#simulate:not([disabled])")
    # seven headline figures, market share with rivals (and partners' customers), the conflict it can have
    keys = kpi_keys(channelsim.load(ROOT / "scenarios" / "workshop_intro.yaml"))
    assert page.locator(".kpi").count() == len(keys)
    if "market_share" in keys:
        assert page.inner_text('.kpi[data-key="market_share"] .kpi-value').endswith("%")
    customers = _kpi(page, "new_customers")
    spend = _kpi(page, "marketing_spend")
    figure = page.get_attribute('img[data-name="weekly_orders"]', "src")
    assert page.inner_text("#scenario-name").startswith("Workshop intro")

    slider = page.locator(SLIDER)
    slider.focus()
    page.keyboard.press("End")  # drag the search budget to its maximum, as a person would with keys
    assert slider.input_value() == "5000"
    assert page.inner_text(".control.changed .control-value") == "5,000"
    assert "stale" in (page.get_attribute("#simulate", "class") or "")

    page.click("#simulate")
    page.wait_for_function(
        "before => Number(document.querySelector('.kpi[data-key=\"new_customers\"]').dataset.mean) !== before",
        arg=customers,
    )
    page.wait_for_selector("#simulate:not([disabled])")
    assert _kpi(page, "new_customers") > customers  # more search money, more new customers
    assert _kpi(page, "marketing_spend") == pytest.approx(spend + 3500 * 26)
    assert page.get_attribute('img[data-name="weekly_orders"]', "src") != figure
    assert page.locator('.kpi[data-key="new_customers"] .kpi-delta.good').count() == 1
    assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    shot = _shot(page, tmp_path, "workshop_app.png")
    assert shot.stat().st_size > 20_000
    assert not errors, errors


def test_optimize_moves_the_levers_to_the_plan(page: object, app_url: str, tmp_path: Path) -> None:
    page.goto(app_url)
    page.wait_for_selector('img[data-name="weekly_orders"]')
    page.wait_for_selector("#simulate:not([disabled])")
    assert page.locator(".kpi-delta").count() == 0  # a first run has nothing to compare with
    before = page.locator(SLIDER).input_value()
    page.click("#optimize")
    page.wait_for_selector('#plan:not([hidden]) img[data-name="budget_shift"]')
    assert page.locator(SLIDER).input_value() != before
    assert "Optimizer (optimal)" in page.inner_text("#plan")
    _shot(page, tmp_path, "workshop_app_plan.png")


def test_saving_under_a_taken_name_asks_first(page: object, app_url: str, tmp_path: Path) -> None:
    """The server refuses a taken name (409); the page asks, and replaces only on yes."""
    asked: list[str] = []
    answers = iter([False, True])  # first "Cancel", then "OK"

    def dialog(box: object) -> None:
        asked.append(box.message)
        if next(answers):
            box.accept()
        else:
            box.dismiss()

    page.on("dialog", dialog)
    page.goto(app_url)
    page.wait_for_selector("#simulate:not([disabled])")
    page.fill("#variant-name", "more_search")
    page.locator(SLIDER).fill("3000")
    page.click("#save")
    page.wait_for_function("document.querySelector('#save-status').textContent.startsWith('Saved')")
    assert not asked  # a new name: no question
    saved = tmp_path / "workshop_intro_workshop.yaml"
    page.locator(SLIDER).fill("4000")
    page.click("#save")
    page.wait_for_function("document.querySelector('#save-status').textContent.startsWith('Not saved')")
    assert len(asked) == 1 and "more_search is already saved in" in asked[0] and "Replace it?" in asked[0]
    assert channelsim.load(saved).variant("more_search").sources[0].spend_per_week == 3000  # kept
    page.click("#save")
    page.wait_for_function("document.querySelector('#save-status').textContent.startsWith('Replaced')")
    assert len(asked) == 2
    assert channelsim.load(saved).variant("more_search").sources[0].spend_per_week == 4000
