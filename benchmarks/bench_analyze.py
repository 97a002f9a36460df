"""How fast `rfcalc analyze` is: start-up cost over the bare interpreter, and scaling with depth.

Prints, for `rfcalc analyze resnet50` (table and JSON), the median wall time of N runs, the median of
the bare interpreter (`python -c pass`) measured in the same run, and the difference; whether numpy
was imported; and the analysis time of generated sequential specs of 1,000 to 10,000 layers.
Run: python benchmarks/bench_analyze.py [--runs N]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time


def median_wall(command: list[str], runs: int) -> float:
    """Median wall time of running `command` `runs` times (output discarded)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def generated_spec(layers: int) -> str:
    """A sequential spec of `layers` layers: 3x3 convs, batch norms and ReLUs on a 3x224x224 input."""
    kinds = ["{type: conv2d, out_channels: 16, kernel_size: 3, padding: 1}", "{type: batchnorm2d}", "{type: relu}"]
    lines = ["input: {shape: [3, 224, 224]}", "layers:"]
    lines += [f"  - {kinds[i % 3]}" for i in range(layers)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    python = sys.executable
    bare = median_wall([python, "-c", "pass"], runs)
    table = median_wall([python, "-m", "rfcalc", "analyze", "resnet50"], runs)
    as_json = median_wall([python, "-m", "rfcalc", "analyze", "resnet50", "--format", "json"], runs)
    probe = subprocess.run([python, "-c", "import sys; from rfcalc.cli import main; main(['analyze', 'resnet50', "
                            "'--format', 'json']); print('numpy' in sys.modules, file=sys.stderr)"],
                           capture_output=True, text=True)
    print(f"bare interpreter (python -c pass):     {bare * 1000:7.1f} ms (median of {runs})")
    print(f"rfcalc analyze resnet50 (table):       {table * 1000:7.1f} ms   +{(table - bare) * 1000:.1f} ms")
    print(f"rfcalc analyze resnet50 --format json: {as_json * 1000:7.1f} ms   +{(as_json - bare) * 1000:.1f} ms")
    print(f"numpy imported on the analyze path:    {probe.stderr.strip().splitlines()[-1]}")

    from rfcalc.analyzer import analyze
    from rfcalc.gcpause import gc_paused
    from rfcalc.spec import parse_spec

    def timed(text: str) -> tuple[float, float]:
        start = time.perf_counter()
        spec = parse_spec(text, "generated.yaml")
        parsed = time.perf_counter()
        analyze(spec)
        return parsed - start, time.perf_counter() - parsed

    # The CLI runs with the cyclic collector paused (rfcalc.cli.main); a library call keeps the caller's.
    print("\nlayers   parse+expand   analyze   per layer   (as the CLI runs: collector paused)")
    for count in (1_000, 2_500, 5_000, 10_000):
        parse, analysis = gc_paused(timed)(generated_spec(count))
        print(f"{count:6d}   {parse:10.3f} s {analysis:8.3f} s   {(parse + analysis) / count * 1e6:6.1f} us")
    parse, analysis = timed(generated_spec(10_000))
    print(f" 10000   {parse:10.3f} s {analysis:8.3f} s   {(parse + analysis) / 10_000 * 1e6:6.1f} us"
          f"   (library call, collector running)")

if __name__ == "__main__":
    main()
