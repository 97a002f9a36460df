"""`rfcalc worksheet`: generated exercises (--random) or a network's table with blanks (SPEC), with
answer keys read from the analyzer and checked by the numpy backend, in the formats courses use."""
from __future__ import annotations


import click

from ...errors import UsageError
from ...commands import spec_options
from ..command import emit, format_for, output_options

# Formats and the file extension each is recognised by.
WORKSHEET_FORMATS = {"markdown": ".md", "html": ".html", "moodle": ".xml", "gift": ".gift", "qti": ".zip",
                     "json": ".json"}
BINARY_FORMATS = ("qti",)


@click.command()
@click.argument("spec", required=False)
@spec_options
@click.option("--random", "random_", is_flag=True, help="Generate exercises over the lecture notes' topics.")
@click.option("--count", type=int, default=12, show_default=True, help="Exercises per sheet (--random).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed: the same seed gives byte-identical output.")
@click.option("--topics", help="Comma-separated topics (names or codes T1..T15; default all; see --list-topics).")
@click.option("--level", type=int, default=2, show_default=True, help="Difficulty 1 (plain) to 3 (dilation, "
                                                                       "groups, reverse problems).")
@click.option("--variants", type=int, default=1, show_default=True,
              help="Versions of the sheet (one per student), ids T3-s42-v07.")
@click.option("--choices", type=int, default=0, help="Multiple choice with this many options (distractors from "
                                                     "real misconceptions); default fill in the blanks.")
@click.option("--verify/--no-verify", "verify", default=None,
              help="Run every exercise's network in the numpy backend and refuse a key that disagrees "
                   "(default: every exercise small enough; --verify refuses one too large).")
@click.option("--id", "ident", help="Regenerate one exercise from its id (as printed on any copy).")
@click.option("--jobs", type=click.IntRange(1, 16), default=1, show_default=True,
              help="Processes generating exercises (the output does not depend on it).")
@click.option("--list-topics", is_flag=True, help="List the topics and exit.")
@click.option("--ask", "ask", help="From a SPEC: the columns to blank (shape,params,rf,jump,macs,memory).")
@click.option("--layers", "layers", metavar="REGEX", help="From a SPEC: only the rows whose names match.")
@click.option("--format", "fmt", type=click.Choice(list(WORKSHEET_FORMATS)),
              help="markdown, html (printable, self-contained), moodle (Moodle XML), gift, qti (Canvas QTI "
                   "1.2 zip) or json (the answer key); by default from the -o file's extension, else markdown.")
@output_options
def worksheet(spec, input_size, batch, dtype, random_, count, seed, topics, level, variants, choices, verify, ident, jobs, list_topics, ask,
              layers, fmt, output, force):
    """Worksheets with verified answer keys: generated exercises (--random) over every topic of the
    lecture notes, or the network of SPEC as a table with chosen cells blanked."""
    from .generate import SheetOptions, generate, parse_topics, regenerate
    from .render import Sheet

    if list_topics:
        from .topics import TOPICS

        click.echo("\n".join(f"{t.code:4} {t.name:13} {t.title}" for t in TOPICS))
        return
    chosen = format_for(fmt, output, WORKSHEET_FORMATS, "markdown")
    if chosen in BINARY_FORMATS and output is None:
        raise UsageError(f"--format {chosen} writes a zip package; give -o FILE.zip")
    if output:
        from ...files import check_output

        check_output(output, force)
    if spec is None and (input_size or batch or dtype or ask or layers):
        raise UsageError("--input-size, --batch, --dtype, --ask and --layers shape a worksheet from a SPEC")
    if spec is not None:
        if random_ or ident:
            raise UsageError("give a SPEC or --random/--id, not both")
        from .from_spec import spec_sheet

        sheet = spec_sheet(spec, ask, layers, level, verify, input_size, batch, dtype)
    elif ident:
        exercise = regenerate(ident, level, choices, verify)
        sheet = Sheet(f"Exercise {ident}", f"level {level}", ((exercise,),), exercise.verified)
    elif random_:
        options = SheetOptions(seed, count, parse_topics(topics), level, variants, choices, verify)
        made = generate(options, jobs)
        sheet = Sheet("CNN arithmetic worksheet",
                      f"seed {seed}, level {level}, {count} exercise{'s' if count != 1 else ''}"
                      + (f", {variants} variants" if variants > 1 else "")
                      + (f", {choices} choices" if choices else ""),
                      tuple(tuple(v) for v in made), all(e.verified for v in made for e in v))
    else:
        raise UsageError("give a SPEC (its network as a table with blanks) or --random (generated exercises)")
    emit(render_sheet(sheet, chosen), output, force)


def render_sheet(sheet, fmt: str):
    """The sheet in one of WORKSHEET_FORMATS (text, or bytes for a package)."""
    from . import render

    if fmt == "json":
        return render.render_json(sheet)
    if fmt == "html":
        from .html import render_html

        return render_html(sheet)
    if fmt == "moodle":
        from .lms import render_moodle_xml

        return render_moodle_xml(sheet)
    if fmt == "gift":
        from .lms import render_gift

        return render_gift(sheet)
    if fmt == "qti":
        from .qti import render_qti

        return render_qti(sheet)
    return render.render_markdown(sheet)

