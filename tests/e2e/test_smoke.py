"""Smoke: the real app opens, every section is reachable and shows real content."""

from conftest import find, screenshot

SECTIONS = ["canvas", "gallery", "projects", "dashboard", "settings"]


def test_every_section_opens_with_its_heading(browser):
    assert browser.title == "Proofsheet"
    for section in SECTIONS:
        find(browser, f"nav-{section}").click()
        screen = find(browser, f"screen-{section}")
        heading = screen.find_element("css selector", "h1").text
        assert heading.strip().lower() == section, f"{section}: heading was {heading!r}"
        # Real content, not a blank panel: the screen has more text than its heading.
        assert len(screen.text.strip()) > len(heading.strip()) + 10, f"{section} looks empty"
        path = screenshot(browser, f"smoke-{section}")
        assert path.stat().st_size > 10_000, f"{section} screenshot is suspiciously small"
