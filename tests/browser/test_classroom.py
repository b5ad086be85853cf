"""The live classroom in two browsers: a lecturer presents to class, a student joins by the
link and follows the lecturer's step and page, detaches, follows again, and is told when the
session ends. Real server, real EventSource."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Browser, Page, expect


def ready(page: Page) -> None:
    page.wait_for_selector("body[data-ready='true']", state="attached")


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_a_student_follows_the_lecturers_step_and_page(page: Page, browser: Browser, base_url):
    page.goto("/hello?step=0")
    ready(page)
    page.click("#class-toggle")
    code = page.locator(".class-code").inner_text()
    link = page.locator("#class-panel a").get_attribute("href")
    assert link and link.endswith(f"/join/{code}")
    assert urlsplit(link).hostname not in ("127.0.0.1", "localhost")
    expect(page.locator(".class-qr")).to_be_visible()

    student_context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=base_url)
    student = student_context.new_page()
    try:
        student.goto(f"/join/{code}")  # the link's path on this server
        ready(student)
        assert urlsplit(student.url).path == "/hello" and query(student)["session"] == [code]
        expect(student.locator("#follow-bar")).to_contain_text("Following the lecturer")
        expect(student.locator("#class-toggle")).to_be_hidden()
        expect(page.locator("body")).to_have_attribute("data-class-followers", "1", timeout=10_000)

        page.click("#forward")  # the lecturer steps: the student's page follows
        expect(page).to_have_url(re.compile(r"[?&]step=1(&|$)"))
        student.wait_for_url(lambda url: "step=1" in url)
        ready(student)
        assert student.locator(".diagram-step.current").get_attribute("data-step") == "1"

        student.click("#follow-bar button")  # detach: explore alone
        expect(student.locator("body")).to_have_attribute("data-follow", "detached")
        page.goto("/gradients")
        ready(page)
        student.wait_for_timeout(1000)
        assert urlsplit(student.url).path == "/hello"

        student.click("#follow-bar button")  # follow again: the lecturer's page now
        student.wait_for_url(lambda url: urlsplit(url).path == "/gradients")
        ready(student)
        assert query(student)["session"] == [code]

        page.click("#class-toggle")  # the panel shows again; end the session
        page.click("#class-panel button")
        expect(student.locator("body")).to_have_attribute("data-follow", "ended")
        assert "session" not in query(student)
    finally:
        student_context.close()
