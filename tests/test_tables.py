"""Tables fitted to the terminal: columns dropped by their stated priority, names shortened in the
middle, compact forms, and never a cut number, for analyze, diff, verify, check and sizes at 60, 80,
120 and 200 columns."""
from __future__ import annotations

import pytest

from rfcalc.columns import COLUMNS, DEFAULT_COLUMNS, DROP_ORDER, compact_shape, compact_shape_text
from rfcalc.tables import MIDDLE, WRAP, Styled, TableColumn, fit, shorten_middle, table_lines
from rfcalc.tables.draw import wrap

WIDTHS = (60, 80, 120, 200)
SHRINKING = {"layer", "type", "inputs", "from"}  # the headers of columns whose text may be shortened


def _column(key, cells, **kw):
    return TableColumn(key, key, cells, **kw)


def test_shorten_middle_keeps_both_ends():
    # 21 characters into 12: 11 kept, 6 from the front, 5 from the end, '…' between.
    assert shorten_middle("layer4.2.downsample.0", 12) == "layer4…ple.0"
    assert shorten_middle("layer4.2.conv3", 14) == "layer4.2.conv3"
    assert shorten_middle("abcdef", 1) == "…"


def test_compact_shapes():
    assert compact_shape((64, 56, 56)) == "64x56²"
    assert compact_shape((1, 32, 32, 32)) == "1x32³"
    assert compact_shape((64, 56, 28)) == "64x56x28"
    assert compact_shape((1000,)) == "1000"
    assert compact_shape_text("256x7x7") == "256x7²" and compact_shape_text("256x7x7 → 512x7x7") == "256x7x7 → 512x7x7"


def test_a_table_that_fits_is_left_whole():
    columns = [_column("name", ["conv1"], shrink=MIDDLE), _column("params", ["9.41K"], right=True, drop=1)]
    fitted = fit(columns, 80)
    assert [c.width for c in fitted.columns] == [5, 6] and not fitted.dropped and fitted.footer() == ""


def test_columns_drop_lowest_priority_first_and_the_footer_says_so():
    columns = [_column("name", ["a" * 10], shrink=MIDDLE, min_width=10),
               _column("macs", ["1" * 10], right=True, drop=5),
               _column("start", ["2" * 10], right=True, drop=1),
               _column("memory", ["3" * 10], right=True, drop=3)]
    # Each column is 10 wide + 3 of border, + 1: 27 for two columns, 40 for three, 53 for four.
    fitted = fit(columns, 45)
    assert [c.key for c in fitted.columns] == ["name", "macs", "memory"]
    assert fitted.dropped == ("start",)
    assert fitted.footer() == "fitted to 45 columns (--wide shows all): dropped start"
    assert [c.key for c in fit(columns, 30).columns] == ["name", "macs"]
    assert [c.key for c in fit(columns, 30, wide=True).columns] == ["name", "macs", "start", "memory"]


def test_undroppable_columns_overflow_instead_of_being_cut():
    columns = [_column("name", ["x" * 30], shrink=MIDDLE, min_width=16), _column("macs", ["123456789"], right=True)]
    fitted = fit(columns, 20)
    assert [c.width for c in fitted.columns] == [16, 9]
    lines = ["".join(t for t, _ in line) for line in table_lines(fitted)]
    assert "123456789" in lines[3] and len(lines[3]) == 16 + 9 + 7


def test_compact_forms_come_before_shortening_and_dropping():
    columns = [_column("name", ["layer1.0.downsample.0"], shrink=MIDDLE, min_width=16),
               _column("output", ["256x56x56"], compact=["256x56²"], drop=2),
               _column("start", ["0.5"], drop=1)]
    natural = 21 + 9 + 5 + 3 * 3 + 1  # 45
    fitted = fit(columns, natural - 2)  # the compact output saves 2
    assert fitted.compacted == ("output",) and not fitted.dropped and not fitted.shortened
    assert fitted.columns[1].cells == ("256x56²",)
    fitted = fit(columns, natural - 5)  # and the name gives up 3 more
    assert fitted.shortened == ("name",) and fitted.columns[0].cells == (shorten_middle("layer1.0.downsample.0", 18),)
    assert fit(columns, 30).dropped == ("start",)


def test_styles_survive_shortening_and_spare_room_goes_back_to_names():
    columns = [_column("name", [Styled("a" * 40, "red")], shrink=MIDDLE, min_width=16),
               _column("n", ["1"], right=True, drop=1)]
    fitted = fit(columns, 30)
    assert fitted.columns[0].width == 30 - 1 - 3 - 3 - 1
    assert fitted.columns[0].cells[0] == Styled(shorten_middle("a" * 40, 22), "red")


def test_wrapped_column_takes_the_room_left():
    columns = [_column("size", ["20"], right=True), _column("why", ["word " * 20], shrink=WRAP, min_width=10)]
    fitted = fit(columns, 40)
    lines = ["".join(t for t, _ in line) for line in table_lines(fitted)]
    body = [line for line in lines if line.startswith("│")]
    assert len(body) > 1 and all(len(line) == 40 for line in lines)
    assert " ".join(line.split("│")[2].strip() for line in body) == ("word " * 20).strip()


def test_wrapping_keeps_styles_and_indents():
    line = [("verified", "bold green"), (": 10 layers, 87 quantities checked", None)]
    lines = wrap(line, 20, "  ")
    assert lines[0] == [("verified", "bold green"), (": 10 layers,", None)]  # 20 characters
    assert "".join(t for t, _ in lines[1]).startswith("  87 quantities")


def test_every_column_has_a_place_in_the_drop_order():
    assert set(DROP_ORDER) == set(COLUMNS) - {"name"}


# --- the commands' tables at every width ---

def _tables(text: str) -> list[dict[str, list[str]]]:
    """Each boxed table of an output as {header: cells}; a wrapped row's continuation lines (first cell
    empty: the first column never wraps here) are left out."""
    tables, headers, rows = [], None, []
    for line in text.splitlines():
        if line.startswith("┃"):
            headers = [h.strip() for h in line.strip("┃").split("┃")]
        elif line.startswith("│") and headers is not None:
            cells = [c.strip() for c in line.strip("│").split("│")]
            if cells[0] or not rows or headers[0] == "":
                rows.append(cells)
        elif line.startswith("└") and headers is not None:
            tables.append({h: [r[i] for r in rows] for i, h in enumerate(headers)})
            headers, rows = None, []
    return tables


def _same_or_fitted(header: str, narrow: str, whole: str) -> bool:
    """A fitted cell is the whole cell, its middle-shortened form (text columns only), or its compact form:
    a shape as a power, a diff's change without its Δ."""
    if narrow == whole:
        return True
    if header in SHRINKING and "…" in narrow:
        head, tail = narrow.split("…")
        return whole.startswith(head) and whole.endswith(tail) and len(narrow) < len(whole)
    compact = " → ".join(compact_shape_text(part) for part in whole.split(" → "))
    return narrow == compact or whole.startswith(narrow + " (")


def _check_fitted(run_cli, width: int, args: list[str], monkeypatch, wrapped: frozenset = frozenset()):
    """The output at `width` fits it, and every cell it shows is its --wide cell, whole or fitted."""
    monkeypatch.setenv("COLUMNS", str(width))
    code, narrow, _ = run_cli(*args)
    monkeypatch.setenv("COLUMNS", "1000")
    _, whole, _ = run_cli(*args, "--wide")
    assert all(len(line) <= width for line in narrow.splitlines()), \
        max(narrow.splitlines(), key=len)
    fitted_tables, whole_tables = _tables(narrow), _tables(whole)
    assert len(fitted_tables) == len(whole_tables) > 0
    for fitted, full in zip(fitted_tables, whole_tables):
        assert set(fitted) <= set(full), f"a header was cut: {set(fitted) - set(full)}"
        for header, cells in fitted.items():
            if header in wrapped:
                continue
            assert len(cells) == len(full[header])
            for narrow_cell, whole_cell in zip(cells, full[header]):
                assert _same_or_fitted(header, narrow_cell, whole_cell), (header, narrow_cell, whole_cell)
    return code, narrow


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("spec", ["resnet50", "inception_v3", "unet", "volumetric3d", "audio1d", "keras_mnist"])
def test_analyze_table_fits(run_cli, monkeypatch, spec, width):
    code, out = _check_fitted(run_cli, width, ["analyze", spec], monkeypatch)
    assert code == 0
    kept = set(_tables(out)[0])
    dropped = [COLUMNS[k].header for k in DEFAULT_COLUMNS if COLUMNS[k].header not in kept]
    assert "layer" in kept
    if dropped:
        # The dropped columns are the first ones in the stated order, and the footer names them.
        order = [COLUMNS[k].header for k in DROP_ORDER if k in DEFAULT_COLUMNS]
        assert set(dropped) == set(order[:len(dropped)])
        assert f"fitted to {width} columns (--wide shows all): dropped " + ", ".join(
            sorted(dropped, key=order.index)) in " ".join(out.split())


def test_analyze_resnet50_at_80_columns_keeps_the_numbers():
    """The issue's case: at 80 columns the numbers were cut to '9…'; now they are whole."""
    from rfcalc.report_table import report_lines
    from rfcalc.columns import select_columns
    import rfcalc

    report = rfcalc.analyze(rfcalc.load_spec("resnet50"))
    text = "\n".join("".join(t for t, _ in line) for line in report_lines(report, select_columns(None), 80))
    table = _tables(text)[0]
    assert table["params"][0] == "9.41K" and table["MACs"][0] == "118M"  # conv1: 7*7*3*64, x 112*112
    assert table["output"][0] == "64x112²" and "r" in table


@pytest.mark.parametrize("width", WIDTHS)
def test_analyze_with_every_column_fits(run_cli, monkeypatch, width):
    _check_fitted(run_cli, width, ["analyze", "unet", "--columns", ",".join(COLUMNS)], monkeypatch)


@pytest.mark.parametrize("width", WIDTHS)
def test_diff_table_fits_and_keeps_its_markers(run_cli, monkeypatch, width):
    code, out = _check_fitted(run_cli, width, ["diff", "resnet18", "resnet50"], monkeypatch)
    layers = _tables(out)[0]
    assert set(layers[""]) == {"~", "+"}  # the +/- markers, which rich squeezed out at 100 columns


@pytest.mark.parametrize("width", WIDTHS)
def test_verify_table_fits(run_cli, monkeypatch, width):
    code, out = _check_fitted(run_cli, width, ["verify", "keras_mnist"], monkeypatch)
    assert code == 0 and set(_tables(out)[0]["verdict"]) == {"ok"}


@pytest.mark.parametrize("width", WIDTHS)
def test_check_table_fits(run_cli, monkeypatch, width, tmp_path):
    budgets = tmp_path / "a-budget-file-with-a-rather-long-name-in-a-folder.yaml"
    budgets.write_text("max_params: 5M\nmax_macs: 2G\nmin_rf: 100\n")
    code, out = _check_fitted(run_cli, width, ["check", "resnet18", "mobilenet_v2", "--budget", str(budgets)],
                              monkeypatch)
    assert code == 1 and {"budget", "actual", "result"} <= set(_tables(out)[0])


@pytest.mark.parametrize("width", WIDTHS)
def test_sizes_table_fits(run_cli, monkeypatch, width):
    _check_fitted(run_cli, width, ["sizes", "keras_mnist", "--range", "20:30", "--all"], monkeypatch,
                  wrapped=frozenset({"why not clean"}))
