"""The `rfcalc` command line. Errors become one message and an exit code here, and only here."""
from __future__ import annotations

import functools
import importlib
import sys

import click

from .commands import load_specs, make_console, profile_option, spec_options, training_options, wide_option
from .errors import RfcalcError, StrictWarningError, UsageError
from .gcpause import gc_paused
from .streams import OutputError, ReaderGone, guard_standard_streams, silence

# Subcommands living in their own modules, imported only when used (keeps `analyze` start-up fast).
LAZY_COMMANDS: dict[str, str] = {
    "check": "rfcalc.check.command:check",
    "diff": "rfcalc.diff:diff",
    "sizes": "rfcalc.sizes:sizes",
    "verify": "rfcalc.verify.command:verify",
    "erf": "rfcalc.verify.command:erf",
    "profiles": "rfcalc.profiles.table:profiles",
    "explain": "rfcalc.teach.command:explain",
    "draw": "rfcalc.draw.command:draw",
    "worksheet": "rfcalc.teach.worksheet.command:worksheet",
}


class LazyGroup(click.Group):
    """A click group that imports LAZY_COMMANDS on demand."""

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS))

    def get_command(self, ctx, name):
        if name in LAZY_COMMANDS:
            module, attribute = LAZY_COMMANDS[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rfcalc")
def cli():
    """Receptive field, shapes, parameters, MACs/FLOPs and memory of convolutional networks."""


@cli.command()
@click.argument("specs", nargs=-1, required=True)
@spec_options
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "markdown"]), default="table",
              show_default=True, help="Output format.")
@click.option("--columns", help="Comma-separated columns for table/csv/markdown (see README).")
@click.option("--strict", is_flag=True, help="Treat warnings (dropped pixels, gridding, ...) as errors.")
@functools.partial(profile_option, every=True)
@wide_option
@click.option("--depth", type=click.IntRange(min=1), metavar="N",
              help="Fold groups, blocks and repeats nested deeper than N into one row each (sums; the "
                   "group's output shape and RF).")
@click.option("--layers", "layer_pattern", metavar="REGEX", help="Show only the rows whose names match REGEX.")
@click.option("--summary", is_flag=True, help="Print only the totals (and warnings), not the layers.")
@training_options
@click.option("--compare", is_flag=True,
              help="After the per-spec tables, one table comparing the specs: params, MACs, FLOPs, memory, output "
                   "RF (CSV: only that table; JSON: {reports, comparison}).")
def analyze(specs, input_size, batch, dtype, fmt, columns, strict, profile, wide, depth, layer_pattern, summary,
            training, optimizer, grad_dtype, compare):
    """Analyze SPECS (paths, bundled names, or - for stdin): per-layer shapes, RF, params, costs."""
    from . import render
    from .columns import select_columns, with_local_rf
    from .fold import RowSelection
    from .profiles import analyze_profiled

    selected = select_columns(columns)
    selection = RowSelection.of(depth, layer_pattern)
    _check_row_options(fmt, selection, summary)
    if profile == "all":
        from .profiles.table import print_profiles

        if fmt == "csv" or compare:
            raise UsageError("--profile all prints a table, JSON or Markdown (not CSV), without --compare")
        print_profiles(load_specs(specs, input_size, batch, dtype), fmt, wide)
        return
    reports = [analyze_profiled(spec, profile) for spec in load_specs(specs, input_size, batch, dtype)]
    if training:
        from .training import with_training

        reports = [with_training(report, optimizer, grad_dtype) for report in reports]
    if columns is None:
        selected = with_local_rf(selected, reports)
    if compare:
        from . import compare as comparison
    if fmt == "json":
        click.echo(comparison.comparison_json(reports) if compare else render.render_json(reports))
    elif fmt == "csv":
        click.echo(comparison.comparison_csv(reports) if compare else render.render_csv(reports, selected, selection),
                   nl=False)
    elif fmt == "markdown":
        click.echo(render.render_markdown(reports, selected, selection, summary)
                   + ("\n" + comparison.comparison_markdown(reports) if compare else ""))
    else:
        from .report_table import print_report_table
        from .tables import Output

        output = Output()
        for report in reports:
            print_report_table(report, selected, output, wide, selection, summary)
        if compare:
            comparison.print_comparison(reports, output, wide)
    if strict:
        located = [(f.location, f.labelled()) for r in reports for layer in r.layers
                   for f in layer.findings if f.is_warning]
        located += [(r.source, f.text()) for r in reports for f in r.findings if f.is_warning]
        if located:
            where, first = located[0]
            more = f" (and {len(located) - 1} more warning(s))" if len(located) > 1 else ""
            raise StrictWarningError(f"{where}: --strict: {first}{more}")


def _check_row_options(fmt: str, selection, summary: bool) -> None:
    """--depth, --layers and --summary shape tables; JSON always lists every layer, CSV is rows only."""
    if fmt == "json" and (selection is not None or summary):
        raise UsageError("--depth, --layers and --summary shape the table, CSV and Markdown; the JSON always "
                         "lists every layer and the totals (select with jq: '.totals', '.layers[]')")
    if fmt == "csv" and summary:
        raise UsageError("--summary has no CSV form (CSV has one row per layer); use --format json and '.totals'")


@cli.command()
def zoo():
    """List the bundled specs (usable by name: rfcalc analyze resnet50)."""
    from rich.table import Table

    from .sources import bundled_specs, read_source
    from .spec import parse_spec

    table = Table("name", "input", "layers", "description", header_style="bold")
    for name in bundled_specs():
        spec = parse_spec(*read_source(name))
        description = (spec.description or "").strip().splitlines()
        table.add_row(name, "x".join(map(str, spec.input.shape)), str(len(spec.nodes)),
                      description[0] if description else "")
    make_console().print(table)


@cli.command()
@click.option("--budgets", is_flag=True, help="Print the JSON Schema of a budget file (rfcalc check --budget) "
                                              "instead.")
def schema(budgets):
    """Print the JSON Schema of the spec format (for editors' YAML language servers)."""
    import json

    if budgets:
        from .check.budgets import budget_file_json_schema as json_schema
    else:
        from .schema import spec_json_schema as json_schema

    click.echo(json.dumps(json_schema(), indent=2))


@cli.command()
@click.argument("layer_type", required=False)
def layers(layer_type):
    """List every layer type with its parameters and defaults (or one type in detail)."""
    from .schema import layer_table

    make_console().print(layer_table(layer_type))


@gc_paused
def main(argv=None) -> int:
    """Entry point: run the CLI, turning rfcalc errors into one message and an exit code. The cyclic
    garbage collector is paused meanwhile (see gcpause): a library caller's process keeps its own."""
    from .files import forget_inputs

    forget_inputs()
    try:
        returned = cli.main(args=argv, prog_name="rfcalc", standalone_mode=False)
        sys.stdout.flush()  # here, so that a failing last write is reported like any other
    except OutputError as exc:
        silence(exc.fd)
        return _say(f"rfcalc: error: {exc}", exc.exit_code)
    except RfcalcError as exc:
        return _say(f"rfcalc: error: {exc}", exc.exit_code)
    except click.exceptions.Abort:
        return _say("rfcalc: interrupted", 130)
    except click.UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        return _say(f"rfcalc: error: {exc.format_message()}{hint}", 2)
    except click.ClickException as exc:
        return _say(f"rfcalc: error: {exc.format_message()}", exc.exit_code)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        return _say("rfcalc: interrupted", 130)
    except ReaderGone as gone:  # the reader went away (e.g. `| head`): silence the final flush too
        silence(gone.fd)
        return 0
    except BrokenPipeError:  # the same, on a stream that streams.py does not guard
        silence(sys.stdout.fileno())
        return 0
    return returned if isinstance(returned, int) else 0


def _say(message: str, code: int) -> int:
    """Write a message to standard error and return `code`; when standard error fails too, `code` only."""
    try:
        click.echo(message, err=True)
    except (OutputError, ReaderGone) as exc:
        silence(exc.fd)
    except BrokenPipeError:
        silence(sys.stderr.fileno())
    return code


def entry_point():
    """Console-script entry: guard the standard streams (see streams.py), exit with main()'s code."""
    try:
        guard_standard_streams()
    except OutputError as exc:  # stdout or stderr closed: say so on the other one, if it is open
        try:
            print(f"rfcalc: error: {exc}", file=sys.stderr if sys.stderr is not None else sys.stdout)
        except OSError:
            pass  # neither stream works: the exit code says it
        sys.exit(exc.exit_code)
    sys.exit(main())
