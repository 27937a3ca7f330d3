"""In headless Chromium: a coordinator follows the link `/tableau` sent them and sees their space.

Two data sets: the replayed two-space scenario (the link comes from `/tableau`, as a person gets it)
and a simulated semester (`run_comparison(..., database_url=...)`, link from `ticebot web link`'s
function). Each page is checked for its charts and tables, and screenshotted; with
TICEBOT_UPDATE_SCREENSHOT=1 the coordinator page is copied to docs/dashboard-coordinateur.png.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from browser import chromium, full_page_screenshot, require_chromium
from web_support import MATHS_SECRET, SCENARIO, site

from adapters.console.replay import Replay
from bot.web.auth import publish_public_url

DOCS = Path(__file__).resolve().parents[2] / "docs"
LINK = re.compile(r"https?://\S+/connexion/\S+")


def _open_dashboard(driver: object, link: str, space: str) -> dict[str, object]:
    """What a person does: open the link, press the button, follow the space's dashboard link."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    def waited(by: str, what: str) -> Any:
        # Each click starts a navigation; the next page is waited for, not assumed (a loaded machine let the
        # lookup run on the page before, once in a CI run of stop 31).
        return WebDriverWait(driver, 30).until(shown.presence_of_element_located((by, what)))

    driver.get(link)  # type: ignore[attr-defined]
    waited(By.ID, "open").click()
    waited(By.CSS_SELECTOR, f'a[href="/espace/{space}"]').click()
    waited(By.ID, "promesse")
    found = {
        "title": driver.find_element(By.TAG_NAME, "h1").text,  # type: ignore[attr-defined]
        "charts": [img.get_attribute("naturalWidth") for img in driver.find_elements(  # type: ignore[attr-defined]
            By.CSS_SELECTOR, "img.chart")],
        "queue_rows": len(driver.find_elements(By.CSS_SELECTOR, "#file tbody tr")),  # type: ignore[attr-defined]
        "heat_cells": len(driver.find_elements(By.CSS_SELECTOR, "#couverture td")),  # type: ignore[attr-defined]
        "weeks": len(driver.find_elements(By.CSS_SELECTOR, "#participation tbody tr")),  # type: ignore[attr-defined]
        "promise": driver.find_element(By.ID, "promesse").text,  # type: ignore[attr-defined]
        "styled": driver.find_element(By.TAG_NAME, "section").value_of_css_property(  # type: ignore[attr-defined]
            "border-top-style"),
        "source": driver.page_source,  # type: ignore[attr-defined]
    }
    return found


@pytest.mark.browser
async def test_a_coordinator_follows_the_tableau_link_in_chromium(tmp_path: Path) -> None:
    require_chromium()
    url = f"sqlite+aiosqlite:///{tmp_path / 'scenario.db'}"
    replay = Replay(database_url=url, json_lines=True)
    try:
        await replay.run_script(SCENARIO.read_text(encoding="utf-8"))
        async with site(url, replay.clock.now()) as s:
            async with s.db.transaction() as session:
                await publish_public_url(session, str(s.client.make_url("")))
            await replay.run_line("claire dm: /tableau")
            sent = [d for d in replay.delivered if d.template == "web/link" and d.to == "claire"]
            assert len(sent) == 1
            link = LINK.search(sent[0].text)
            assert link is not None, sent[0].text
            s.clock.set(replay.clock.now() + timedelta(minutes=3))
            with chromium(tmp_path / "profile") as driver:
                seen = await asyncio.to_thread(_open_dashboard, driver, link.group(0), "lettres")
                shot = tmp_path / "coordinator.png"
                await asyncio.to_thread(full_page_screenshot, driver, shot)
    finally:
        await replay.close()
    assert seen["title"] == "Espace lettres"
    assert len(seen["charts"]) == 2 and all(int(str(w)) > 300 for w in seen["charts"])  # both images decoded
    assert seen["queue_rows"] == 2  # bruno's recording app question and david's ENT question (held by thomas)
    assert seen["heat_cells"] == 7 * 3  # c2i2e's seven domains × groups A, B and the tutor without group
    assert seen["weeks"] == 4
    assert "répondues dans le délai" in str(seen["promise"])
    assert seen["styled"] == "solid"  # the static stylesheet loaded under the CSP
    assert MATHS_SECRET not in str(seen["source"])
    assert shot.stat().st_size > 50_000
    if os.environ.get("TICEBOT_UPDATE_SCREENSHOT") == "1":
        DOCS.mkdir(exist_ok=True)
        shutil.copy(shot, DOCS / "dashboard-coordinateur.png")


@pytest.mark.browser
async def test_the_dashboard_of_a_simulated_semester_in_chromium(tmp_path: Path) -> None:
    require_chromium()
    from bot.sos.simulate import SEMESTER_START, run_comparison

    url = f"sqlite+aiosqlite:///{tmp_path / 'semester.db'}"
    days = 28
    result = await run_comparison(days=days, seed=1, database_url=url)
    end = SEMESTER_START + timedelta(days=days + 10)
    async with site(url, end) as s:
        link = await s.link_for("claire", platform="sim")
        with chromium(tmp_path / "profile") as driver:
            seen = await asyncio.to_thread(_open_dashboard, driver, link, "simulation")
            await asyncio.to_thread(full_page_screenshot, driver, tmp_path / "semester.png")
    with_bot = result["with_bot"]
    assert seen["title"] == "Espace simulation"
    assert len(seen["charts"]) == 2
    # The page tells the same promise as the simulation's own SLA report.
    assert f"{with_bot['questions']}\nquestions" in str(seen["promise"])
    assert f"{with_bot['breaches']}\ndépassements" in str(seen["promise"])
    assert seen["weeks"] >= 4
