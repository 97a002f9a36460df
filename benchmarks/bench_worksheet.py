"""How fast `rfcalc worksheet --random` makes exercises with verified answers.

Generates N exercises over every topic (keys read from the analyzer, every network run in the numpy
backend and compared), in one process and with --jobs 2, and measures in the same run the baseline:
parsing and analyzing the same exercises' networks once, without drawing, keying, verifying or
rendering. Prints the absolute times, the time per exercise and the ratio to the baseline; and the
time to render the sheet as Markdown (which derives every worked solution with explain) and HTML.
Run: python benchmarks/bench_worksheet.py [--count 1000] [--seed 1]
"""
from __future__ import annotations

import argparse
import time

from rfcalc.analyzer import analyze
from rfcalc.gcpause import gc_paused
from rfcalc.spec import parse_spec
from rfcalc.teach.worksheet.generate import SheetOptions, generate
from rfcalc.teach.worksheet.html import render_html
from rfcalc.teach.worksheet.render import Sheet, render_markdown


def timed(function, *args):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def analyze_all(exercises) -> int:
    """The baseline: parse and analyze every network of the exercises once."""
    for exercise in exercises:
        for network in exercise.networks:
            analyze(parse_spec(network.yaml, source=network.name))
    return len(exercises)


@gc_paused
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    options = SheetOptions(seed=args.seed, count=args.count, choices=4)
    generate(SheetOptions(seed=args.seed + 1, count=15))  # warm imports and caches
    one, made = timed(generate, options, 1)
    two, again = timed(generate, options, 2)
    assert made == again, "--jobs 2 made other exercises"
    exercises = made[0]
    verified = sum(e.verified for e in exercises)
    baseline, _ = timed(analyze_all, exercises)
    sheet = Sheet("bench", "bench", (tuple(exercises),), verified == len(exercises))
    markdown, _ = timed(render_markdown, sheet)
    page, _ = timed(render_html, sheet)
    count = len(exercises)
    print(f"{count} exercises over every topic, seed {args.seed}, level 2, 4 choices; {verified} verified by the numpy backend")
    print(f"baseline: parse + analyze their networks once:  {baseline:6.2f} s  ({baseline / count * 1000:5.1f} ms each)")
    print(f"generate with verified keys, 1 process:         {one:6.2f} s  ({one / count * 1000:5.1f} ms each)  "
          f"{one / baseline:4.1f}x the baseline")
    print(f"generate with verified keys, --jobs 2:          {two:6.2f} s  ({two / count * 1000:5.1f} ms each)  "
          f"{two / baseline:4.1f}x the baseline")
    print(f"render Markdown (explain's worked solutions):   {markdown:6.2f} s")
    print(f"render HTML (explain's worked solutions):       {page:6.2f} s")


if __name__ == "__main__":
    main()
