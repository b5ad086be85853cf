"""/explore on a word-level model, in real Chromium: the text is read word by word, the step
shows the embedding lookup (the row of E that becomes x_t) with the API's numbers, and the
analysis panels, which are per character, are put away."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_explore import DISPLAYED, open_explore

pytestmark = pytest.mark.browser

MODEL = "zen-words-lstm"


def word_trace(api: httpx.Client, text: str) -> dict:
    params = {"model": MODEL, "text": text, "compact": "true"}
    response = api.get("/api/trace", params=params)
    response.raise_for_status()
    return response.json()


def test_a_word_model_shows_the_lookup_of_each_word(page: Page, api: httpx.Client) -> None:
    open_explore(page, model=MODEL, cursor=2, panels="text,predictions,states,equations")
    assert page.locator("body").get_attribute("data-error") != "true"
    text = page.locator("#text").input_value()
    data = word_trace(api, text)
    assert data["input"] == "embedding" and data["tokens"][2] == "better"
    words = page.locator("#text-view .word")
    expect(words).to_have_count(len(data["tokens"]))
    expect(page.locator("#text-view")).to_contain_text("Beautiful is better than ugly .")

    sentence = page.locator("#lookup-sentence")
    row = data["token_ids"][2]
    expect(sentence).to_contain_text(f"reads “better”: x_t = E[{row}]")
    expect(sentence).to_have_attribute("data-row", str(row))
    page.locator("#chart-lookup summary").click()  # the chart's data table
    cells = page.locator("#chart-lookup table tbody td")
    expect(cells).to_have_count(data["embedding_dim"])
    drawn = [float(v.replace("\u2212", "-")) for v in cells.all_inner_texts()]
    assert drawn == pytest.approx(data["embedded"][2], abs=DISPLAYED["atol"] + 1e-3)
    expect(page.locator("#prediction")).to_contain_text("the next word is “than”")
    assert page.locator("#equations math[alttext='embedding lookup']").count() == 1

    page.keyboard.press("ArrowRight")
    expect(sentence).to_contain_text(f"x_t = E[{data['token_ids'][3]}]")


def test_the_per_character_panels_are_put_away_on_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_explore(page, model=MODEL)
    for panel in ("connectivity", "units", "saturation"):
        expect(page.locator(f"section[data-panel='{panel}']")).to_be_hidden()
        expect(page.locator(f"#panel-toggles input[value='{panel}']")).to_be_disabled()
    expect(page.locator("#generate-box")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
