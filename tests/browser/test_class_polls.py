"""A lecture hall in browsers: the lecturer projects a story at 1920 px, students follow on
390 px phones. A story's question becomes a poll the students answer and the lecturer counts
and reveals; the students' pages follow scene changes in place (no reload); a model the
lecturer uploads opens on the students' pages with the same numbers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.test_explore import DISPLAYED, SNAPSHOT

PHONE = {"width": 390, "height": 844}
PROJECTOR = {"width": 1920, "height": 1080}


@contextmanager
def phones(browser: Browser, base_url: str, count: int) -> Iterator[list[Page]]:
    """`count` students, each in their own browser context (their own storage: one voter)."""
    contexts: list[BrowserContext] = [
        browser.new_context(viewport=PHONE, base_url=base_url) for _ in range(count)
    ]
    try:
        yield [context.new_page() for context in contexts]
    finally:
        for context in contexts:
            context.close()


def story_ready(page: Page, scene: int) -> None:
    page.wait_for_selector(
        f"body[data-scene='{scene}'][data-story-ready='true']", state="attached", timeout=30_000
    )


def start_class(page: Page) -> str:
    page.click("#class-toggle")
    return page.locator(".class-code").inner_text()


def join(student: Page, code: str) -> None:
    """Type the code at /join, as a student reading it off the projector would."""
    student.goto("/join")
    student.fill("#join-code", code.lower())
    student.click(".join-form button")
    expect(student.locator("body")).to_have_attribute("data-follow", "following")


def test_a_question_is_polled_counted_and_revealed_across_screens(
    browser: Browser, base_url: str
) -> None:
    lecturer_context = browser.new_context(viewport=PROJECTOR, base_url=base_url)
    lecturer = lecturer_context.new_page()
    try:
        lecturer.goto("/gradients?story=vanish-explode&scene=1&present=1")
        story_ready(lecturer, 1)
        code = start_class(lecturer)
        question = lecturer.locator(".story-question")
        expect(question).to_contain_text("0 answers so far")
        with phones(browser, base_url, 2) as (first, second):
            for student in (first, second):
                join(student, code)
                story_ready(student, 1)
                expect(student.locator(".story-question")).to_contain_text("Answer:")
                # Following, the bar that says so (and detaches) is on the phone's screen.
                bar = student.locator("#follow-bar").bounding_box()
                assert bar and bar["y"] >= 0 and bar["y"] + bar["height"] <= PHONE["height"]
                width = student.evaluate("() => document.documentElement.scrollWidth")
                assert width <= PHONE["width"]
            # An answer the network drops is shown as not sent, and can be sent again.
            first.route("**/answers/*", lambda route: route.abort())
            first.locator(".story-choices button").nth(0).click()
            expect(first.locator(".story-question")).to_contain_text("did not reach")
            first.unroute("**/answers/*")
            first.locator(".story-choices button").nth(1).click()  # "smaller": right
            second.keyboard.press("1")  # "bigger": wrong, by its key
            expect(first.locator(".story-question")).to_contain_text("Sent: you chose 2")
            expect(second.locator(".story-question")).to_contain_text("Sent: you chose 1")
            expect(question).to_contain_text("2 answers so far", timeout=10_000)
            choices = lecturer.locator(".story-choices button")
            expect(choices.nth(0)).to_contain_text("· 1")
            expect(choices.nth(1)).to_contain_text("· 1")
            # Nothing is revealed before the lecturer says so.
            for student in (first, second):
                expect(student.locator(".story-reveal")).to_have_count(0)

            lecturer.click(".story-reveal-button")
            expect(first.locator(".story-reveal")).to_contain_text("Yes: 0.5^50")
            expect(second.locator(".story-reveal")).to_contain_text("No, it is “smaller”")
            expect(second.locator(".story-reveal")).to_contain_text("(2 answers.)")
            expect(question.locator(".story-reveal")).to_contain_text("It is “smaller”")

            # The next scene reaches the phones in place: their pages are not reloaded.
            first.evaluate("() => { window.stillHere = true; }")
            lecturer.keyboard.press("PageDown")
            story_ready(lecturer, 2)
            story_ready(first, 2)
            assert first.evaluate("() => window.stillHere === true")
            assert "gain=2" in first.url and f"session={code}" in first.url
    finally:
        lecturer_context.close()


def test_a_model_the_lecturer_uploads_opens_on_the_students_page(
    browser: Browser, base_url: str, tmp_path: Path
) -> None:
    vocab = "abc (),'"
    torch.manual_seed(5)
    rnn = torch.nn.GRU(len(vocab), 5)
    readout = torch.nn.Linear(5, len(vocab))
    path = tmp_path / "class-gru.pt"
    weights = {f"rnn.{k}": v for k, v in rnn.state_dict().items()}
    weights |= {f"readout.{k}": v for k, v in readout.state_dict().items()}
    torch.save(weights, path)

    laptop = {"width": 1366, "height": 768}
    lecturer_context = browser.new_context(viewport=laptop, base_url=base_url)
    lecturer = lecturer_context.new_page()
    try:
        lecturer.goto("/explore?model=hello-lstm&text=hello")
        lecturer.wait_for_selector("body[data-ready='true']", state="attached", timeout=60_000)
        code = start_class(lecturer)
        with phones(browser, base_url, 1) as (student,):
            join(student, code)
            student.wait_for_selector("body[data-ready='true']", state="attached", timeout=60_000)
            lecturer.locator("#upload-box summary").click()
            lecturer.set_input_files("#upload-file", str(path))
            lecturer.fill("#upload-vocab", vocab)
            lecturer.fill("#upload-name", "class-gru")
            lecturer.click("#upload-button")
            lecturer.wait_for_function("() => document.body.dataset.uploading === 'false'")
            lecturer.fill("#text", "ab (c)")
            lecturer.wait_for_selector("body[data-ready='true']", state="attached")
            # The student's browser never saw the file: it fetches the shared model.
            student.wait_for_function(
                "() => new URLSearchParams(location.search).get('text') === 'ab (c)'"
                " && document.body.dataset.ready === 'true'",
                timeout=30_000,
            )
            expect(student.locator("#error")).to_be_hidden()
            assert student.input_value("#model") == "local:class-gru"
            shown, expected = student.evaluate(SNAPSHOT), lecturer.evaluate(SNAPSHOT)
            assert shown["h"] == expected["h"] and shown["topk"] == expected["topk"]
            assert shown["text"] == list("ab (c)")
            # And they are the GRU's own numbers.
            x = torch.nn.functional.one_hot(
                torch.tensor([vocab.index(c) for c in "ab (c)"]), len(vocab)
            )
            with torch.no_grad():
                hidden, _ = rnn.double()(x.double())  # (T, H)
            z = torch.tensor(shown["h"][0]["z"], dtype=torch.float64).T
            torch.testing.assert_close(z, hidden, **DISPLAYED)
        with phones(browser, base_url, 1) as (late,):  # joins once the model is on screen
            join(late, code)
            late.wait_for_function(
                "() => document.body.dataset.ready === 'true'"
                " && document.getElementById('model').value === 'local:class-gru'",
                timeout=30_000,
            )
            expect(late.locator("#error")).to_be_hidden()
            assert late.evaluate(SNAPSHOT)["h"] == expected["h"]
    finally:
        lecturer_context.close()
