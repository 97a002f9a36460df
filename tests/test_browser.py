"""rfcalc's HTML pages in a real browser (headless Chromium through Playwright, see tests/browser.py):
they render without console errors or network requests, their pictures are present and sized inside
the page, and they print to PDF (a worksheet's answer key starting on a page of its own)."""
from __future__ import annotations

import pytest

from browser import missing, open_page, pdf_pages_text
from rfcalc.cli import LAZY_COMMANDS

REASON = missing()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def explain_page(tmp_path_factory):
    """explain's HTML page of the notes' CIFAR-10 walk-through, opened in Chromium."""
    pytest.importorskip("pypdf", reason="reading the printed PDF needs pypdf (pip install pypdf)")
    from rfcalc.cli import main

    page = tmp_path_factory.mktemp("explain") / "cifar10.html"
    assert main(["explain", "cifar10_walkthrough", "--format", "html", "-o", str(page)]) == 0
    return page.read_text(), open_page(page)


def test_explain_page_renders_without_errors_or_network(explain_page):
    _, opened = explain_page
    assert opened.console_errors == []
    assert opened.external_requests == []


def test_explain_page_pictures_are_present_and_fit(explain_page):
    html, opened = explain_page
    # cifar10_walkthrough: its 6 window layers (conv1-4, pool1-2) have a layer diagram and an RF picture
    # (RF at most 16 pixels: it fits a page); the 4 ReLUs see what their input sees and have none: 12.
    assert html.count('<figure class="picture"') == 12
    assert len(opened.pictures) == 12
    for picture in opened.pictures:
        assert picture["width"] >= 200 and picture["height"] >= 100, picture
        assert picture["right"] <= opened.body_width, picture  # scaled to the page, not overflowing


def test_explain_page_prints(explain_page):
    _, opened = explain_page
    pages = pdf_pages_text(opened.pdf)
    assert len(pages) >= 2
    text = "\n".join(pages)
    assert "conv1 (#0) conv2d" in text and "Summary" in text
    # the pictures print as vector drawings with their words (SVG text stays text in the PDF)
    assert "Receptive field of 'conv1' on the input of cifar10_walkthrough" in text
    assert "kernel 3x3, stride 1, padding 1" in text


@pytest.mark.skipif("worksheet" not in LAZY_COMMANDS, reason="rfcalc worksheet is not on this branch")
def test_worksheet_answer_key_starts_on_its_own_printed_page(tmp_path):
    pytest.importorskip("pypdf", reason="reading the printed PDF needs pypdf (pip install pypdf)")
    from rfcalc.cli import main

    page = tmp_path / "ws.html"
    assert main(["worksheet", "--random", "--count", "6", "--seed", "7", "--format", "html", "-o", str(page)]) == 0
    opened = open_page(page)
    assert opened.console_errors == [] and opened.external_requests == []
    pages = pdf_pages_text(opened.pdf)
    first_key = next(i for i, text in enumerate(pages) if "Answer key" in text)
    assert first_key > 0
    assert pages[first_key].lstrip().startswith("Answer key"), pages[first_key][:200]
    assert "Answer key" not in pages[first_key - 1]
