"""Findings are typed values with stable codes: consumers select them by code, words are made only
when rendered, and the JSON carries them beside the warning strings."""
from __future__ import annotations

import json
import re

import rfcalc.findings as findings_module
from rfcalc.analyzer import analyze
from rfcalc.findings import (DroppedPixels, DroppedPixelsReadElsewhere, Finding, MisalignedMerge, Severity,
                             UnseenInput)
from rfcalc.sources import load_spec_source

from conftest import analyze_yaml, sequential


def _finding_classes() -> list[type[Finding]]:
    return [cls for cls in vars(findings_module).values()
            if isinstance(cls, type) and issubclass(cls, Finding) and cls is not Finding]


def test_codes_and_names_are_unique_and_documented():
    classes = _finding_classes()
    codes = [cls.code for cls in classes]
    slugs = [cls.slug for cls in classes]
    assert len(set(codes)) == len(codes) and len(set(slugs)) == len(slugs)
    table = findings_module.__doc__
    for cls in classes:
        assert re.fullmatch(r"RF\d{3}", cls.code), cls
        assert re.search(rf"{cls.code} {re.escape(cls.slug)} +{cls.severity.value} ", table), \
            f"{cls.__name__} ({cls.code} {cls.slug}) is missing from the table in rfcalc/findings.py"


def test_keras_mnist_findings_from_the_lecture_notes():
    # An 11x11 map pooled 2x2 at stride 2: (11 - 2) = 9 is odd, the last row/column is dropped; the
    # input rows 26 and 27 are then never seen (README's tour).
    report = analyze(load_spec_source("keras_mnist"))
    dropped = report.select(DroppedPixels.code)
    assert [(f.layer, f.axis, f.count, f.size, f.span, f.stride) for f in dropped] == [
        ("max_pooling2d_2", 0, 1, 11, 9, 2), ("max_pooling2d_2", 1, 1, 11, 9, 2)]
    unseen = report.select(UnseenInput.code)
    assert [(f.axis, f.unseen, f.size, f.indices) for f in unseen] == [(0, 2, 28, ((26, 27),)), (1, 2, 28, ((26, 27),))]
    assert all(f.severity is Severity.WARNING for f in dropped + unseen)
    assert report.findings == tuple(unseen)  # unseen pixels are about the network, not one layer


def test_a_dropped_pixel_another_reader_reads_is_a_note_naming_it():
    # ResNet's 1x1 stride-2 downsample skips the last column of an even map only with an odd size;
    # here a 1x1 stride-2 conv on 7 pixels reads 0, 2, 4, 6 and drops nothing, on 8 it drops pixel 7,
    # which the 3x3 stride-2 padded sibling reads.
    report = analyze_yaml("""
        input: {shape: [1, 8]}
        layers:
          - {name: main, type: conv1d, out_channels: 1, kernel_size: 3, stride: 2, padding: 1}
          - {name: skip, type: conv1d, out_channels: 1, kernel_size: 1, stride: 2, inputs: [input]}
          - {name: sum, type: add, inputs: [main, skip]}
        """)
    notes = report.select(DroppedPixelsReadElsewhere.code)
    assert [(f.layer, f.count, f.read_by) for f in notes] == [("skip", 1, "main")]
    assert not report.select(DroppedPixels.code)
    assert notes[0].message() == ("axis 0: the last 1 input pixel(s) of 8 are never read ((n + padding - kernel) "
                                  "= 7 is not a multiple of stride 2), but 'main' reads them")


def test_misaligned_merge_carries_the_offsets():
    # An unpadded 3-tap conv, then 2 pixels of padding before: output o reads conv o - 2, i.e. input
    # pixels o-2..o, centred at o - 0.5; the input branch's unit o is centred at o + 0.5: 1 pixel off.
    report = analyze_yaml(sequential([1, 9], "{name: c, type: conv1d, out_channels: 1, kernel_size: 3}",
                                     "{name: shifted, type: pad, padding: [[2, 0]]}",
                                     "{name: sum, type: add, inputs: [shifted, input]}"))
    (finding,) = report.select(MisalignedMerge.code)
    assert finding.layer == "sum" and finding.axis == 0 and not finding.jumps
    (offset,) = finding.offsets
    assert (offset.branch, offset.reference, offset.low, offset.high, offset.mean, offset.jump) == \
        ("input", "shifted", 1, 1, 1, 1)
    assert finding.message() == ("axis 0: misaligned branches: the RF centres of 'input' are off those of "
                                 "'shifted' by 1 pixels, j=1: a systematic offset (the centres never meet: "
                                 "the same shift at every position, or a range off zero), as a missing or "
                                 "asymmetric pad gives; the merged RF is their union")


def test_json_carries_findings_beside_the_warning_strings(run_cli):
    code, out, _ = run_cli("analyze", "keras_mnist", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [f["message"] for f in data["findings"] if f["severity"] == "warning"] == \
        [w.split(": ", 1)[1] for w in data["warnings"]]
    first = data["findings"][0]
    assert first == {"code": "RF102", "name": "unseen-input", "severity": "warning", "layer": "max_pooling2d_2",
                     "axis": 0, "message": "axis 0: 2 of 28 input pixels are never seen by any unit (indices 26-27)",
                     "numbers": {"unseen": 2, "size": 28, "indices": [[26, 27]]},
                     "location": "keras_mnist.yaml (bundled):24:5"}
    pool = next(layer for layer in data["layers"] if layer["name"] == "max_pooling2d_2")
    assert [f["code"] for f in pool["findings"]] == ["RF101", "RF101"]
