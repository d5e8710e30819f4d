"""The timm sweep of issue 22: every figure on meta against the CPU, and the headline
against torch's own counter, model by model. For whoever has timm installed (it does not
install beside the CPU-only torch of the project's machines); without it, it says so and
exits 0.

    python benchmarks/timm_sweep.py                       # the default list below
    python benchmarks/timm_sweep.py --models resmlp_12_224,pvt_v2_b0 --input 3x224x224
    python benchmarks/timm_sweep.py --pattern 'convnext*' --train

Per model: whether meta and CPU agree on every row, category and operator-table entry
(and, if not, the first category or operator that differs); whether our headline MACs x 2
equal FlopCounterMode's FLOPs over the same forward on the CPU (with --train, one step);
the operators without a formula (torch's grouped-conv weight-gradient overcount is
accounted as `check --train` does; torch's counter does not see inside a fused kernel it
has no formula for, such as an LSTM on oneDNN); and where the meta trace ran (auto falls
back to the CPU when a model cannot run on meta, which the sweep reports rather than
hides).
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
import time
from typing import Any

DEFAULT = [
    "resnet50", "resnext50_32x4d", "seresnet50", "resnet50d", "efficientnet_b0",
    "mobilenetv3_small_100", "regnetx_002", "convnext_tiny", "vit_tiny_patch16_224",
    "deit_tiny_patch16_224", "swin_tiny_patch4_window7_224", "resmlp_12_224", "pvt_v2_b0",
    "sequencer2d_s", "volo_d1_224", "convit_tiny", "coat_lite_tiny", "levit_128",
    "mixer_b16_224", "gmlp_ti16_224", "poolformer_s12", "cait_xxs24_224", "xcit_nano_12_p16_224",
]


def _figures(report: Any) -> dict[str, Any]:
    return {
        "rows": [(r.name, r.input_shape, r.output_shape, r.categories, r.macs, r.flops)
                 for r in report.layers],
        "categories": report.totals.by_category,
        "operators": sorted((o["op"], o["calls"], o["macs"], o["flops"])
                            for o in report.operators),
    }


def _first_difference(meta: dict[str, Any], cpu: dict[str, Any]) -> str:
    for cat in sorted(set(meta["categories"]) | set(cpu["categories"])):
        a = meta["categories"].get(cat, {}).get("flops", 0)
        b = cpu["categories"].get(cat, {}).get("flops", 0)
        if a != b:
            return f"{cat} {a:,} vs {b:,} FLOPs ({(a - b) / b:+.0%})" if b else cat
    for a, b in zip(meta["operators"], cpu["operators"], strict=False):
        if a != b:
            return f"operators: {a[0]} x{a[1]} vs {b[0]} x{b[1]}"
    return "rows"


def _torch_flops(model: Any, shape: tuple[int, ...]) -> int:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model.eval()(torch.zeros((1, *shape)))
    return int(counter.get_total_flops())


def sweep_one(name: str, shape: tuple[int, ...], train: bool) -> dict[str, Any]:
    import timm

    import resnet_inspect

    model = timm.create_model(name, pretrained=False)
    start = time.perf_counter()
    meta = resnet_inspect.inspect(model, shape, device="auto", train=train)
    cpu = resnet_inspect.inspect(model, shape, device="cpu", train=train)
    same = _figures(meta) == _figures(cpu)
    ours = 2 * (cpu.totals.macs + (cpu.totals.backward_macs if train else 0))
    if train:  # torch's known grouped-conv overcount is explained there (docs/check.md)
        from resnet_inspect.analysis.train_check import check_training

        step = check_training(model, meta)
        ours, theirs = step.ours_flops + step.grouped_excess_flops, step.torch_flops
    else:
        theirs = _torch_flops(model, shape)
    return {
        "model": name, "traced_on": meta.device, "meta_equals_cpu": same,
        "difference": "" if same else _first_difference(_figures(meta), _figures(cpu)),
        "ours_flops": ours, "torch_flops": theirs,
        "unsupported": ", ".join(f"{u['op']} x{u['calls']}" for u in cpu.unsupported),
        "seconds": time.perf_counter() - start,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", help="comma-separated timm names (default: a list of 23)")
    parser.add_argument("--pattern", help="every timm model matching this glob, e.g. 'vit_*'")
    parser.add_argument("--input", default="3x224x224", help="CxHxW, default 3x224x224")
    parser.add_argument("--train", action="store_true", help="count one training step")
    args = parser.parse_args(argv)
    try:
        import timm
    except ImportError:
        print("timm_sweep: timm is not installed (pip install timm); nothing to sweep")
        return 0
    names = (args.models.split(",") if args.models else
             fnmatch.filter(timm.list_models(), args.pattern) if args.pattern else DEFAULT)
    shape = tuple(int(d) for d in args.input.split("x"))
    failures = 0
    print(f"{'model':32} {'meta':5} {'meta=cpu':9} {'x2 = torch':11} difference / no formula")
    for name in names:
        try:
            r = sweep_one(name, shape, args.train)
        except Exception as err:  # a model that fails is a finding, listed
            print(f"{name:32} failed: {type(err).__name__}: {str(err).splitlines()[0][:80]}")
            failures += 1
            continue
        agrees = r["ours_flops"] == r["torch_flops"]
        failures += (not r["meta_equals_cpu"]) + (not agrees) + (r["traced_on"] != "meta")
        note = r["difference"] or r["unsupported"]
        if not agrees:
            note = f"ours {r['ours_flops']:,} torch {r['torch_flops']:,}; {note}"
        print(f"{name:32} {r['traced_on']:5} {'yes' if r['meta_equals_cpu'] else 'NO':9} "
              f"{'yes' if agrees else 'NO':11} {note}")
    print(f"{len(names)} models, {failures} findings")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
