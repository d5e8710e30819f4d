"""`--gpu`: the cards, their spellings and the hints; the fit's boundary, each side counted
in a fresh process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from resnet_inspect.analysis.fit import RESERVED, gpu_bytes
from resnet_inspect.analysis.gpus import find_gpu
from resnet_inspect.errors import InspectError

GB = 10**9


@pytest.mark.parametrize(("spelling", "card", "sold_gb"), [
    # capacities from the vendors' data sheets (see resnet_inspect/analysis/gpus.py)
    ("H100 80GB", "h100", 80), ("h100-80gb", "h100", 80), ("NVIDIA H100 SXM", "h100", 80),
    ("h100-94gb", "h100-94gb", 94), ("H100 NVL", "h100-94gb", 94),
    ("a10g", "a10g", 24), ("NVIDIA A10G", "a10g", 24), ("l40s", "l40s", 48),
    ("L40S", "l40s", 48), ("rtx-4090", "rtx4090", 24), ("RTX 4090", "rtx4090", 24),
    ("GeForce RTX 4090", "rtx4090", 24), ("v100_16gb", "v100-16gb", 16),
    ("V100 32GB", "v100-32gb", 32), ("A100 80GB", "a100-80gb", 80), ("t4", "t4", 16),
    ("MI300X", "mi300x", 192)])
def test_cards_in_any_spelling(spelling: str, card: str, sold_gb: int) -> None:
    assert find_gpu(spelling) == card
    assert gpu_bytes(spelling)[1] == sold_gb * GB - RESERVED


@pytest.mark.parametrize(("name", "hint"), [
    ("a100", "use a100-40gb or a100-80gb"),  # an A100 of either size, never an A10
    ("v100", "use v100-16gb or v100-32gb"),  # never an H100
    ("rtx490", "(did you mean rtx4090?)"), ("a10o", "(did you mean a10?)")])
def test_hints_name_the_nearest_real_card(name: str, hint: str) -> None:
    with pytest.raises(InspectError) as err:
        find_gpu(name)
    assert hint in str(err.value)


def test_unknown_cards_get_no_misleading_hint() -> None:
    for name in ("k80", "rtx4080", "v10"):
        with pytest.raises(InspectError, match=f"--gpu {name}: not a card this tool knows;"):
            find_gpu(name)


def _fresh_peak(batch: int) -> int:
    code = ("import resnet_inspect\n"
            f"print(resnet_inspect.inspect('resnet18', batch={batch}, train=True,"
            " optimizer='sgd').training_memory.peak)\n")
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True).stdout)


@pytest.mark.slow
def test_the_fit_boundary_holds_in_fresh_processes() -> None:
    # the case: --gpu rtx4090 --optimizer sgd on resnet18 answered a batch whose
    # own peak, counted in a fresh process, was above the card
    from resnet_inspect.analysis.fit import largest_batch
    from resnet_inspect.trace.run import inspect

    label, capacity = gpu_bytes("rtx4090")
    fit = largest_batch(lambda b: inspect("resnet18", batch=b, train=True, optimizer="sgd"),
                        capacity, label)
    assert _fresh_peak(fit.batch) == fit.peak <= capacity < _fresh_peak(fit.batch + 1)
