"""rfcalc explain as Markdown, HTML and LaTeX, and the output files it writes."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from rfcalc.sources import load_spec
from rfcalc.teach import pictures
from rfcalc.teach.command import render_explanation
from rfcalc.teach.explain import explain_spec
from rfcalc.teach.notation import NOTATIONS

SMALL = ("cifar10_walkthrough", "conv_examples", "transposed_example", "keras_mnist", "audio1d")


def explained(name, fmt, notation="notes", **options):
    return render_explanation(explain_spec(load_spec(name), notation, **options), fmt)


class _Structure(HTMLParser):
    """Checks that tags nest and records what a self-contained page must not have."""

    VOID = {"meta", "br", "img", "hr", "input", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.external, self.tags = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        for key, value in attrs:
            if key in ("src", "href") and value and re.match(r"[a-z]+://", value):
                self.external.append(value)
        if tag in ("script", "link", "iframe"):
            self.external.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


@pytest.mark.parametrize("name", SMALL)
def test_html_is_well_formed_and_self_contained(name):
    page = explained(name, "html")
    parser = _Structure()
    parser.feed(page)
    assert parser.errors == [] and parser.stack == []
    assert parser.external == []
    sections = [attrs.get("id") for tag, attrs in parser.tags if tag == "section"]
    assert len([s for s in sections if s and s.startswith("layer-")]) == len(load_spec(name).nodes)
    assert "@media print" in page


def test_html_formulas_and_cannot():
    page = explained("conv_examples", "html", layers="example1_stride2")
    assert "(32 &minus; 5 + 2 &times; 0)/2 + 1</span> <span class=\"side\">= 14.5</span>" in page
    assert "&rArr; floor 14" in page
    assert "<var>H</var><sub>out</sub>" in page


def test_html_embeds_the_pictures_draw_provides(monkeypatch):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    monkeypatch.setattr(pictures, "layer_picture", lambda spec, report, layer: svg if layer == "conv1" else None)
    import rfcalc.teach.render_html as render_html

    monkeypatch.setattr(render_html, "layer_picture", pictures.layer_picture)
    monkeypatch.setattr(render_html, "receptive_field_picture", lambda spec, report, layer: None)
    page = explained("cifar10_walkthrough", "html")
    assert page.count('<figure class="picture"') == 1 and svg in page
    assert explained("cifar10_walkthrough", "html").count("<svg") == 1


def _without_math(markdown: str) -> str:
    """The prose: math, the bold step titles and the italic input line removed."""
    markdown = re.sub(r"\$\$.*?\$\$", "", markdown, flags=re.S)
    markdown = re.sub(r"\$[^$\n]+\$", "", markdown)
    markdown = re.sub(r"^\*\*(.+?)\*\*", r"\1", markdown, flags=re.M)
    return re.sub(r"^\*(.+)\*$", r"\1", markdown, flags=re.M)


@pytest.mark.parametrize("name", SMALL)
def test_markdown_math_and_escaping(name):
    text = explained(name, "markdown")
    assert text.count("$$") % 2 == 0
    prose = _without_math(text)
    assert not re.search(r"(?<!\\)[_*]", prose), "unescaped Markdown emphasis outside math"
    assert text.startswith("# ") and "## Summary" in text


def test_markdown_cannot_example():
    text = explained("conv_examples", "markdown", layers="example1_stride2", quantities=["shape"])
    assert r"&= \frac{32 - 5 + 2 \cdot 0}{2} + 1 \\" in text
    assert r"&= 14.5 \;\Rightarrow\; \text{floor}\; 14" in text


def _balanced(text: str) -> bool:
    depth = 0
    for i, c in enumerate(text):
        if c in "{}" and (i == 0 or text[i - 1] != "\\"):
            depth += 1 if c == "{" else -1
            if depth < 0:
                return False
    return depth == 0


@pytest.mark.parametrize("notation", list(NOTATIONS))
def test_latex_braces_and_environments(notation):
    for name in SMALL:
        text = explained(name, "latex", notation)
        assert _balanced(text), name
        assert text.count(r"\begin{aligned}") == text.count(r"\end{aligned}")
        assert text.count(r"\[") == text.count(r"\]")
        assert text.startswith(r"\documentclass") and text.rstrip().endswith(r"\end{document}")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed (Debian: texlive-latex-base)")
@pytest.mark.parametrize("notation", list(NOTATIONS))
def test_latex_compiles(tmp_path, notation):
    for name in ("conv_examples", "transposed_example"):
        (tmp_path / f"{name}.tex").write_text(explained(name, "latex", notation))
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout[-2000:]
        assert (tmp_path / f"{name}.pdf").stat().st_size > 1000


def test_cli_writes_refuses_and_forces(run_cli, tmp_path):
    target = tmp_path / "explain.html"
    code, out, err = run_cli("explain", "conv_examples", "-o", str(target))
    assert code == 0 and out == "" and "wrote" in err
    first = target.read_text()
    assert first.startswith("<!DOCTYPE html>")
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    code, out, err = run_cli("explain", "cifar10_walkthrough", "-o", str(target))
    assert code == 2 and "the file exists; give --force to overwrite it" in err
    assert target.read_text() == first
    code, _, _ = run_cli("explain", "cifar10_walkthrough", "-o", str(target), "--force")
    assert code == 0 and "cifar10_walkthrough" in target.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["explain.html"]  # no temporary file left


@pytest.mark.parametrize("suffix, start", [(".md", "# conv"), (".tex", r"\documentclass"), (".txt", "conv_examples")])
def test_cli_format_from_extension(run_cli, tmp_path, suffix, start):
    target = tmp_path / f"out{suffix}"
    code, _, _ = run_cli("explain", "conv_examples", "-o", str(target))
    assert code == 0 and target.read_text().startswith(start)


def test_cli_unknown_extension(run_cli, tmp_path):
    code, _, err = run_cli("explain", "conv_examples", "-o", str(tmp_path / "out.pdf"))
    assert code == 2 and "cannot tell the format from the extension '.pdf'" in err


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
