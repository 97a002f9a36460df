"""A worksheet as a Canvas-importable QTI 1.2 package: a zip with imsmanifest.xml (an IMS content
package whose resource of type imsqti_xmlv1p2 is the assessment, with Canvas's assessment_meta.xml
as its dependency) and the assessment (questestinterop > assessment > section > item). Every blank
is one item: a numerical_question (exact, or a range for a rounded answer) or a
multiple_choice_question; the worked solution is the item's general feedback. The package is the
same bytes for the same worksheet (fixed identifiers and zip timestamps)."""
from __future__ import annotations

import hashlib
import html
import io
import xml.etree.ElementTree as ET
import zipfile
from fractions import Fraction

from .html import exercise_body
from .lms import answer_text, feedback_html
from .model import Blank, Exercise
from .render import Sheet, render_json, tolerance

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CANVAS_NS = "http://canvas.instructure.com/xsd/cccv1p0"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _metadata(parent: ET.Element, fields: dict[str, str]) -> None:
    meta = ET.SubElement(parent, "qtimetadata")
    for label, entry in fields.items():
        field = ET.SubElement(meta, "qtimetadatafield")
        ET.SubElement(field, "fieldlabel").text = label
        ET.SubElement(field, "fieldentry").text = entry


def _mattext(parent: ET.Element, html_text: str) -> None:
    material = ET.SubElement(parent, "material")
    ET.SubElement(material, "mattext", {"texttype": "text/html"}).text = html_text


def item(exercise: Exercise, part: int, blank: Blank, feedback: str) -> ET.Element:
    """One blank as a Canvas item."""
    choice = bool(blank.choices or blank.words)
    words = isinstance(blank.answer, str) and not choice
    element = ET.Element("item", {"ident": f"{exercise.id.replace('.', '_')}_{part}",
                                  "title": f"{exercise.id} ({part}/{len(exercise.blanks)}) {blank.label}"})
    _metadata(ET.SubElement(element, "itemmetadata"), {
        "question_type": ("multiple_choice_question" if choice else "short_answer_question" if words
                          else "numerical_question"),
        "points_possible": "1.0"})
    presentation = ET.SubElement(element, "presentation")
    _mattext(presentation, exercise_body(exercise) + f"<p>{html.escape(blank.label)} = ?</p>")
    options = [(answer_text(c.value), c.correct) for c in blank.choices] or [(w, w == blank.answer)
                                                                             for w in blank.words]
    if choice:
        response = ET.SubElement(presentation, "response_lid", {"ident": "response1", "rcardinality": "Single"})
        render = ET.SubElement(response, "render_choice")
        for index, (text, _) in enumerate(options, start=1):
            label = ET.SubElement(render, "response_label", {"ident": f"choice{index}"})
            _mattext(label, text)
    else:
        response = ET.SubElement(presentation, "response_str", {"ident": "response1", "rcardinality": "Single"})
        ET.SubElement(ET.SubElement(response, "render_fib", {} if words else {"fibtype": "Decimal"}),
                      "response_label", {"ident": "answer1"})
    processing = ET.SubElement(element, "resprocessing")
    ET.SubElement(ET.SubElement(processing, "outcomes"), "decvar",
                  {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"})
    if feedback:
        general = ET.SubElement(processing, "respcondition", {"continue": "Yes"})
        ET.SubElement(ET.SubElement(general, "conditionvar"), "other")
        ET.SubElement(general, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "general_fb"})
    correct = ET.SubElement(processing, "respcondition", {"continue": "No"})
    condition = ET.SubElement(correct, "conditionvar")
    if choice:
        index = next(i for i, (_, right) in enumerate(options, start=1) if right)
        ET.SubElement(condition, "varequal", {"respident": "response1"}).text = f"choice{index}"
    elif words:
        ET.SubElement(condition, "varequal", {"respident": "response1"}).text = blank.answer
    else:
        _numeric_condition(condition, blank.answer)
    ET.SubElement(correct, "setvar", {"action": "Set", "varname": "SCORE"}).text = "100"
    if feedback:
        shown = ET.SubElement(element, "itemfeedback", {"ident": "general_fb"})
        _mattext(ET.SubElement(shown, "flow_mat"), feedback)
    return element


def _numeric_condition(condition: ET.Element, answer: Fraction) -> None:
    """The exact value, or (for a rounded answer) the range answer +- tolerance."""
    margin = tolerance(answer)
    if not margin:
        ET.SubElement(condition, "varequal", {"respident": "response1"}).text = answer_text(answer)
        return
    bounds = ET.SubElement(condition, "and")
    ET.SubElement(bounds, "vargte", {"respident": "response1"}).text = f"{float(answer) - margin:.6f}"
    ET.SubElement(bounds, "varlte", {"respident": "response1"}).text = f"{float(answer) + margin:.6f}"


def assessment_xml(sheet: Sheet, ident: str) -> str:
    """The QTI 1.2 assessment: one section, an item per blank."""
    root = ET.Element("questestinterop", {"xmlns": QTI_NS})
    assessment = ET.SubElement(root, "assessment", {"ident": ident, "title": sheet.title})
    _metadata(assessment, {"cc_maxattempts": "1"})
    section = ET.SubElement(assessment, "section", {"ident": "root_section"})
    for exercise in sheet.exercises:
        feedback = feedback_html(exercise)
        for part, blank in enumerate(exercise.blanks, start=1):
            section.append(item(exercise, part, blank, feedback if part == 1 else ""))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def meta_xml(sheet: Sheet, ident: str, points: int) -> str:
    """Canvas's assessment_meta.xml: the quiz's title, description, type and points."""
    root = ET.Element("quiz", {"identifier": ident, "xmlns": CANVAS_NS})
    for tag, text in (("title", sheet.title), ("description", sheet.made), ("shuffle_answers", "false"),
                      ("scoring_policy", "keep_highest"), ("quiz_type", "assignment"),
                      ("points_possible", f"{points:.1f}"), ("show_correct_answers", "true"),
                      ("allowed_attempts", "1"), ("available", "false")):
        ET.SubElement(root, tag).text = text
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def manifest_xml(ident: str) -> str:
    """imsmanifest.xml: the assessment resource and its Canvas metadata dependency."""
    root = ET.Element("manifest", {"identifier": f"{ident}_manifest", "xmlns": CP_NS})
    metadata = ET.SubElement(root, "metadata")
    ET.SubElement(metadata, "schema").text = "IMS Content"
    ET.SubElement(metadata, "schemaversion").text = "1.1.3"
    ET.SubElement(root, "organizations")
    resources = ET.SubElement(root, "resources")
    resource = ET.SubElement(resources, "resource", {"identifier": ident, "type": "imsqti_xmlv1p2"})
    ET.SubElement(resource, "file", {"href": f"{ident}/{ident}.xml"})
    ET.SubElement(resource, "dependency", {"identifierref": f"{ident}_meta"})
    meta = ET.SubElement(resources, "resource", {
        "identifier": f"{ident}_meta", "type": "associatedcontent/imscc_xmlv1p1/learning-application-resource",
        "href": f"{ident}/assessment_meta.xml"})
    ET.SubElement(meta, "file", {"href": f"{ident}/assessment_meta.xml"})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_qti(sheet: Sheet) -> bytes:
    """The zip package (bytes)."""
    ident = "rfcalc_" + hashlib.sha256(render_json(sheet).encode()).hexdigest()[:16]
    points = sum(len(e.blanks) for e in sheet.exercises)
    files = {"imsmanifest.xml": manifest_xml(ident), f"{ident}/{ident}.xml": assessment_xml(sheet, ident),
             f"{ident}/assessment_meta.xml": meta_xml(sheet, ident, points)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()
