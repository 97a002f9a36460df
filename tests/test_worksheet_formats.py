"""rfcalc worksheet's formats, parsed back: Markdown, printable HTML, Moodle XML (the structure
MoodleDocs' "Moodle XML format" and Cloze pages describe), GIFT, the Canvas QTI 1.2 package and the
JSON answer key; files written through write_output."""
from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rfcalc.cli import main
from rfcalc.teach.worksheet.generate import SheetOptions, generate
from rfcalc.teach.worksheet.html import render_html
from rfcalc.teach.worksheet.lms import render_gift, render_moodle_xml
from rfcalc.teach.worksheet.model import format_answer
from rfcalc.teach.worksheet.qti import render_qti
from rfcalc.teach.worksheet.render import Sheet, plain_number, render_json, tolerance

ROOT = Path(__file__).resolve().parent.parent
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
CLOZE_PART = re.compile(r"\{1:(NUMERICAL|MULTICHOICE):((?:\\.|[^\\}])*)\}")


@pytest.fixture(scope="module")
def sheet():
    made = generate(SheetOptions(seed=7, count=15, choices=4, variants=2))
    return Sheet("CNN arithmetic worksheet", "seed 7", tuple(tuple(v) for v in made), True)


@pytest.fixture(scope="module")
def fill_in():
    made = generate(SheetOptions(seed=3, count=15))
    return Sheet("CNN arithmetic worksheet", "seed 3", tuple(tuple(v) for v in made), True)


def close(text: str, answer: Fraction) -> bool:
    """The number written equals the answer within the tolerance the LMS grades with."""
    return abs(Fraction(text) - answer) <= Fraction(tolerance(answer)) if tolerance(answer) else Fraction(text) == answer


class Page(HTMLParser):
    """Tags (nesting checked), classes, ids and anything fetched from elsewhere."""

    VOID = {"meta", "br", "img", "hr", "input", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.ids, self.classes, self.remote, self.tags = [], [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)
        self.ids += [attrs["id"]] if "id" in attrs else []
        self.classes += (attrs.get("class") or "").split()
        for key in ("src", "href"):
            if key in attrs and re.match(r"(https?:)?//", attrs[key] or ""):
                self.remote.append(attrs[key])

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, tag


def test_html_is_self_contained_with_keys_on_their_own_pages(sheet):
    page_text = render_html(sheet)
    page = Page()
    page.feed(page_text)
    assert not page.stack and not page.remote and "script" not in page.tags and "link" not in page.tags
    assert page.ids.count("key-v01") == 1 and "sheet-v02" in page.ids
    assert "section.sheet + section.sheet, section.key { break-before: page; }" in page_text
    for exercise in sheet.exercises:
        assert exercise.id in page.ids
    assert page.classes.count("exercise") == 2 * len(sheet.exercises)  # on the sheet and in the key


def test_html_embeds_the_pictures_a_function_gives(sheet):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>'
    page_text = render_html(sheet, draw=lambda exercise: svg if exercise.code == "T6" else None)
    assert page_text.count(svg) == sum(e.code == "T6" for e in sheet.exercises) == 2
    assert page_text.count('<figure class="picture"') == 2


def _moodle_questions(text):
    root = ET.fromstring(text)
    assert root.tag == "quiz"
    category, questions = None, []
    for question in root:
        assert question.tag == "question"
        if question.get("type") == "category":
            category = question.find("category/text").text
        else:
            questions.append((category, question))
    return root, questions


def test_moodle_xml_structure(sheet, fill_in):
    for made in (sheet, fill_in):
        root, questions = _moodle_questions(render_moodle_xml(made))
        categories = [q.find("category/text").text for q in root if q.get("type") == "category"]
        assert len(categories) == len(set(categories)) == 15
        assert all(c.startswith("$course$/top/rfcalc worksheet/T") for c in categories)
        by_id = {e.id: e for e in made.exercises}
        assert len(questions) == len(by_id)
        for category, question in questions:
            exercise = by_id[question.find("idnumber").text]
            assert category.endswith(f"/{exercise.code} {exercise.title}")
            assert question.find("name/text").text.startswith(exercise.id)
            assert question.find("questiontext").get("format") == "html"
            assert "worked" not in (question.find("questiontext/text").text or "")
            assert "Key computed by the rfcalc analyzer" in question.find("generalfeedback/text").text
            kind = question.get("type")
            answers = question.findall("answer")
            if kind == "numerical":
                (answer,) = answers
                assert answer.get("fraction") == "100"
                assert close(answer.find("text").text, exercise.blanks[0].answer)
                assert float(answer.find("tolerance").text) == tolerance(exercise.blanks[0].answer)
            elif kind == "multichoice":
                assert [a.get("fraction") for a in answers].count("100") == 1
                right = next(a for a in answers if a.get("fraction") == "100")
                assert close(right.find("text").text, exercise.blanks[0].answer)
                assert question.find("single").text == "true"
            else:
                assert kind == "cloze" and not answers
                parts = CLOZE_PART.findall(question.find("questiontext/text").text)
                assert len(parts) == len(exercise.blanks)
                for (part_kind, body), blank in zip(parts, exercise.blanks):
                    if part_kind == "NUMERICAL":
                        value, margin = body[1:].split(":")
                        assert close(value, blank.answer) and float(margin) == tolerance(blank.answer)
                    else:
                        options = re.split(r"(?<!\\)~", body)
                        right = [o for o in options if o.startswith("=")]
                        assert len(right) == 1 and right[0][1:].split("#")[0] == (
                            blank.answer if isinstance(blank.answer, str) else plain_number(blank.answer))


def test_gift_structure(sheet):
    text = render_gift(sheet)
    assert text.count("$CATEGORY: $course$/top/rfcalc worksheet/T") == 15
    questions = [line for line in text.splitlines() if line.startswith("::")]
    assert len(questions) == sum(len(e.blanks) for e in sheet.exercises)
    blanks = iter((e, b) for e in sorted(sheet.exercises, key=lambda e: int(e.code[1:])) for b in e.blanks)
    for line in questions:
        exercise, blank = next(blanks)
        title, _, rest = line[2:].partition("::")
        assert title.startswith(exercise.id.replace("-", "-"))
        answer = re.search(r"\{(.*)\}$", rest).group(1)
        if blank.choices or blank.words:
            right = re.findall(r"(?:^|\s)=((?:\\.|[^\s~#])+)", answer.split("####")[0])
            assert [r.replace("\\", "") for r in right] == [
                blank.answer if isinstance(blank.answer, str) else plain_number(blank.answer)]
        else:
            value, margin = answer.split("####")[0][1:].split(":")
            assert close(value, blank.answer) and float(margin) == tolerance(blank.answer)


def test_qti_package_as_canvas_imports_it(sheet):
    package = zipfile.ZipFile(io.BytesIO(render_qti(sheet)))
    names = package.namelist()
    manifest = ET.fromstring(package.read("imsmanifest.xml"))
    assert manifest.tag == f"{CP}manifest"
    resources = {r.get("identifier"): r for r in manifest.iter(f"{CP}resource")}
    (assessment,) = [r for r in resources.values() if r.get("type") == "imsqti_xmlv1p2"]
    (href,) = [f.get("href") for f in assessment.findall(f"{CP}file")]
    dependency = resources[assessment.find(f"{CP}dependency").get("identifierref")]
    assert dependency.get("type") == "associatedcontent/imscc_xmlv1p1/learning-application-resource"
    assert href in names and dependency.find(f"{CP}file").get("href") in names
    meta = ET.fromstring(package.read(dependency.find(f"{CP}file").get("href")))
    assert meta.find("{http://canvas.instructure.com/xsd/cccv1p0}quiz_type").text == "assignment"
    root = ET.fromstring(package.read(href))
    assert root.tag == f"{QTI}questestinterop"
    items = list(root.iter(f"{QTI}item"))
    blanks = [b for e in sheet.exercises for b in e.blanks]
    assert len(items) == len(blanks)
    for element, blank in zip(items, blanks):
        fields = {f.find(f"{QTI}fieldlabel").text: f.find(f"{QTI}fieldentry").text
                  for f in element.iter(f"{QTI}qtimetadatafield")}
        condition = element.find(f"{QTI}resprocessing/{QTI}respcondition[@continue='No']/{QTI}conditionvar")
        if fields["question_type"] == "multiple_choice_question":
            chosen = condition.find(f"{QTI}varequal").text
            label = element.find(f".//{QTI}response_label[@ident='{chosen}']/{QTI}material/{QTI}mattext").text
            assert label == (blank.answer if isinstance(blank.answer, str) else plain_number(blank.answer))
        else:
            assert fields["question_type"] == "numerical_question"
            assert element.find(f".//{QTI}render_fib").get("fibtype") == "Decimal"
            exact = condition.find(f"{QTI}varequal")
            if exact is not None:
                assert close(exact.text, blank.answer)
            else:
                low = float(condition.find(f"{QTI}and/{QTI}vargte").text)
                high = float(condition.find(f"{QTI}and/{QTI}varlte").text)
                assert low < float(blank.answer) < high and high - low < 0.02
    assert render_qti(sheet) == render_qti(sheet)


def test_json_key(sheet):
    key = json.loads(render_json(sheet))
    exercises = [e for variant in key["variants"] for e in variant]
    assert [e["id"] for e in exercises] == [e.id for e in sheet.exercises]
    for item, exercise in zip(exercises, sheet.exercises):
        for blank_json, blank in zip(item["blanks"], exercise.blanks):
            assert blank_json["answer_text"] == format_answer(blank.answer)


@pytest.mark.parametrize("fmt,name", [("markdown", "ws.md"), ("html", "ws.html"), ("moodle", "ws.xml"),
                                      ("gift", "ws.gift"), ("qti", "ws.zip"), ("json", "ws.json")])
def test_cli_formats_reproducible_refused_without_force(fmt, name, tmp_path, capsys):
    target, other = tmp_path / name, tmp_path / f"other-{name}"
    args = ["worksheet", "--random", "--count", "12", "--format", fmt]
    assert main([*args, "--seed", "7", "-o", str(target)]) == 0
    first = target.read_bytes()
    assert main([*args, "--seed", "7", "-o", str(target)]) == 2
    assert "exists; give --force" in capsys.readouterr().err
    assert main([*args, "--seed", "7", "-o", str(target), "--force"]) == 0
    assert target.read_bytes() == first
    assert main([*args, "--seed", "8", "-o", str(other)]) == 0
    assert other.read_bytes() != first


def test_qti_needs_an_output_file(capsys):
    assert main(["worksheet", "--random", "--format", "qti"]) == 2
    assert "-o FILE.zip" in capsys.readouterr().err


# -- worksheets from a spec --------------------------------------------------------------------------

def test_spec_sheet_keys_are_the_lecture_notes_walkthrough():
    from rfcalc.teach.worksheet.from_spec import spec_sheet

    sheet = spec_sheet("cifar10_walkthrough", "shape,params", None, 2, None)
    (exercise,) = sheet.exercises
    key = {b.label: b.answer for b in exercise.blanks}
    # seeds/001: [32x32x10] 280, [32x32x10] 910, pool [16x16x10], 910, 910, pool [8x8x10]
    assert key["conv1: output"] == "10x32x32" and key["conv1: params"] == 280
    assert [key[f"conv{i}: params"] for i in (2, 3, 4)] == [910, 910, 910]
    assert key["pool1: output"] == "10x16x16" and key["pool2: output"] == "10x8x8"
    assert "pool1: params" not in key  # a zero cell is given, not asked
    assert exercise.verified and len(exercise.table.rows) == 10


def test_spec_sheet_too_large_to_run_says_so_and_refuses_verify(capsys):
    from rfcalc.teach.worksheet.from_spec import spec_sheet

    sheet = spec_sheet("resnet18", "shape,params", "conv1|layer1.0.conv1", 2, None)
    assert not sheet.verified
    assert {b.label: b.answer for b in sheet.exercises[0].blanks}["conv1: params"] == 64 * 3 * 7 * 7
    assert main(["worksheet", "vgg16", "--verify", "--ask", "params"]) == 2  # 138M parameters
    assert "MiB" in capsys.readouterr().err
    small = spec_sheet("resnet18", "shape,params,rf,jump", "conv1|maxpool|layer1.0.conv1", 2, None, "32")
    assert small.verified


def test_resnet18_html_worksheet_with_key(tmp_path, capsys):
    target = tmp_path / "ws.html"
    spec = str(ROOT / "specs" / "resnet18.yaml")
    assert main(["worksheet", spec, "--format", "html", "-o", str(target)]) == 0
    page_text = target.read_text()
    page = Page()
    page.feed(page_text)
    assert not page.stack and not page.remote and "table" in page.tags
    asked = page.classes.count("asked")
    assert asked > 40 and page_text.count("<li>") >= asked  # every blank cell has its key
    assert "conv_arithmetic relationship" in page_text and 'id="key-v01"' in page_text
    assert main(["worksheet", spec, "--format", "html", "-o", str(target)]) == 2
    assert "exists" in capsys.readouterr().err


def test_spec_sheet_in_moodle_and_qti():
    from rfcalc.teach.worksheet.from_spec import spec_sheet

    sheet = spec_sheet("cifar10_walkthrough", "shape,params,rf", None, 2, None)
    _, questions = _moodle_questions(render_moodle_xml(sheet))
    ((_, question),) = questions
    parts = CLOZE_PART.findall(question.find("questiontext/text").text) + re.findall(
        r"\{1:SHORTANSWER:=([^}]*)\}", question.find("questiontext/text").text)
    assert len(parts) == len(sheet.exercises[0].blanks)
    package = zipfile.ZipFile(io.BytesIO(render_qti(sheet)))
    assert any(b"short_answer_question" in package.read(n) for n in package.namelist())
    assert render_gift(sheet).count("\n::") + 1 >= len(sheet.exercises[0].blanks)


@pytest.mark.parametrize("args,message", [
    (["cifar10_walkthrough", "--ask", "nope"], "--ask 'nope'"),
    (["cifar10_walkthrough", "--layers", "zzz"], "matches no layer"),
    (["cifar10_walkthrough", "--random"], "not both"),
    (["--random", "--ask", "shape"], "from a SPEC"),
])
def test_spec_sheet_errors(args, message, capsys):
    assert main(["worksheet", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
