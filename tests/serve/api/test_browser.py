"""The demo page in real headless Chromium (Debian's, driven by Playwright) against a live uvicorn.

Never `playwright install`: CI installs the `chromium` package and this test fails, not skips,
when it is missing.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from serve.api.app import create_app
from tests.serve.helpers import make_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def live_url(tiny_model_dir):
    """A real uvicorn server on 127.0.0.1 in a thread, serving the tiny model."""
    port = free_port()
    # A low character limit so the error test need not type 200k characters into the page.
    app = create_app(make_settings(tiny_model_dir, max_chars_per_text=5000))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def page(live_url):
    if not CHROMIUM.is_file():
        found = shutil.which("chromium")
        pytest.fail(f"{CHROMIUM} is missing{f' (found {found})' if found else ''}: install Debian's browser "
                    "with `apt-get install -y chromium` (.ci/run does); never `playwright install`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(live_url + "/")
        page.wait_for_selector("#legend .legend-item")
        yield page
        browser.close()


def analyse_in_page(page, text: str) -> str:
    """Paste ``text`` into the textarea, click the button, wait for the result; returns the text sent."""
    page.evaluate("document.body.dataset.analysed = ''")
    page.fill("#text", text)
    page.click("text=حلّل / Analyse")
    page.wait_for_selector("body[data-analysed=true]", timeout=30_000)
    return page.input_value("#text")


def highlighted(page) -> dict[tuple, str]:
    """(layer, label, start, end) -> text of every highlighted span, its pieces joined in page order."""
    pieces = page.eval_on_selector_all(
        "#rendered .hl",
        "nodes => nodes.map(n => [n.dataset.layer, n.dataset.label, +n.dataset.start, +n.dataset.end, n.textContent])")
    spans: dict[tuple, str] = {}
    for layer, label, start, end, text in pieces:
        spans[(layer, label, start, end)] = spans.get((layer, label, start, end), "") + text
    return spans


def api_spans(live_url, text: str) -> dict[tuple, str]:
    document = httpx.post(live_url + "/predict", json={"text": text}, timeout=30).json()["documents"][0]
    return {(layer, span["label"], span["start"], span["end"]): span["text"]
            for layer, spans in document.items() for span in spans}


@pytest.mark.parametrize("prefix", ["", "🔥 <b>عاجل</b> "], ids=["seed-paragraph", "emoji-and-markup-prefix"])
def test_page_highlights_exactly_the_api_spans(page, live_url, seed_paragraph, prefix):
    sent = analyse_in_page(page, prefix + seed_paragraph)
    expected = api_spans(live_url, sent)
    assert any(layer == "entities" for layer, *_ in expected), "the tiny model finds entities in a seed paragraph"
    assert highlighted(page) == expected
    # The rendered text is the input, whole and unchanged; user markup stays text.
    assert page.text_content("#rendered") == sent
    assert page.locator("#rendered b").count() == 0
    rows = page.eval_on_selector_all(
        "#spans tbody tr",
        "rows => rows.map(r => [r.dataset.layer, r.dataset.label, +r.dataset.start, +r.dataset.end,"
        " r.querySelector('.span-text').textContent])")
    assert {tuple(row[:4]): row[4] for row in rows} == expected and len(rows) == len(expected)


def test_entities_use_schema_colours_and_claims_show_their_type(page, live_url, seed_paragraph):
    analyse_in_page(page, seed_paragraph)
    colours = httpx.get(live_url + "/model").json()["colours"]
    entity = page.locator("#rendered mark.hl.entity").first
    label = entity.get_attribute("data-label")
    rgb = tuple(int(colours[label][i:i + 2], 16) for i in (1, 3, 5))
    assert entity.evaluate("n => getComputedStyle(n).backgroundColor") == f"rgb({rgb[0]}, {rgb[1]}, {rgb[2]})"
    claims = page.locator("#rendered .hl.claim.first")
    if claims.count():
        badge = claims.first.evaluate("n => getComputedStyle(n, '::before').content")
        assert badge.strip('"') == claims.first.get_attribute("data-label")
    legend = page.eval_on_selector_all("#legend .legend-item", "items => items.map(i => i.dataset.label)")
    assert set(legend) == set(colours)


def test_errors_are_shown_not_thrown(page):
    analyse_in_page(page, "")
    assert page.text_content("#status").startswith("✓")
    page.fill("#text", "ب" * 5001)
    page.click("text=حلّل / Analyse")
    page.wait_for_selector("#status.error")
    assert "5000 characters" in page.text_content("#status")
