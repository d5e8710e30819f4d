"""Property tests over random valid architectures (hypothesis).

Whatever the block, stem, shortcut option, stride placement, groups or depth, the report
must agree with the model it traced and with itself, on every device. Networks and inputs
are kept tiny (a few blocks, 4-24 channels, 32x32) so each example runs in milliseconds.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import resnet_inspect
from resnet_inspect.cli.options import ModelOptions
from resnet_inspect.models.builder import build_model
from resnet_inspect.spec.arch import (
    ArchSpec,
    BlockKind,
    ShortcutKind,
    StemKind,
    StrideOn,
    imagenet_stages,
)

FEW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def arch_specs(draw: st.DrawFn) -> ArchSpec:
    block = draw(st.sampled_from(list(BlockKind)))
    n_stages = draw(st.integers(1, 3))
    layers = tuple(draw(st.lists(st.integers(1, 2), min_size=n_stages, max_size=n_stages)))
    widths = tuple(draw(st.lists(st.sampled_from([4, 8, 12, 16]), min_size=n_stages,
                                 max_size=n_stages)))
    bottleneck = block.expansion == 4
    groups = draw(st.sampled_from([1, 2, 4])) if bottleneck else 1
    stem = draw(st.sampled_from(list(StemKind)))
    return ArchSpec(
        name="random",
        block=block,
        stages=imagenet_stages(layers, widths),
        stem=stem,
        stem_width=draw(st.sampled_from([4, 8, 16])),
        num_classes=draw(st.integers(1, 12)),
        groups=groups,
        width_per_group=draw(st.sampled_from([16, 32, 64])) if bottleneck else 64,
        shortcut=draw(st.sampled_from(list(ShortcutKind))),
        stride_on=draw(st.sampled_from(list(StrideOn))),
        avg_down=draw(st.booleans()),
        plain=draw(st.booleans()),
        input_shape=(draw(st.sampled_from([1, 3])), 32, 32),
    )


@FEW
@given(spec=arch_specs(), batch=st.integers(1, 2))
def test_report_agrees_with_the_model(spec: ArchSpec, batch: int) -> None:
    model = build_model(spec, device="cpu", init=False)
    report = resnet_inspect.inspect(model, input_shape=spec.input_shape, batch=batch,
                                    device="cpu")
    # the total is the model's own count, and the rows add up to it (every parameter on
    # exactly one row)
    numel = sum(p.numel() for p in model.parameters())
    assert report.totals.params == numel
    assert sum(r.params for r in report.layers) == numel
    # headline MACs are the conv and fc rows
    assert report.totals.macs == sum(
        r.macs for r in report.layers if r.category in ("conv", "linear")
    )
    # shapes chain: each block takes what the previous one gave
    for before, after in zip(report.blocks, report.blocks[1:]):  # noqa: B905
        assert after.input_shape == before.output_shape
    expansion = spec.block.expansion
    last_stage_blocks = [b for b in report.blocks if b.name.startswith(f"layer{len(spec.stages)}.")]
    assert last_stage_blocks[-1].out_channels == spec.stages[-1].width * expansion
    assert report.layers[-1].output_shape == [batch, spec.num_classes]
    assert len(report.blocks) == sum(spec.layer_counts)
    # the name's depth: stem convs + block convs + fc (shortcut projections excluded)
    assert report.layer_count.total == spec.depth


@FEW
@given(spec=arch_specs())
def test_cpu_and_meta_count_the_same(spec: ArchSpec) -> None:
    cpu = resnet_inspect.inspect(spec, device="cpu")
    meta = resnet_inspect.inspect(spec, device="meta")
    assert cpu.totals == meta.totals
    assert [(r.name, r.output_shape, r.params, r.macs, r.flops) for r in cpu.layers] == [
        (r.name, r.output_shape, r.params, r.macs, r.flops) for r in meta.layers
    ]


@FEW
@given(spec=arch_specs())
def test_plain_removes_only_shortcut_parameters(spec: ArchSpec) -> None:
    residual = build_model(spec.with_changes(plain=False), device="meta")
    plain = build_model(spec.with_changes(plain=True), device="meta")
    shortcut = sum(p.numel() for n, p in residual.named_parameters() if ".downsample." in n)
    assert sum(p.numel() for p in plain.parameters()) == (
        sum(p.numel() for p in residual.parameters()) - shortcut
    )


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


@FEW
@given(spec=arch_specs())
def test_flags_and_config_file_give_the_same_spec(spec: ArchSpec) -> None:
    values = {
        "block": spec.block.value,
        "layers": list(spec.layer_counts),
        "widths": [s.width for s in spec.stages],
        "groups": spec.groups,
        "width-per-group": spec.width_per_group,
        "stem": spec.stem.value,
        "stem-width": spec.stem_width,
        "shortcut": spec.shortcut.value,
        "stride-on": spec.stride_on.value,
        "avg-down": spec.avg_down,
        "num-classes": spec.num_classes,
        "plain": spec.plain,
    }
    text = "".join(f"{k} = {_toml_value(v)}\n" for k, v in values.items())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "arch.toml"
        path.write_text(text, encoding="utf-8")
        from_file = ModelOptions(config=path).spec()
    from_flags = ModelOptions(
        block=spec.block, layers=",".join(map(str, spec.layer_counts)),
        widths=",".join(str(s.width) for s in spec.stages), groups=spec.groups,
        width_per_group=spec.width_per_group, stem=spec.stem, stem_width=spec.stem_width,
        shortcut=spec.shortcut, stride_on=spec.stride_on, avg_down=spec.avg_down,
        num_classes=spec.num_classes, plain=spec.plain,
    ).spec()
    assert from_file == from_flags
    assert isinstance(from_file, ArchSpec)
    assert from_file.stages == spec.stages and from_file.block is spec.block
