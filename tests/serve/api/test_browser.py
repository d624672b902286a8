"""The demo page in real headless Chromium (Debian's, driven by Playwright) against a live uvicorn.

The server runs the tiny model, scripted to answer the documented example with its claim
sentence (tests/serve/api/scripted.py), so the claim display is tested on a known claim.
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
from serve.api.examples import EXAMPLE_TEXT
from serve.api.inference import InferenceService
from tests.serve.api.scripted import scripted_loader
from tests.serve.helpers import make_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def live_url(tiny_model_dir):
    """A real uvicorn server on 127.0.0.1 in a thread, serving the (scripted) tiny model."""
    port = free_port()
    # A low character limit so the error test need not type 200k characters into the page.
    app = create_app(make_settings(tiny_model_dir, max_chars_per_text=5000),
                     service=InferenceService(tiny_model_dir, scripted_loader))
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


def analyse_in_page(page, text: str, published: str = "") -> str:
    """Paste ``text`` into the textarea, set the publication date (YYYY-MM-DD, or "" for none),
    click the button, wait for the result; returns the text sent."""
    page.evaluate("document.body.dataset.analysed = ''")
    page.fill("#text", text)
    page.fill("#date", published)
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


def underlined(page) -> dict[tuple, list[str]]:
    """(start, end) -> the chip texts of every claim sentence element in the rendered text."""
    claims = page.eval_on_selector_all(
        "#rendered .claim",
        "nodes => nodes.map(n => [+n.dataset.start, +n.dataset.end,"
        " [...n.querySelectorAll('.chip')].map(c => c.textContent)])")
    return {(start, end): chips for start, end, chips in claims}


def rendered_text(page) -> str:
    """The text of the rendered result without the claim type chips (labels, not input)."""
    return page.eval_on_selector(
        "#rendered", "n => { const c = n.cloneNode(true); c.querySelectorAll('.chips').forEach(x => x.remove());"
        " return c.textContent; }")


def api_document(live_url, text: str, published: str = "") -> dict:
    body = {"text": text, **({"date": published} if published else {})}
    return httpx.post(live_url + "/predict", json=body, timeout=30).json()["documents"][0]


def api_spans(document: dict) -> dict[tuple, str]:
    return {(layer, span["label"], span["start"], span["end"]): span["text"]
            for layer in ("entities", "sources") for span in document[layer]}


def api_claims(document: dict) -> dict[tuple, list[str]]:
    return {(claim["start"], claim["end"]): [f'{item["label"]} {item["score"]:.2f}' for item in claim["types"]]
            for claim in document["claims"]}


def rgb(colour: str) -> str:
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


@pytest.mark.parametrize("prefix", ["", "🔥 <b>عاجل</b> "], ids=["seed-paragraph", "emoji-and-markup-prefix"])
def test_page_highlights_exactly_the_api_spans(page, live_url, seed_paragraph, prefix):
    sent = analyse_in_page(page, prefix + seed_paragraph)
    document = api_document(live_url, sent)
    expected = api_spans(document)
    assert any(layer == "entities" for layer, *_ in expected), "the tiny model finds entities in a seed paragraph"
    assert highlighted(page) == expected
    assert underlined(page) == api_claims(document)
    assert page.locator("#claims tbody tr").count() == len(document["claims"])
    # The rendered text is the input, whole and unchanged; user markup stays text.
    assert rendered_text(page) == sent
    assert page.locator("#rendered b").count() == 0
    rows = page.eval_on_selector_all(
        "#spans tbody tr",
        "rows => rows.map(r => [r.dataset.layer, r.dataset.label, +r.dataset.start, +r.dataset.end,"
        " r.querySelector('.span-text').textContent])")
    assert {tuple(row[:4]): row[4] for row in rows} == expected and len(rows) == len(expected)


def test_entities_use_schema_colours(page, live_url, seed_paragraph):
    analyse_in_page(page, seed_paragraph)
    colours = httpx.get(live_url + "/model").json()["colours"]
    entity = page.locator("#rendered mark.hl.entity").first
    label = entity.get_attribute("data-label")
    assert entity.evaluate("n => getComputedStyle(n).backgroundColor") == rgb(colours[label])
    legend = page.eval_on_selector_all("#legend .legend-item", "items => items.map(i => i.dataset.label)")
    assert set(legend) == set(colours)


def test_a_claim_sentence_is_underlined_once_with_its_type_chips_source_and_date(page, live_url):
    sent = analyse_in_page(page, EXAMPLE_TEXT, published="2015-10-07")
    colours = httpx.get(live_url + "/model").json()["colours"]
    assert underlined(page) == {(0, len(EXAMPLE_TEXT)): ["AIRSTRIKE 0.94"]}
    assert underlined(page) == api_claims(api_document(live_url, sent, "2015-10-07"))
    claim = page.locator("#rendered .claim")
    # One underline, in the type's colour: no element inside the sentence draws another.
    assert claim.evaluate("n => [getComputedStyle(n).borderBottomStyle, getComputedStyle(n).borderBottomColor]") \
        == ["solid", rgb(colours["AIRSTRIKE"])]
    assert claim.evaluate("n => [...n.querySelectorAll('*')].filter(c => getComputedStyle(c).borderBottomStyle"
                          " !== 'none' || getComputedStyle(c).textDecorationLine !== 'none').length") == 0
    chip = claim.locator(".chip")
    assert chip.evaluate("n => getComputedStyle(n).backgroundColor") == rgb(colours["AIRSTRIKE"])
    # Entities inside the sentence are still coloured; the source is outlined.
    assert {label for _, label, *_ in highlighted(page)} == {"ORG", "WEAPON", "DATE", "QUANTITY", "GPE", "SRC_NAMED"}
    assert rendered_text(page) == sent
    row = page.locator("#claims tbody tr")
    assert row.count() == 1
    assert row.locator(".types .chip").all_text_contents() == ["AIRSTRIKE 0.94"]
    assert row.locator(".claim-source").text_content() == "المرصد السوري لحقوق الإنسانnamed"
    # The date input reached the API: «أمس» is resolved to the day before publication.
    assert row.locator("td.mentions").first.text_content() == "أمس2015-10-06"
    analyse_in_page(page, EXAMPLE_TEXT, published="")
    assert page.locator("#claims tbody tr td.mentions").first.text_content() == "أمس"


def test_errors_are_shown_not_thrown(page):
    analyse_in_page(page, "")
    assert page.text_content("#status").startswith("✓")
    page.fill("#text", "ب" * 5001)
    page.click("text=حلّل / Analyse")
    page.wait_for_selector("#status.error")
    assert "5000 characters" in page.text_content("#status")
