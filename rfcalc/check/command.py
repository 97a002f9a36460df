"""The `rfcalc check` command: budgets from every source, the specs checked, outputs and exit code."""
from __future__ import annotations

import json
import os

import click

from ..commands import spec_options, wide_option
from ..errors import EXIT_BAD_INPUT, RfcalcError, UsageError
from ..files import check_output, write_output
from ..tables import Output
from .budgets import Budgets, budget_rule
from .outputs import annotations, is_junit_report, junit_xml, print_budget_table, results_to_dict, summary_line
from .results import check_spec, expand_sources
from .sources import file_budgets, flag_budgets, merge_budgets

EXIT_EXCEEDED = 1


def budget_options(func):
    """One option per Budgets field, named after it (--max-params), with the field's description as help."""
    for name, field in reversed(Budgets.model_fields.items()):
        func = click.option("--" + name.replace("_", "-"), name, help=field.description,
                            **budget_rule(name).unit.option())(func)
    return func


@click.command()
@click.argument("specs", nargs=-1, required=True)
@spec_options
@click.option("--budget", "budget_file", type=click.Path(dir_okay=False),
              help="YAML budget file applied to every spec (overrides the specs' own budgets).")
@budget_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--junit-xml", "junit_path", type=click.Path(dir_okay=False),
              help="Also write JUnit XML (a test case per spec and budget) to this file, atomically; it "
                   "replaces an earlier rfcalc JUnit report, any other existing file needs --force.")
@click.option("--force", is_flag=True, help="Let --junit-xml overwrite an existing file of any kind.")
@click.option("--github-annotations/--no-github-annotations", "github", default=None,
              help="Print GitHub Actions ::error/::warning annotations (default: when GITHUB_ACTIONS=true "
                   "and the format is table).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when budgets are exceeded (report only).")
@click.option("--allow-no-budgets", is_flag=True,
              help="Pass when no spec has any budget (by default that is a usage error, exit 2).")
@wide_option
def check(specs, input_size, batch, dtype, budget_file, fmt, junit_path, force, github, exit_zero, allow_no_budgets,
          wide, **flags):
    """Check SPECS (paths, globs, bundled names) against budgets: exit 0 pass, 1 exceeded, 2 invalid."""
    replace_report = force or (junit_path is not None and is_junit_report(junit_path))
    if junit_path:
        check_output(junit_path, replace_report)
    shared = merge_budgets(file_budgets(budget_file) if budget_file else {}, flag_budgets(flags))
    results = [check_spec(source, shared, (input_size, batch, dtype)) for source in expand_sources(specs)]
    if not allow_no_budgets and not any(r.checks or r.status == "error" for r in results):
        raise UsageError("no budgets: give --budget, a budgets: section or flags (--max-params, --max-macs, ...); "
                         "or --allow-no-budgets to pass without any")

    if github is None:
        github = os.environ.get("GITHUB_ACTIONS") == "true" and fmt == "table"
    if github:
        for line in annotations(results):
            click.echo(line)
    if fmt == "json":
        click.echo(json.dumps(results_to_dict(results), indent=2))
    else:
        output = Output()
        print_budget_table(results, output, wide)
        output.say(summary_line(results), "bold red" if any(r.status != "pass" for r in results) else "bold green")
    if junit_path:
        write_output(junit_path, junit_xml(results), replace_report)

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
