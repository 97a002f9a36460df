"""`rfcalc check`: keep architectures within budgets (params, MACs, FLOPs, memory, RF, output shape).

Budgets come from three places, merged key by key (a later one overrides an earlier one):
1. the spec's own `budgets:` section;
2. a budget file (`--budget FILE`): the same mapping, at the top level or under `budgets:`, so one
   file can govern several specs;
3. command-line flags (`--max-params 5M`, ...).

The budget keys (the flags are the same names with dashes):

    max_params, max_trainable_params, max_macs, max_flops    counts: 5M, 1.2G, 25_557_032
    max_activation_memory, max_peak_memory, max_param_memory  bytes: 100MiB, 1GB, 2048
    min_rf, max_rf            receptive field of the last layer: 200 (every axis), 200x180 or [200, 180]
    output_shape              exact output shape, channels first: 1000, 2x256x256 or [2, 256, 256]
    no_warnings               true: the analysis must give no warning (dropped pixels, gridding, ...)
    profile                   counting profile for MACs/FLOPs (see rfcalc/profiles.py); not a check

Exit codes (ruff's convention): 0 every budget holds, 1 a budget is exceeded, 2 an invalid spec,
budget or command line. `--exit-zero` turns 1 into 0 (report-only runs).
"""
from __future__ import annotations

import difflib
import glob
import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import click

from .commands import load_specs, make_console, spec_options
from .errors import EXIT_BAD_INPUT, Location, RfcalcError, SpecError, UsageError
from .profiles import DEFAULT_PROFILE, PROFILE_NAMES
from .units import MAX_QUANTITY, format_bytes, format_count, parse_bytes, parse_count, parse_size

EXIT_EXCEEDED = 1
ANNOTATION_CAP = 10  # GitHub shows at most 10 annotations of each type per step


# --- budget kinds --------------------------------------------------------------------------------

def _parse_axes(value: Any) -> tuple[int, ...]:
    """200, '200x180', '200,180' or [200, 180] -> positive ints (at most 2**63 each)."""
    expected = f"expected a size like 200, 200x180 or [200, 180]; got {value!r}"
    if isinstance(value, bool):
        raise ValueError(expected)
    if isinstance(value, int):
        parts = [value]
    elif isinstance(value, str):
        # The text form is --input-size's (cli.parse_size); its message names --input-size, so it is
        # replaced by one that fits a budget.
        try:
            parts = parse_size(value)
        except UsageError:
            raise ValueError(f"expected positive sizes like 200 or 200x180; got {value!r}") from None
    elif isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        parts = list(value)
    else:
        raise ValueError(expected)
    if min(parts) < 1:
        raise ValueError(f"sizes must be positive; got {value!r}")
    if max(parts) > MAX_QUANTITY:
        raise ValueError(f"sizes must be at most 2**63; got {max(parts)}")
    return tuple(parts)


def _parse_flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false; got {value!r}")
    return value


def _parse_profile(value: Any) -> str:
    if value not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {value!r}; profiles are: {', '.join(PROFILE_NAMES)}")
    return value


def _last_rf(report, pick: Callable) -> tuple[int, ...]:
    return tuple(pick(r) for r in report.layers[-1].rf) if report.layers else ()


def _axes_text(values) -> str:
    return "x".join(str(v) for v in values) if values else "-"


@dataclass(frozen=True)
class BudgetKind:
    """One kind of budget: how to read its limit, take the actual value and compare them."""

    key: str
    label: str
    direction: str  # "max", "min", "equal" or "none" (profile: a setting, not a check)
    parse: Callable[[Any], Any]
    actual: Optional[Callable[[Any], Any]] = None
    human: Callable[[Any], str] = str
    raw: Callable[[Any], Any] = lambda v: v


def _count_kind(key, label, attribute):
    return BudgetKind(key, label, "max", parse_count, lambda r: getattr(r.totals, attribute), format_count)


def _bytes_kind(key, label, attribute):
    return BudgetKind(key, label, "max", parse_bytes, lambda r: getattr(r.totals, attribute), format_bytes)


KINDS: dict[str, BudgetKind] = {k.key: k for k in (
    _count_kind("max_params", "params", "params"),
    _count_kind("max_trainable_params", "trainable params", "trainable_params"),
    _count_kind("max_macs", "MACs", "macs"),
    _count_kind("max_flops", "FLOPs", "flops"),
    _bytes_kind("max_activation_memory", "activation memory", "activation_bytes"),
    _bytes_kind("max_peak_memory", "peak memory", "peak_activation_bytes"),
    _bytes_kind("max_param_memory", "param memory", "param_bytes"),
    BudgetKind("min_rf", "RF (min)", "min", _parse_axes, lambda r: _last_rf(r, lambda a: a.size_min),
               _axes_text, list),
    BudgetKind("max_rf", "RF (max)", "max", _parse_axes, lambda r: _last_rf(r, lambda a: a.size_max),
               _axes_text, list),
    BudgetKind("output_shape", "output shape", "equal", _parse_axes,
               lambda r: tuple(r.layers[-1].output_shape) if r.layers else (), _axes_text, list),
    BudgetKind("no_warnings", "warnings", "max", _parse_flag, lambda r: len(r.all_warnings()),
               lambda v: str(v)),
    BudgetKind("profile", "profile", "none", _parse_profile),
)}


@dataclass(frozen=True)
class Budget:
    """One limit, where it came from (spec / file / flag) and its place in a YAML file."""

    key: str
    limit: Any
    source: str
    location: Optional[Location] = None

    @property
    def kind(self) -> BudgetKind:
        """The kind of budget."""
        return KINDS[self.key]

    def limit_text(self) -> str:
        """The limit for humans."""
        if self.key == "no_warnings":
            return "0"
        return self.kind.human(self.limit)


def _suggest(word: str) -> str:
    close = difflib.get_close_matches(word.replace("-", "_"), list(KINDS), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f" (budgets are: {', '.join(KINDS)})"


def parse_budgets(mapping: Any, source: str, where: Location) -> dict[str, Budget]:
    """Validate a budgets mapping (a SourceMap from YAML, or a dict of flag values) into Budgets."""
    from .yamlsource import location_of

    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise SpecError(f"budgets must be a mapping of budget: limit (e.g. max_params: 5M); got {mapping!r}",
                        location_of(mapping) or where)
    budgets = {}
    for key, value in mapping.items():
        at = location_of(mapping, (key,)) or where
        if key not in KINDS:
            raise SpecError(f"unknown budget '{key}'" + _suggest(str(key)), at)
        try:
            limit = KINDS[key].parse(value)
        except (ValueError, UsageError) as exc:
            raise SpecError(f"budget {key}: {exc}", at) from None
        if key == "no_warnings" and not limit:
            continue
        budgets[key] = Budget(key, limit, source, at if source != "flag" else None)
    return budgets


def load_budget_file(path: str) -> dict[str, Budget]:
    """Budgets from a YAML budget file: a mapping at the top level, or under `budgets:`."""
    from .yamlsource import load_yaml

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read the budget file: {exc}", Location(path)) from None
    raw = load_yaml(text, path)
    if isinstance(raw, dict) and set(raw) == {"budgets"}:
        raw = raw["budgets"]
    return parse_budgets(raw, "file", Location(path, 1, 1))


def spec_budgets(spec) -> dict[str, Budget]:
    """Budgets from the spec's own `budgets:` section, with their lines in the spec file."""
    raw = spec.raw.get("budgets") if isinstance(spec.raw, dict) else spec.budgets
    return parse_budgets(raw, "spec", Location(spec.source))


# --- checking ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    """One budget checked against one spec."""

    budget: Budget
    actual: Any
    passed: bool
    margin: Optional[float]  # percent of the limit left (negative: exceeded); None when not a number

    @property
    def message(self) -> str:
        """One line saying what happened."""
        kind, budget = self.budget.kind, self.budget
        actual = kind.human(self.actual)
        if self.passed and budget.key == "no_warnings":
            return "no warnings"
        if self.passed:
            return f"{kind.label} {actual} within {budget.key} {budget.limit_text()}"
        if budget.key == "no_warnings":
            return f"{self.actual} warning(s) where no_warnings demands none"
        if kind.direction == "equal":
            return f"output shape {actual} is not the required {budget.limit_text()}"
        word = "exceeds" if kind.direction == "max" else "is below"
        margin = f" ({self.margin:+.1f}%)" if self.margin is not None else ""
        return f"{kind.label} {actual} {word} {budget.key} {budget.limit_text()}{margin}"


def _expand_axes(limit: tuple[int, ...], actual: tuple[int, ...], budget: Budget) -> tuple[int, ...]:
    if len(limit) == 1:
        return limit * len(actual)
    if len(limit) != len(actual):
        raise SpecError(f"budget {budget.key} gives {len(limit)} sizes; the network has {len(actual)} "
                        f"spatial axes", budget.location or Location())
    return limit


def _margin(limit: int, actual: int, direction: str) -> Optional[float]:
    if limit == 0:
        return None
    # int / int: Python divides exactly and rounds once, so no operand is converted to float first.
    return 100 * ((limit - actual) if direction == "max" else (actual - limit)) / limit


def check_budget(budget: Budget, report) -> Check:
    """Compare one budget with a report."""
    kind = budget.kind
    actual = kind.actual(report)
    if budget.key == "no_warnings":
        return Check(budget, actual, actual == 0, None)
    if kind.direction == "equal":
        return Check(budget, actual, tuple(actual) == tuple(budget.limit), None)
    if budget.key in ("min_rf", "max_rf"):
        limit = _expand_axes(budget.limit, actual, budget)
        margins = [_margin(lim, act, kind.direction) for lim, act in zip(limit, actual)]
        ok = all((act >= lim) if kind.direction == "min" else (act <= lim) for lim, act in zip(limit, actual))
        return Check(budget, actual, ok, min((m for m in margins if m is not None), default=None))
    ok = actual <= budget.limit
    return Check(budget, actual, ok, _margin(budget.limit, actual, "max"))


@dataclass
class SpecResult:
    """The checks of one spec, or the error that kept it from being checked."""

    source: str
    name: str
    profile: str = DEFAULT_PROFILE
    checks: list[Check] = field(default_factory=list)
    error: Optional[str] = None
    error_location: Optional[Location] = None
    warnings: list[tuple[str, Optional[Location]]] = field(default_factory=list)

    @property
    def status(self) -> str:
        """'error', 'fail' or 'pass'."""
        if self.error is not None:
            return "error"
        return "fail" if any(not c.passed for c in self.checks) else "pass"


def expand_sources(patterns) -> list[str]:
    """Spec arguments with globs expanded (a pattern matching nothing is a usage error)."""
    sources: list[str] = []
    for pattern in patterns:
        if any(ch in pattern for ch in "*?[") and not os.path.exists(pattern):
            matches = sorted(glob.glob(pattern, recursive=True))
            if not matches:
                raise UsageError(f"no file matches '{pattern}'")
            sources.extend(matches)
        else:
            sources.append(pattern)
    return list(dict.fromkeys(sources))


def check_spec(source: str, shared: dict[str, Budget], profile: Optional[str],
               overrides: tuple = (None, None, None)) -> SpecResult:
    """Load, analyze and check one spec against its own budgets merged with the shared ones."""
    from .profiles import analyze_profiled

    result = SpecResult(source, source)
    try:
        spec = load_specs([source], *overrides)[0]
        result.name = spec.name
        budgets = {**spec_budgets(spec), **shared}
        chosen = profile or (budgets["profile"].limit if "profile" in budgets else DEFAULT_PROFILE)
        result.profile = chosen
        report = analyze_profiled(spec, chosen)
        result.checks = [check_budget(b, report) for key, b in budgets.items() if key != "profile"]
        result.warnings = [(w, None) for w in report.warnings] + [
            (f"layer '{layer.name}': {w}", layer.location) for layer in report.layers for w in layer.warnings]
    except SpecError as exc:
        result.error, result.error_location = str(exc), exc.location
    except RfcalcError as exc:
        result.error = str(exc)
    return result


# --- output --------------------------------------------------------------------------------------

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


def render_table(results: list[SpecResult], console) -> None:
    """A rich table per spec: budget, limit, actual, margin, result, source."""
    from rich.table import Table

    for result in results:
        if result.error is not None:
            console.print(f"{result.source}: invalid: {result.error}", style="red", markup=False, highlight=False)
            continue
        title = f"{result.name}  ({result.source})  profile {result.profile}"
        if not result.checks:
            console.print(f"{title}: no budgets", style="dim", markup=False, highlight=False)
            continue
        table = Table(title=title, title_justify="left", header_style="bold")
        for header, justify in (("budget", "left"), ("limit", "right"), ("actual", "right"),
                                ("margin", "right"), ("result", "left"), ("from", "left")):
            table.add_column(header, justify=justify, no_wrap=True)
        for check in result.checks:
            budget = check.budget
            margin = "-" if check.margin is None else f"{check.margin:+.1f}%"
            verdict = "[green]pass[/]" if check.passed else "[bold red]FAIL[/]"
            where = budget.source if budget.location is None or budget.location.line is None else \
                f"{budget.source} (line {budget.location.line})"
            table.add_row(budget.key, budget.limit_text(), budget.kind.human(check.actual), margin, verdict, where)
        console.print(table)


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
                "budget": c.budget.key, "limit": c.budget.kind.raw(c.budget.limit) if c.budget.key != "no_warnings" else 0,
                "actual": c.budget.kind.raw(c.actual), "margin_percent": c.margin, "passed": c.passed,
                "message": c.message, "source": c.budget.source,
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
            case = ET.SubElement(suite, "testcase", classname=f"rfcalc.{r.name}", name=budget.key,
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
                               f"rfcalc budget {check.budget.key}"))
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


# --- the command ---------------------------------------------------------------------------------

_FLAG_KEYS = ("max_params", "max_trainable_params", "max_macs", "max_flops", "max_activation_memory",
              "max_peak_memory", "max_param_memory", "min_rf", "max_rf", "output_shape")


def _budget_flags(func):
    helps = {
        "max_params": "Most parameters, e.g. 5M or 25_557_032.",
        "max_trainable_params": "Most trainable parameters.",
        "max_macs": "Most multiply-accumulates, e.g. 4.2G.",
        "max_flops": "Most FLOPs, e.g. 9G.",
        "max_activation_memory": "Most activation memory (sum of all outputs), e.g. 200MiB.",
        "max_peak_memory": "Most live activation memory at once (inference), e.g. 50MiB.",
        "max_param_memory": "Most parameter + buffer memory, e.g. 100MB.",
        "min_rf": "Smallest receptive field of the last layer: 200 (all axes) or 200x180.",
        "max_rf": "Largest receptive field of the last layer: 500 or 500x400.",
        "output_shape": "Exact output shape, channels first: 1000 or 2x256x256.",
    }
    for key in reversed(_FLAG_KEYS):
        func = click.option("--" + key.replace("_", "-"), key, metavar="LIMIT", help=helps[key])(func)
    return func


@click.command()
@click.argument("specs", nargs=-1, required=True)
@spec_options
@click.option("--budget", "budget_file", type=click.Path(dir_okay=False),
              help="YAML budget file applied to every spec (overrides the specs' own budgets).")
@_budget_flags
@click.option("--no-warnings", "no_warnings", is_flag=True, help="Fail when the analysis gives any warning.")
@click.option("--profile", type=click.Choice(PROFILE_NAMES), default=None,
              help="Counting profile for MACs/FLOPs (default: the budget's `profile:`, else rfcalc).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--junit-xml", "junit_path", type=click.Path(dir_okay=False),
              help="Also write JUnit XML (a test case per spec and budget) to this file.")
@click.option("--github-annotations/--no-github-annotations", "github", default=None,
              help="Print GitHub Actions ::error/::warning annotations (default: when GITHUB_ACTIONS=true "
                   "and the format is table).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when budgets are exceeded (report only).")
def check(specs, input_size, batch, dtype, budget_file, no_warnings, profile, fmt, junit_path, github,
          exit_zero, **flags):
    """Check SPECS (paths, globs, bundled names) against budgets: exit 0 pass, 1 exceeded, 2 invalid."""
    shared: dict[str, Budget] = {}
    if budget_file:
        shared.update(load_budget_file(budget_file))
    given = {key: value for key, value in flags.items() if value is not None}
    if no_warnings:
        given["no_warnings"] = True
    for key, value in given.items():
        try:
            shared[key] = Budget(key, KINDS[key].parse(value), "flag")
        except (ValueError, UsageError) as exc:
            raise UsageError(f"--{key.replace('_', '-')}: {exc}") from None
    results = [check_spec(source, shared, profile, (input_size, batch, dtype))
               for source in expand_sources(specs)]

    if github is None:
        github = os.environ.get("GITHUB_ACTIONS") == "true" and fmt == "table"
    if github:
        for line in annotations(results):
            click.echo(line)
    if fmt == "json":
        click.echo(json.dumps(results_to_dict(results), indent=2))
    else:
        console = make_console()
        render_table(results, console)
        console.print(summary_line(results), markup=False, highlight=False,
                      style="bold red" if any(r.status != "pass" for r in results) else "bold green")
    if junit_path:
        try:
            with open(junit_path, "w", encoding="utf-8") as handle:
                handle.write(junit_xml(results))
        except OSError as exc:
            raise UsageError(f"cannot write --junit-xml {junit_path}: {exc}") from None

    invalid = [r for r in results if r.status == "error"]
    if invalid:
        more = f" ({len(invalid) - 1} more invalid spec(s) above)" if len(invalid) > 1 else ""
        raise InvalidSpecs(f"{invalid[0].error}{more}")
    failed = [(r, c) for r in results for c in r.checks if not c.passed]
    if failed and not exit_zero:
        (first, check_), more = failed[0], len(failed) - 1
        raise BudgetExceeded(f"budget exceeded: {first.name}: {check_.message}"
                             + (f" (and {more} more)" if more else ""))


class BudgetExceeded(RfcalcError):
    """A spec exceeds a budget: exit code 1."""

    exit_code = EXIT_EXCEEDED


class InvalidSpecs(RfcalcError):
    """One or more specs could not be checked: exit code 2."""

    exit_code = EXIT_BAD_INPUT
