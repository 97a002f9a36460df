"""The `rfcalc check` command: budgets from every source, the specs checked, outputs and exit code."""
from __future__ import annotations

import json
import os

import click

from ..cli import make_console, spec_options
from ..errors import EXIT_BAD_INPUT, RfcalcError, UsageError
from ..profiles import PROFILE_NAMES
from .budgets import KINDS, Budget, load_budget_file
from .outputs import annotations, junit_xml, print_budget_table, results_to_dict, summary_line
from .results import check_spec, expand_sources

EXIT_EXCEEDED = 1


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
        print_budget_table(results, console)
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
