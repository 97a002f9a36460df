"""Headless Chromium for the tests that open rfcalc's HTML pages (and for the README's screenshot):
Debian's `chromium` package driven by Playwright's Python package (Playwright's own browser download
is not used). A fresh profile per page; no network, no GPU, no background services.

    python tests/browser.py PAGE.html SHOT.png [WIDTH]     # a screenshot of the top of a page
"""
from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> Optional[str]:
    """The Chromium binary, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing() -> Optional[str]:
    """Why a page cannot be opened here (a skip reason), or None."""
    if chromium_path() is None:
        return "chromium not installed (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright not installed (pip install playwright; it drives Debian's chromium)"
    return None


@dataclass
class OpenedPage:
    """What a page did in the browser: its console and page errors, requests that left the file, the
    size of each picture, and the page printed to PDF."""

    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    pictures: list[dict] = field(default_factory=list)  # per figure.picture svg: width, height, right edge
    body_width: float = 0.0
    pdf: bytes = b""
    screenshot: bytes = b""


def open_page(page_file: Path, width: int = 1000, screenshot: bool = False) -> OpenedPage:
    """Open an HTML file in headless Chromium, measure its pictures and print it to PDF (A4)."""
    from playwright.sync_api import sync_playwright

    opened = OpenedPage()
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="rfcalc-chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=chromium_path(), headless=True, args=FLAGS,
            viewport={"width": width, "height": 900})
        try:
            page = context.new_page()
            page.on("console", lambda m: opened.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: opened.console_errors.append(str(e)))
            page.on("request", lambda r: None if r.url.startswith(("file:", "data:"))
                    else opened.external_requests.append(r.url))
            page.goto(Path(page_file).resolve().as_uri(), wait_until="load")
            opened.pictures = page.eval_on_selector_all(
                "figure.picture svg",
                "els => els.map(e => { const r = e.getBoundingClientRect(); "
                "return {width: r.width, height: r.height, right: r.right}; })")
            opened.body_width = page.evaluate("document.documentElement.clientWidth")
            if screenshot:
                opened.screenshot = page.screenshot(full_page=False)
            opened.pdf = page.pdf(format="A4", print_background=True)
        finally:
            context.close()
    return opened


def pdf_pages_text(pdf: bytes) -> list[str]:
    """The text of each printed page (pypdf), ligatures such as 'fi' spelled out (NFKC)."""
    import io
    import unicodedata

    from pypdf import PdfReader

    return [unicodedata.normalize("NFKC", page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages]


if __name__ == "__main__":
    source, target = Path(sys.argv[1]), Path(sys.argv[2])
    shot = open_page(source, int(sys.argv[3]) if len(sys.argv) > 3 else 1000, screenshot=True)
    target.write_bytes(shot.screenshot)
    print(f"wrote {target} ({len(shot.pictures)} pictures, {len(shot.console_errors)} console errors)")
