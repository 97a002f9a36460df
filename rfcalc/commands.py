"""What the commands share: the console, the spec input options and loading the specs they name."""
from __future__ import annotations

import sys

import click

from .dtypes import DTYPE_BYTES
from .units import parse_size


def make_console(stderr: bool = False):
    """A rich console: colour only on a terminal, NO_COLOR respected, wide when piped."""
    from rich.console import Console

    from .tables.output import piped_width

    class _Console(Console):
        def on_broken_pipe(self) -> None:  # rich exits 1; a reader that stops early is not an error
            raise BrokenPipeError

    stream = sys.stderr if stderr else sys.stdout
    return _Console(file=stream, width=None if stream.isatty() else piped_width(), highlight=False)


def wide_option(func):
    """--wide: tables keep every column whole instead of fitting the terminal."""
    return click.option("--wide", is_flag=True,
                        help="Keep every table column whole, however wide (default: fit the terminal, "
                             "dropping columns by priority).")(func)


def training_options(func):
    """--training, --optimizer and --grad-dtype: the memory of a training step besides the inference figures."""
    from .training import OPTIMIZER_STATES

    func = click.option("--grad-dtype", type=click.Choice(list(DTYPE_BYTES)),
                        help="Element type of the gradients for --training (default: the spec's dtype).")(func)
    func = click.option("--optimizer", type=click.Choice(list(OPTIMIZER_STATES)), default="adam", show_default=True,
                        help="Optimizer whose state --training counts: sgd 0, momentum 1, adam/adamw 2 tensors "
                             "per trainable parameter.")(func)
    return click.option("--training", is_flag=True,
                        help="Also report the memory of a training step: params, gradients, optimizer state and "
                             "the activations kept for backward, in one total.")(func)


def spec_options(func):
    """Options shared by every command that analyzes specs: input overrides."""
    func = click.option("--dtype", type=click.Choice(list(DTYPE_BYTES)),
                        help="Element type for memory figures (overrides the spec).")(func)
    func = click.option("--batch", type=click.IntRange(min=1), help="Batch size (overrides the spec).")(func)
    func = click.option("--input-size", "input_size",
                        help="Spatial input size, e.g. 512 or 512x384 (overrides the spec).")(func)
    return func


def profile_option(func, every: bool = False):
    """--profile: count MACs/FLOPs the way another tool does (see rfcalc/profiles); with `every`, also
    'all' (every profile side by side)."""
    from .profiles import DEFAULT_PROFILE, PROFILE_NAMES

    return click.option("--profile", type=click.Choice(PROFILE_NAMES + (("all",) if every else ())),
                        default=DEFAULT_PROFILE, show_default=True,
                        help="Counting conventions of MACs/FLOPs: rfcalc's own, or those of "
                             "torchvision, fvcore, ptflops, thop, calflops or torchinfo"
                             + ("; 'all': every profile side by side, with the rule behind each "
                                "difference (as rfcalc profiles)." if every else "."))(func)


def load_specs(sources, input_size=None, batch=None, dtype=None):
    """Load and override every spec named on the command line."""
    from .sources import load_spec_source

    overridden = input_size is not None or batch is not None or dtype is not None
    size = parse_size(input_size)
    return [load_spec_source(s, size).with_input(size, batch, dtype) if overridden
            else load_spec_source(s) for s in sources]
