"""Page measurements the lecture tests share (presenter view, phone bars)."""

# Every [data-core] element shown, with its box: the presenter's core view.
CORE_BOXES = """() => Array.from(document.querySelectorAll("[data-core]"))
  .filter((e) => e.offsetParent !== null)
  .map((e) => { const r = e.getBoundingClientRect();
    return {name: e.dataset.panel || e.id || e.className,
      top: r.top, left: r.left, bottom: r.bottom, right: r.right}; })"""

# Heights of the elements that stay on screen while the page scrolls.
STICKY_HEIGHTS = """() => Array.from(document.querySelectorAll("body *"))
  .filter((e) => e.offsetParent !== null
    && ["sticky", "fixed"].includes(getComputedStyle(e).position))
  .map((e) => [e.className || e.id || e.tagName, e.getBoundingClientRect().height])"""
