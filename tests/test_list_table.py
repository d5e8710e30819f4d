"""`list` reads every preset's figures from the generated table (resnet_inspect/preset_table.py).

These tests recompute every row with the real tracer, so `list` and `summary` cannot
disagree: a stale row fails here (regenerate: `python -m resnet_inspect.analysis.preset_figures`),
and at run time a row whose spec fingerprint no longer matches is traced instead of shown.
"""

from __future__ import annotations

import pytest

from resnet_inspect import inspect
from resnet_inspect.analysis.preset_figures import figures, fingerprint, render
from resnet_inspect.analysis.preset_table import ROWS
from resnet_inspect.spec.registry import Preset, all_presets
from tests.cli_helpers import main_in_fresh_python

PRESETS = all_presets()


def test_table_has_exactly_the_presets() -> None:
    assert list(ROWS) == list(PRESETS)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_row_is_what_the_tracer_counts(name: str) -> None:
    spec = PRESETS[name].make()
    totals = inspect(spec, device="meta").totals
    assert ROWS[name] == (fingerprint(spec), totals.params, totals.macs)


def test_published_rows() -> None:
    # torchvision's model table: ResNet-50 25,557,032 params, 4.09 GFLOPS (MACs);
    # ResNet-152 60,192,808 params, 11.51 GFLOPS
    assert ROWS["resnet50"][1:] == (25_557_032, 4_089_184_256)
    assert ROWS["resnet152"][1:] == (60_192_808, 11_513_626_624)


def test_a_changed_spec_is_traced_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # a preset edited after the table was written: the stale row must not be shown
    from resnet_inspect.analysis import preset_table

    stale = dict(ROWS)
    stale["resnet18"] = (ROWS["resnet18"][0], 1, 2)  # right fingerprint, wrong figures
    monkeypatch.setattr(preset_table, "ROWS", stale)
    assert figures(PRESETS["resnet18"]).params == 1  # the table is trusted when it matches
    stale["resnet18"] = ("000000000000", 1, 2)  # the spec no longer matches its row
    f = figures(PRESETS["resnet18"])
    assert (f.params, f.macs) == (11_689_512, 1_814_073_344)  # torchvision: 11,689,512


def test_unknown_preset_is_traced() -> None:
    base = PRESETS["resnet18"]
    new = Preset("my-resnet18", base.family, base.make, base.summary)
    f = figures(new)
    assert (f.params, f.macs) == (11_689_512, 1_814_073_344)


def test_render_round_trips() -> None:
    namespace: dict[str, object] = {}
    exec(render(ROWS), namespace)  # our own generated source
    assert namespace["ROWS"] == ROWS


def test_list_does_not_import_torch() -> None:
    done = main_in_fresh_python(["list"], "'torch' in sys.modules, code")
    assert done.stdout.splitlines()[-1] == "False 0"
