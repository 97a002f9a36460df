"""rfcalc worksheet: the lecture notes' worked examples as templates, generated exercises (well-posed,
seeded, varied), multiple choice from misconceptions, and keys checked by the numpy backend."""
from __future__ import annotations

import re
from fractions import Fraction

import pytest

from rfcalc.cli import main
from rfcalc.teach.worksheet import generate as gen
from rfcalc.teach.worksheet import model
from rfcalc.teach.worksheet.generate import (ID_PATTERN, KeyRefused, SheetOptions, generate, keyed_exercise,
                                             parse_topics, regenerate)
from rfcalc.teach.worksheet.render import Sheet, render_json, render_markdown
from rfcalc.teach.worksheet.topics import TOPICS, TOPIC_BY_NAME

EXAMPLES = [(topic, example) for topic in TOPICS for example in topic.examples]


@pytest.mark.parametrize("topic,example", EXAMPLES, ids=[f"{t.code}-{e.source[:40]}" for t, e in EXAMPLES])
def test_lecture_notes_examples_give_the_notes_figures(topic, example):
    exercise = keyed_exercise(topic, example.params, f"{topic.code}-example", SheetOptions())
    assert len(example.figures) == len(exercise.blanks)
    for blank, figure in zip(exercise.blanks, example.figures):
        if figure is not None:
            assert blank.answer == (figure if isinstance(figure, str) else Fraction(figure)), blank.label


def test_every_topic_has_a_lecture_notes_example_but_3d():
    assert [t.code for t in TOPICS if not t.examples] == ["T15"]


def test_the_published_pooling_mistake_is_a_distractor():
    # references/teaching.md: a course key says three 3x3 convs and a 2x2 pool give 14; the recurrence gives 8
    topic = TOPIC_BY_NAME["rf"]
    example = next(e for e in topic.examples if "pool" in e.source)
    exercise = keyed_exercise(topic, example.params, "T6-example", SheetOptions(choices=4))
    (blank,) = exercise.blanks
    assert blank.answer == 8
    wrong = {c.value: c.misconception for c in blank.choices if not c.correct}
    assert wrong[Fraction(14)].startswith("pooling doubles r")


def test_notes_edge_detector_figures():
    # seeds/003: a fully connected vertical edge detector on 224x224 needs more than 2.5e9 parameters and
    # 5e9 FLOPs (2 per multiply-add); the convolution 2 parameters
    topic = TOPIC_BY_NAME["conv-vs-fc"]
    example = next(e for e in topic.examples if e.params["mode"] == "edge")
    exercise = keyed_exercise(topic, example.params, "T5-example", SheetOptions())
    conv_params, fc_params, conv_macs, fc_macs = (b.answer for b in exercise.blanks)
    assert conv_params == 2 and fc_params > 2.5e9 and 2 * fc_macs > 5e9
    assert conv_macs == 224 * 223 * 2  # two multiply-accumulates per output pixel
    assert not exercise.verified  # 10 GB of weights: keyed by the analyzer alone, and said so


def _all_exercises(levels=(1, 2, 3), seeds=range(6), choices=4):
    for level in levels:
        for seed in seeds:
            yield from generate(SheetOptions(seed=seed, count=len(TOPICS), level=level, choices=choices))[0]


def test_hundreds_of_generated_keys_are_verified_by_the_numpy_backend():
    exercises = list(_all_exercises())
    assert len(exercises) == 3 * 6 * len(TOPICS)
    assert {e.code for e in exercises} == {t.code for t in TOPICS}
    assert all(e.verified for e in exercises), [e.id for e in exercises if not e.verified]


def test_a_key_the_backend_disagrees_with_is_refused(monkeypatch):
    monkeypatch.setitem(model.READERS, "params", lambda layer, axis: Fraction(layer.params + 1))
    with pytest.raises(KeyRefused, match="numpy backend measures"):
        generate(SheetOptions(seed=1, count=1, topics=("T4",)))


def test_a_key_too_large_to_run_is_refused_when_verify_is_demanded():
    topic = TOPIC_BY_NAME["conv-vs-fc"]
    example = next(e for e in topic.examples if e.params["mode"] == "edge")
    with pytest.raises(gen.UsageError, match="MiB"):
        keyed_exercise(topic, example.params, "T5-example", SheetOptions(verify=True))


def test_multiple_choice_options_are_distinct_and_never_the_answer():
    seen_choice = 0
    for exercise in _all_exercises(seeds=range(3), choices=4):
        for blank in exercise.blanks:
            if not blank.choices:
                continue
            seen_choice += 1
            values = [c.value for c in blank.choices]
            assert len(set(values)) == len(values)
            assert [c.value for c in blank.choices if c.correct] == [blank.answer]
            assert all(c.misconception for c in blank.choices if not c.correct)
            assert len(values) == (2 if blank.words else 4)
    assert seen_choice > 100


def test_draws_are_well_posed():
    for exercise in _all_exercises(seeds=range(4), choices=0):
        for blank in exercise.blanks:
            if blank.numeric and blank.label not in ("(W - F + 2P)/S + 1",) and "start" not in blank.label:
                assert blank.answer.denominator == 1 and blank.answer >= 0, (exercise.id, blank)
        if exercise.code == "T1":  # the output-size template draws only sizes that divide
            assert all(b.answer >= 2 for b in exercise.blanks if b.label in ("H_out", "W_out"))



def test_a_chain_statement_promises_only_what_it_asks():
    for level in (1, 2):
        for exercise in generate(SheetOptions(seed=3, count=3, topics=("T13",), level=level))[0]:
            asks_params = any(b.label.endswith(": parameters") for b in exercise.blanks)
            assert asks_params == (level > 1), exercise.id
            assert ("new parameters" in exercise.statement) == asks_params, exercise.statement

def test_same_seed_same_bytes_and_different_seeds_differ():
    def sheet(seed):
        made = generate(SheetOptions(seed=seed, count=12, choices=4))
        return Sheet("t", "m", tuple(tuple(v) for v in made), True)

    first, again, other = sheet(7), sheet(7), sheet(8)
    assert render_markdown(first) == render_markdown(again)
    assert render_json(first) == render_json(again)
    assert render_json(first) != render_json(other)


def test_variants_have_ids_and_differ():
    made = generate(SheetOptions(seed=42, count=4, variants=30))
    assert len(made) == 30
    ids = [e.id for variant in made for e in variant]
    assert ids[:4] == ["T1-s42-v01", "T2-s42-v01", "T3-s42-v01", "T4-s42-v01"]
    assert "T3-s42-v07" in ids and len(set(ids)) == len(ids)
    assert all(ID_PATTERN.match(i) for i in ids)
    statements = {e.statement for variant in made for e in variant if e.code == "T1"}
    assert len(statements) > 20  # 30 students, (nearly) 30 different versions


def test_an_id_regenerates_its_exercise():
    made = generate(SheetOptions(seed=42, count=17, variants=7, choices=4))
    for exercise in (made[6][2], made[3][16]):  # T3-s42-v07 and the second T2 of variant 4
        assert regenerate(exercise.id, choices=4) == exercise
    assert made[3][16].id == "T2.2-s42-v04"


def test_parallel_generation_gives_the_same_exercises():
    options = SheetOptions(seed=5, count=15)
    assert generate(options, jobs=2) == generate(options)


def test_topics_by_name_and_code():
    assert parse_topics("output-size,T6,rf") == ("T1", "T6")
    with pytest.raises(gen.UsageError, match="unknown topic 'nope'"):
        parse_topics("nope")


@pytest.mark.parametrize("args,message", [
    (["--count", "0"], "--count 0"), (["--level", "4"], "--level 4"), (["--choices", "9"], "--choices 9"),
    (["--variants", "201"], "--variants 201"), (["--topics", "x"], "unknown topic"),
])
def test_bad_options_are_one_line_errors(args, message, capsys):
    assert main(["worksheet", "--random", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_cli_markdown_file_refused_without_force(tmp_path, capsys):
    target = tmp_path / "ws.md"
    assert main(["worksheet", "--random", "--count", "12", "--seed", "7", "--format", "markdown", "-o",
                 str(target)]) == 0
    first = target.read_text()
    assert first.count("### ") == 24 and "# Answer key" in first
    assert re.search(r"`T1-s7-v01`", first)
    assert main(["worksheet", "--random", "--count", "12", "--seed", "7", "-o", str(target)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["worksheet", "--random", "--count", "12", "--seed", "7", "-o", str(target), "--force"]) == 0
    assert target.read_text() == first
