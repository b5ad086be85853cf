"""The home page's "lecture, in order": every link opens its page in the presenter view with
the named story at its first scene, under the title the list gives it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from server.routes.pages import LECTURE
from tests.browser.conftest import ConsoleWatch

pytestmark = pytest.mark.browser


def test_the_home_page_lists_the_lecture_in_order(page: Page, console: ConsoleWatch) -> None:
    page.goto("/")
    links = page.locator(".lecture-list a")
    expect(links).to_have_count(len(LECTURE))
    assert links.evaluate_all("(as) => as.map((a) => a.dataset.lectureStory)") == [
        story for _, story, _, _ in LECTURE
    ]


@pytest.mark.parametrize(("path", "story", "title"), [row[:3] for row in LECTURE])
def test_each_lecture_link_opens_its_story(
    page: Page, console: ConsoleWatch, path: str, story: str, title: str
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto("/")
    page.locator(f"[data-lecture-story='{story}']").click()
    page.wait_for_url(f"**{path}?*")
    expect(page.locator(f"body[data-story='{story}'][data-scene='1']")).to_have_count(1)
    expect(page.locator("body[data-story-ready='true']")).to_have_count(1, timeout=30_000)
    expect(page.locator(".story-title")).to_have_text(title)
    expect(page.locator("html[data-present]")).to_have_count(1)
