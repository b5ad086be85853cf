"""A click made while a page is still loading is applied once the page is ready, never dropped
(boot.js holds it, status.js releases it): the page's data is held back here so the click
certainly comes first."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import ConsoleWatch

pytestmark = pytest.mark.browser


class HeldRequests:
    """Requests matching a pattern wait until `release` (later ones then pass at once)."""

    def __init__(self, page: Page, pattern: str) -> None:
        self.page = page
        self.held: list[Route] = []
        self.released = False
        page.route(pattern, self.handle)

    def handle(self, route: Route) -> None:
        if self.released:
            route.continue_()
        else:
            self.held.append(route)

    def release(self) -> None:
        while not self.held:  # the page asks once its modules run
            self.page.wait_for_timeout(50)
        self.released = True
        for route in self.held:
            route.continue_()


def test_next_pressed_before_the_trace_arrives_is_applied(
    page: Page, console: ConsoleWatch
) -> None:
    held = HeldRequests(page, "**/api/trace?*")
    page.goto("/hello", wait_until="commit")
    page.locator("#forward").click()
    assert page.evaluate("document.body.dataset.ready") != "true"
    held.release()
    expect(page.locator("body[data-ready='true'][data-step='1']")).to_have_count(1)


def test_a_story_chosen_while_the_lab_loads_starts(page: Page, console: ConsoleWatch) -> None:
    held = HeldRequests(page, "**/api/train/**")
    page.goto("/lab", wait_until="commit")
    page.locator(".story-picker button").first.click()
    held.release()
    expect(page.locator("body[data-story][data-scene='1']")).to_have_count(1)


def test_the_home_page_holds_no_clicks(page: Page, console: ConsoleWatch) -> None:
    page.goto("/")
    page.locator("#theme-toggle").click()
    expect(page.locator("html[data-theme='dark']")).to_have_count(1)
