"""The command lines whose output must stay byte-identical while the code is refactored (issue 7).

`tests/test_golden.py` compares the SHA-256 of each output with `tests/golden/digests.json`. Timings
(verify's seconds) are masked first; nothing else is. To see what changed, write every output of two
checkouts and diff them:

    python tests/golden_outputs.py --write /tmp/new      # in each checkout
    diff -r /tmp/old /tmp/new

and, once a change is intended and understood, `python tests/golden_outputs.py --update`.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIGESTS = Path(__file__).resolve().parent / "golden" / "digests.json"
PROFILES = ("torchvision", "fvcore", "ptflops", "thop", "calflops", "torchinfo")
ALL_COLUMNS = "index,name,type,inputs,output,rf,jump,start,padding,support,params,macs,flops,memory,warnings"
BUDGET_FLAGS = ("--max-params", "5M", "--max-macs", "2G", "--max-peak-memory", "20MiB", "--min-rf", "100",
                "--max-rf", "400", "--no-warnings")
_TIMINGS = re.compile(r"(forward|fields)\s+\d+\.\d+ s|\"(seconds|forward_seconds|rf_seconds)\": [0-9.e-]+")


def bundled() -> list[str]:
    """Names of the bundled specs."""
    return sorted(p.stem for p in (ROOT / "specs").glob("*.yaml"))


def commands() -> dict[str, list[str]]:
    """Output name -> rfcalc arguments."""
    runs: dict[str, list[str]] = {}
    for name in bundled():
        runs[f"analyze-{name}.txt"] = ["analyze", name]
        runs[f"analyze-{name}.json"] = ["analyze", name, "--format", "json"]
        runs[f"analyze-{name}.csv"] = ["analyze", name, "--format", "csv", "--columns", ALL_COLUMNS]
        runs[f"analyze-{name}.md"] = ["analyze", name, "--format", "markdown"]
        runs[f"analyze-{name}-strict.txt"] = ["analyze", name, "--format", "csv", "--strict"]
        for profile in PROFILES:
            runs[f"analyze-{name}-{profile}.json"] = ["analyze", name, "--format", "json", "--profile", profile]
        runs[f"analyze-{name}-torchinfo.txt"] = ["analyze", name, "--profile", "torchinfo"]
        runs[f"verify-{name}.txt"] = ["verify", name]
        runs[f"verify-{name}.json"] = ["verify", name, "--format", "json"]
    everything = bundled()
    runs["check-all.txt"] = ["check", *everything, *BUDGET_FLAGS]
    runs["check-all.json"] = ["check", *everything, *BUDGET_FLAGS, "--format", "json"]
    runs["check-all-annotations.txt"] = ["check", *everything, *BUDGET_FLAGS, "--github-annotations"]
    runs["check-profile.txt"] = ["check", "resnet50", "mobilenet_v2", "--max-macs", "300M", "--profile", "fvcore"]
    runs["diff-resnet18-resnet50.txt"] = ["diff", "resnet18", "resnet50"]
    runs["diff-resnet18-resnet50.json"] = ["diff", "resnet18", "resnet50", "--format", "json"]
    runs["sizes-unet.json"] = ["sizes", "unet", "--range", "60:200", "--format", "json"]
    runs["sizes-keras_mnist.txt"] = ["sizes", "keras_mnist", "--range", "20:40", "--all"]
    return runs


def columns(name: str) -> str:
    """The terminal width an output is rendered at: 200, and 1000 for verify's tables, whose summary
    line holds timings (a longer time must not move a line break)."""
    return "1000" if name.startswith("verify-") and name.endswith(".txt") else "200"


def run(args: list[str], width: str = "200") -> str:
    """Exit code, stdout and stderr of one in-process run at `width` columns, timings masked."""
    from rfcalc.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = width
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        if saved is None:
            os.environ.pop("COLUMNS")
        else:
            os.environ["COLUMNS"] = saved
    text = f"exit {code}\n--- stdout\n{out.getvalue()}--- stderr\n{err.getvalue()}"
    return _TIMINGS.sub(lambda m: m.group(0).split()[0] + " <time>", text)


def digest(text: str) -> str:
    """SHA-256 of an output."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="DIR", help="write every output into DIR")
    parser.add_argument("--update", action="store_true", help="rewrite tests/golden/digests.json")
    options = parser.parse_args()
    os.environ.pop("GITHUB_ACTIONS", None)
    digests = {}
    for name, args in commands().items():
        text = run(args, columns(name))
        digests[name] = digest(text)
        if options.write:
            Path(options.write).mkdir(parents=True, exist_ok=True)
            (Path(options.write) / name).write_text(text, encoding="utf-8")
    if options.update:
        DIGESTS.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(digests)} outputs")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
