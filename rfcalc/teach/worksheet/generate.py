"""Generated exercises: a template's draw, its network analyzed (every key is read from the analyzer's
report), its misconceptions turned into distractors, its networks run in the numpy backend (a key
that disagrees is refused), and explain's derivations as the worked solution.

Ids: `T3-s42-v07` is topic T3, sheet seed 42, variant 7 (`T3.2-...` the sheet's second T3 exercise);
the exercise's random numbers come from its id and level alone, so any copy can be regenerated."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction
from random import Random
from typing import Iterable, Optional

from ...analyzer import analyze
from ...errors import RfcalcError, UsageError
from ...report import Report
from ...spec import Spec, parse_spec
from ..explain import explain_spec
from ..notation import DEFAULT_NOTATION
from .model import RF_QUANTITIES, Answer, Ask, Blank, Choice, Draft, Exercise, Reader
from .topics import TOPIC_BY_NAME, TOPICS, Params, Topic, network_yaml

MAX_DRAWS = 500  # draws of one exercise before its topic is declared unable to make one
MAX_COUNT = 2000  # exercises per sheet
MAX_VARIANTS = 200
MAX_CHOICES = 6
LEVELS = (1, 2, 3)
EXERCISE_MACS = 4_000_000  # a drawn exercise's networks stay at hand-exercise sizes (the notes' largest is 3.3M)
VERIFY_LIMIT = 64 << 20  # the numpy backend runs an exercise's network when its run needs at most this
ID_PATTERN = re.compile(r"^(T\d+)(?:\.(\d+))?-s(\d+)-v(\d+)$")


class Degenerate(Exception):
    """A draw that makes an ill-posed exercise (no unique answer, distractors that cannot differ)."""


class KeyRefused(RfcalcError):
    """The numpy backend disagrees with a key: the worksheet is not written (a bug, please report)."""

    exit_code = 1


@dataclass(frozen=True)
class SheetOptions:
    """What `rfcalc worksheet --random` was asked for."""

    seed: int = 0
    count: int = 12
    topics: tuple[str, ...] = tuple(t.code for t in TOPICS)  # topic codes
    level: int = 2
    variants: int = 1
    choices: int = 0  # 0: fill in the blanks
    verify: Optional[bool] = None  # None: verify every exercise small enough; True: all, or refuse


def parse_topics(text: Optional[str]) -> tuple[str, ...]:
    """The codes of --topics output-size,rf or T1,T6 (default: every topic)."""
    if not text:
        return tuple(t.code for t in TOPICS)
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in TOPIC_BY_NAME]
    if unknown or not names:
        listing = ", ".join(f"{t.code} {t.name}" for t in TOPICS)
        raise UsageError(f"--topics '{text}': unknown topic '{unknown[0] if unknown else ''}'; choose from {listing}")
    chosen: list[str] = []
    for name in names:
        if TOPIC_BY_NAME[name].code not in chosen:
            chosen.append(TOPIC_BY_NAME[name].code)
    return tuple(chosen)


def check_options(options: SheetOptions) -> None:
    """Every limit, before any work."""
    if not 1 <= options.count <= MAX_COUNT:
        raise UsageError(f"--count {options.count}: give 1 to {MAX_COUNT} exercises")
    if not 1 <= options.variants <= MAX_VARIANTS:
        raise UsageError(f"--variants {options.variants}: give 1 to {MAX_VARIANTS} variants")
    if options.level not in LEVELS:
        raise UsageError(f"--level {options.level}: give 1, 2 or 3")
    if options.choices and not 2 <= options.choices <= MAX_CHOICES:
        raise UsageError(f"--choices {options.choices}: give 2 to {MAX_CHOICES} options (or leave it out)")
    if options.seed < 0:
        raise UsageError(f"--seed {options.seed}: give a seed of 0 or more")


def exercise_id(topic: Topic, repeat: int, seed: int, variant: int) -> str:
    """'T3-s42-v07', or 'T3.2-s42-v07' for a sheet's second exercise on T3."""
    return f"{topic.code}{'' if repeat == 1 else f'.{repeat}'}-s{seed}-v{variant:02d}"


def sheet_ids(options: SheetOptions, variant: int) -> list[tuple[Topic, str]]:
    """The topic and id of every exercise of one variant: the topics in turn, as often as the count asks."""
    ids = []
    for position in range(options.count):
        topic = TOPIC_BY_NAME[options.topics[position % len(options.topics)]]
        ids.append((topic, exercise_id(topic, position // len(options.topics) + 1, options.seed, variant)))
    return ids


def generate(options: SheetOptions, jobs: int = 1) -> list[list[Exercise]]:
    """Every variant's exercises, keys read from the analyzer and (where small enough) verified; with
    jobs > 1, made by that many processes (each exercise depends on its id alone: the same output)."""
    check_options(options)
    work = [(topic.code, ident) for variant in range(1, options.variants + 1)
            for topic, ident in sheet_ids(options, variant)]
    if jobs > 1 and len(work) > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            made = list(pool.map(_make, work, [options] * len(work), chunksize=max(1, len(work) // (4 * jobs))))
    else:
        made = [_make(item, options) for item in work]
    return [made[i:i + options.count] for i in range(0, len(made), options.count)]


def _make(item: tuple[str, str], options: SheetOptions) -> Exercise:
    code, ident = item
    return make_exercise(TOPIC_BY_NAME[code], ident, options)


def regenerate(ident: str, level: int = 2, choices: int = 0, verify: Optional[bool] = None) -> Exercise:
    """The exercise with this id (as printed on any copy), for regrading."""
    match = ID_PATTERN.match(ident)
    if not match or match.group(1) not in TOPIC_BY_NAME:
        raise UsageError(f"--id '{ident}': expected an exercise id such as T3-s42-v07 (topics T1 to T{len(TOPICS)})")
    options = SheetOptions(seed=int(match.group(3)), level=level, choices=choices, verify=verify)
    check_options(options)
    return make_exercise(TOPIC_BY_NAME[match.group(1)], ident, options)


def make_exercise(topic: Topic, ident: str, options: SheetOptions) -> Exercise:
    """Draw until the numbers make a well-posed exercise, then key and verify it."""
    rng = Random(f"{ident}/L{options.level}")
    for _ in range(MAX_DRAWS):
        params = topic.draw(rng, options.level)
        if params is None:
            continue
        try:
            return keyed_exercise(topic, params, ident, options, rng, max_macs=EXERCISE_MACS)
        except Degenerate:
            continue
    raise RfcalcError(f"worksheet: topic {topic.code} ({topic.name}) found no well-posed exercise at level "
                      f"{options.level} in {MAX_DRAWS} draws (please report this)")


def keyed_exercise(topic: Topic, params: Params, ident: str, options: SheetOptions,
                   rng: Optional[Random] = None, max_macs: Optional[int] = None) -> Exercise:
    """The exercise a template makes of these numbers: keys from the analyzer, choices from the
    misconceptions, checked by the numpy backend (unless too large and not asked for); a draw whose
    networks take more than max_macs is degenerate (not a hand exercise)."""
    draft = topic.build(params)
    networks = list(draft.networks)
    specs = [parse_spec(net.yaml, source=f"{ident}/{net.name}") for net in networks]
    reports = [analyze(spec) for spec in specs]
    if max_macs is not None and any(report.totals.macs > max_macs for report in reports):
        raise Degenerate("too many MACs for a hand exercise")
    blanks = []
    for ask in draft.asks:
        answer = key_of(ask, reports, ident)
        if ask.search is not None:  # the network shown is the one the key makes
            index, search = ask.reader.network, ask.search
            layer = {**search.layer(int(answer)), "name": ask.reader.layer}
            yaml = network_yaml(networks[index].name, list(search.input_shape), [layer])
            if yaml != networks[index].yaml:
                networks[index] = replace(networks[index], yaml=yaml)
                specs[index] = parse_spec(yaml, source=f"{ident}/{networks[index].name}")
                reports[index] = analyze(specs[index])
        blanks.append(Blank(ask.label, answer, choices_for(ask, answer, options.choices, rng or Random(ident)),
                            ask.words))
    verified = verify_keys(draft, specs, reports, blanks, options.verify, ident)
    match = ID_PATTERN.match(ident)
    seed, variant = (int(match.group(3)), int(match.group(4))) if match else (0, 0)
    return Exercise(ident, topic.name, topic.code, topic.title, seed, variant, options.level, draft.statement,
                    tuple(networks), tuple(blanks), draft.explain, verified, draft.note)


def key_of(ask: Ask, reports: list[Report], ident: str = "") -> Answer:
    """An ask's key, read from the analyzer's reports (for a reverse problem: the one candidate whose
    branch of the analyzed search network shows the target)."""
    if ask.search is not None:
        search = ask.search
        branches = [{**search.layer(c), "name": f"candidate_{c}", "inputs": ["input"]} for c in search.candidates]
        report = analyze(parse_spec(network_yaml("search", list(search.input_shape), branches), f"{ident}/search"))
        matches = [c for c in search.candidates
                   if Reader(search.quantity, f"candidate_{c}").read(report) == search.target]
        if len(matches) != 1:
            raise Degenerate(f"{len(matches)} candidates give {search.target}")
        return Fraction(matches[0])
    value = ask.reader.read(reports[ask.reader.network])
    if ask.per is not None:
        denominator = ask.per.read(reports[ask.per.network])
        if not denominator:
            raise Degenerate("a ratio over zero")
        value = value / denominator
    if isinstance(value, Fraction) and ask.whole and value.denominator != 1:
        raise Degenerate(f"{ask.label} is not whole")
    return value


def choices_for(ask: Ask, answer: Answer, count: int, rng: Random) -> tuple[Choice, ...]:
    """The options of a multiple choice blank: the answer and the first count - 1 misconceptions that
    give a different, distinct, sensible value, shuffled; () when there are not enough (the blank
    stays a fill-in) or no choices were asked."""
    if count < 2:
        return ()
    if ask.words:
        return tuple(Choice(word, None if word == answer else "the other case") for word in ask.words)
    seen = {answer}
    wrong = []
    for m in ask.misconceptions:
        if m.value in seen or m.value <= 0 or (ask.whole and m.value.denominator != 1):
            continue
        seen.add(m.value)
        wrong.append(Choice(m.value, m.name))
    if len(wrong) < count - 1:
        return ()
    options = [Choice(answer), *wrong[:count - 1]]
    rng.shuffle(options)
    return tuple(options)


def needs_rf_check(draft: Draft, network: int) -> bool:
    """True when an ask on this network is a receptive-field quantity (checked only by the RF check)."""
    return any(ask.reader.network == network and ask.reader.quantity in RF_QUANTITIES for ask in draft.asks)


def verify_keys(draft: Draft, specs: list[Spec], reports: list[Report], blanks: list[Blank], verify: Optional[bool],
                ident: str) -> bool:
    """Run every network in the numpy backend: every measured number must agree with the analyzer's,
    every key read from the measured layers must equal the key; the receptive fields are checked
    position by position when a key is about them. False when a network was too large to run and
    verification was not demanded (verify None) or was turned off (verify False)."""
    if verify is False:
        return False
    from ...backend.engine import MemoryLimitError
    from ...verify.compare import verify_spec

    runs = []
    for index, spec in enumerate(specs):
        try:
            runs.append(verify_spec(spec, max_memory=VERIFY_LIMIT, check_rf=needs_rf_check(draft, index),
                                    report=reports[index]))
        except MemoryLimitError:
            if verify:
                raise UsageError(f"--verify: exercise {ident}'s network {spec.name} needs more than the "
                                 f"{VERIFY_LIMIT >> 20} MiB the numpy backend may use for an exercise; "
                                 f"leave --verify out to key it by the analyzer alone") from None
            return False
    for run in runs:
        if not run.ok:
            raise KeyRefused(f"worksheet: exercise {ident}: the numpy backend disagrees with the analyzer: "
                             + "; ".join(run.mismatch_lines()[:3]))
    for ask, blank in zip(draft.asks, blanks):
        if ask.search is not None:
            reader = Reader(ask.search.quantity, ask.reader.layer, network=ask.reader.network)
            expected = ask.search.target
        else:
            reader, expected = ask.reader, blank.answer
        measured = measured_value(reader, runs, ask.per if ask.search is None else None)
        if measured is not None and measured != expected:
            raise KeyRefused(f"worksheet: exercise {ident}: the key of '{ask.label}' needs {expected} but the "
                             f"numpy backend measures {measured}")
    return True


def measured_value(reader: Reader, runs, per: Optional[Reader] = None) -> Optional[Answer]:
    """A reader's value as the backend measured it (over `per`'s, for a ratio), or None for what
    only the receptive-field check measures."""
    if not reader.measured or (per is not None and not per.measured):
        return None

    def read(r: Reader) -> Answer:
        layer = next(v for v in runs[r.network].layers if v.name == r.layer)
        return r.read_measured(MeasuredView.of(layer))

    return read(reader) / read(per) if per is not None else read(reader)


@dataclass(frozen=True)
class MeasuredView:
    """What the backend measured for one layer, under the analyzer's field names (for MEASURED readers)."""

    output_shape: tuple[int, ...]
    params: int
    macs: int
    activation_bytes: int

    @classmethod
    def of(cls, layer) -> "MeasuredView":
        """The measured side of a LayerVerification's comparisons."""
        checks = layer.checks
        return cls(checks["shape"].measured, checks["params"].measured, checks["macs"].measured,
                   checks["memory"].measured)

    @property
    def flops_by_kind(self) -> dict[str, int]:
        """2 FLOPs per measured multiply-accumulate (the report's rule)."""
        return {"mac": 2 * self.macs}


def solution(exercise: Exercise, notation: str = DEFAULT_NOTATION) -> tuple:
    """explain's derivations of the layers and quantities the exercise names (its worked solution;
    each derivation is checked against the analyzer as it is made)."""
    specs = [parse_spec(net.yaml, source=f"{exercise.id}/{net.name}") for net in exercise.networks]
    return tuple(explain_spec(specs[network], notation, layers, quantities)
                 for network, layers, quantities in exercise.explain)

