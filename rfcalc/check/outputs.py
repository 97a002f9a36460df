"""What `rfcalc check` prints and writes: tables, the JSON document, JUnit XML, GitHub annotations."""
from __future__ import annotations

import os
import stat
from typing import Optional

from ..errors import Location
from ..tables import MIDDLE, Output, Styled, TableColumn, fit, paragraph, table_lines
from .results import SpecResult

ANNOTATION_CAP = 10  # GitHub shows at most 10 annotations of each type per step


def summary_line(results: list[SpecResult]) -> str:
    """One line: how many specs and budgets, how many passed, exceeded, invalid."""
    checks = [c for r in results for c in r.checks]
    failed = sum(not c.passed for c in checks)
    errors = sum(r.status == "error" for r in results)
    parts = [f"{len(results)} spec(s), {len(checks)} budget(s): {len(checks) - failed} passed, {failed} exceeded"]
    if errors:
        parts.append(f"{errors} invalid spec(s)")
    verdict = "FAIL" if failed or errors else "OK"
    return f"{verdict}: " + "; ".join(parts)


# When a budget table is too wide, its columns go in this order; budget, actual and result always stay.
DROP_ORDER = ("from", "margin", "limit")


def _budget_columns(result: SpecResult) -> list[TableColumn]:
    """One spec's budget table: budget, limit, actual, margin, result, where the limit comes from."""
    checks = result.checks
    cells = {
        "budget": [c.budget.title for c in checks],
        "limit": [c.budget.limit_text() for c in checks],
        "actual": [c.actual_text() for c in checks],
        "margin": ["-" if c.margin is None else f"{c.margin:+.1f}%" for c in checks],
        "result": [Styled("pass", "green") if c.passed else Styled("FAIL", "bold red") for c in checks],
        "from": [c.budget.source if c.budget.location is None or c.budget.location.line is None else
                 f"{c.budget.source} (line {c.budget.location.line})" for c in checks],
    }
    return [TableColumn(key, key, column, right=key in ("limit", "actual", "margin"),
                        drop=DROP_ORDER.index(key) if key in DROP_ORDER else None,
                        shrink=MIDDLE if key == "from" else None, min_width=16)
            for key, column in cells.items()]


def print_budget_table(results: list[SpecResult], output: Output, wide: bool = False) -> None:
    """A table per spec (budget, limit, actual, margin, result, source) fitted to the output's width."""
    lines = []
    for result in results:
        if result.error is not None:
            lines += paragraph(f"{result.source}: invalid: {result.error}", output.width, "red", "  ")
            continue
        title = f"{result.name}  ({result.source})  profile {result.profile}"
        if not result.checks:
            lines += paragraph(f"{title}: no budgets", output.width, "dim")
            continue
        fitted = fit(_budget_columns(result), output.width, wide)
        lines += table_lines(fitted, title=title)
        footer = fitted.footer()
        lines += paragraph(footer, output.width, "dim") if footer else []
    output.lines(lines)


def results_to_dict(results: list[SpecResult]) -> dict:
    """The JSON document of `rfcalc check --format json`."""
    checks = [c for r in results for c in r.checks]
    return {
        "schema_version": 1,
        "passed": all(r.status == "pass" for r in results),
        "summary": {"specs": len(results), "budgets": len(checks),
                    "passed": sum(c.passed for c in checks), "exceeded": sum(not c.passed for c in checks),
                    "invalid_specs": sum(r.status == "error" for r in results)},
        "results": [{
            "spec": r.name, "source": r.source, "status": r.status, "profile": r.profile,
            "error": r.error, "error_location": str(r.error_location) if r.error_location else None,
            "checks": [{
                "budget": c.budget.name, **({"output": c.budget.output} if c.budget.output else {}),
                "limit": c.budget.limit_raw(), "actual": c.actual_raw(),
                "margin_percent": c.margin, "passed": c.passed, "message": c.message, "source": c.budget.source,
                "location": str(c.budget.location) if c.budget.location else None,
            } for c in r.checks],
        } for r in results],
    }


def junit_xml(results: list[SpecResult]) -> str:
    """JUnit XML: a test suite per spec, a test case per budget (an invalid spec: one erroring case)."""
    import xml.etree.ElementTree as ET

    checks = [c for r in results for c in r.checks]
    errors = sum(r.status == "error" for r in results)
    root = ET.Element("testsuites", name="rfcalc check", tests=str(len(checks) + errors),
                      failures=str(sum(not c.passed for c in checks)), errors=str(errors))
    for r in results:
        cases = r.checks if r.error is None else []
        suite = ET.SubElement(root, "testsuite", name=r.name, tests=str(len(cases) or int(r.error is not None)),
                              failures=str(sum(not c.passed for c in cases)),
                              errors=str(int(r.error is not None)), file=r.source)
        if r.error is not None:
            case = ET.SubElement(suite, "testcase", classname=f"rfcalc.{r.name}", name="analyze", file=r.source)
            ET.SubElement(case, "error", message=r.error, type="invalid spec").text = r.error
            continue
        for check in cases:
            budget = check.budget
            case = ET.SubElement(suite, "testcase", classname=f"rfcalc.{r.name}", name=budget.title,
                                 file=(budget.location.file if budget.location else r.source))
            if budget.location is not None and budget.location.line is not None:
                case.set("line", str(budget.location.line))
            if not check.passed:
                ET.SubElement(case, "failure", message=check.message, type="budget exceeded").text = (
                    f"{r.name}: {check.message} (limit from {budget.source}"
                    + (f", {budget.location}" if budget.location else "") + ")")
            else:
                ET.SubElement(case, "system-out").text = check.message
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


JUNIT_ROOT = '<testsuites name="rfcalc check"'


def is_junit_report(path: str) -> bool:
    """True when `path` is a regular file (not a link) holding a JUnit report of an earlier `rfcalc
    check`: its root element, within the first bytes, is the one junit_xml writes."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with open(path, "rb") as handle:
            head = handle.read(256)
    except OSError:
        return False
    return head.startswith(b"<?xml") and JUNIT_ROOT.encode() in head


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(kind: str, message: str, location: Optional[Location] = None, title: str = "rfcalc") -> str:
    """A GitHub Actions workflow command: ::error file=...,line=...,col=...,title=...::message."""
    props = []
    if location is not None and location.file and os.path.isfile(location.file):
        props.append(f"file={_escape_property(location.file)}")
        if location.line is not None:
            props.append(f"line={location.line}")
            if location.column is not None:
                props.append(f"col={location.column}")
    props.append(f"title={_escape_property(title)}")
    return f"::{kind} {','.join(props)}::{_escape_data(message)}"


def annotations(results: list[SpecResult], cap: int = ANNOTATION_CAP) -> list[str]:
    """Error annotations for exceeded budgets and invalid specs (at the budget's / error's line),
    warning annotations for the analyses' warnings; at most `cap` of each type, the rest summarised."""
    errors: list[tuple[str, Optional[Location], str]] = []
    warnings: list[tuple[str, Optional[Location], str]] = []
    for r in results:
        if r.error is not None:
            errors.append((f"{r.source}: invalid spec: {r.error}", r.error_location or Location(r.source),
                           "rfcalc: invalid spec"))
        for check in r.checks:
            if not check.passed:
                errors.append((f"{r.name}: {check.message}", check.budget.location or Location(r.source),
                               f"rfcalc budget {check.budget.title}"))
        for text, location in r.warnings:
            warnings.append((f"{r.name}: {text}", location or Location(r.source), "rfcalc warning"))
    lines = []
    for kind, items in (("error", errors), ("warning", warnings)):
        shown = items if len(items) <= cap else items[:cap - 1]
        lines.extend(annotation(kind, message, location, title) for message, location, title in shown)
        if len(items) > cap:
            rest = len(items) - len(shown)
            noun = "budget failures / invalid specs" if kind == "error" else "warnings"
            lines.append(annotation(kind, f"... and {rest} more {noun} (GitHub shows {cap} annotations "
                                          f"per type and step; the full list is in the log)",
                                    title=f"rfcalc: {rest} more"))
    return lines
