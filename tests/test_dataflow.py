"""The dataflow graph a trace records (report/graph.py, trace/dataflow.py): nodes, edges
and windows of models these tests write themselves, where every edge is known from the
model's own forward."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import resnet_inspect
from resnet_inspect.report.graph import shortcut_kind
from resnet_inspect.report.model import Report
from tests.dataflow_models import ResidualAdds


def _edges(report: Report) -> set[tuple[str, str]]:
    g = report.graph
    assert g is not None
    names = [n.label if n.leaf or n.op == "input" else f"{n.op}@{n.id}" for n in g.nodes]
    return {(names[a], names[b]) for a, b in g.edges()}


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_residual_adds_give_one_node_per_add_with_its_two_inputs(device: str) -> None:
    report = resnet_inspect.inspect(ResidualAdds(), (8, 16, 16), device=device)
    g = report.graph
    assert g is not None
    # the forward, read by hand: input -> conv -> bn; add(input, bn) -> relu; relu feeds
    # main and skip side by side; add(main, skip) -> relu
    assert [n.label for n in g.nodes] == ["input", "conv", "bn", "add", "relu", "main",
                                          "skip", "add", "relu"]
    assert g.inputs == [[], [0], [1], [0, 2], [3], [4], [4], [5, 6], [7]]
    assert g.outputs == [8]
    # the operators the forward ran itself are the model's own (""), leaves their path
    assert g.module == ["", "conv", "bn", "", "", "main", "skip", "", ""]
    assert g.leaf == [False, True, True, False, False, True, True, False, False]
    # node 0's tensor is the 1x8x16x16 input, read by conv and by the first add
    assert g.input_shapes[3] == [[1, 8, 16, 16], [1, 8, 16, 16]]


class InPlace(nn.Module):
    """`out += identity` and an in-place ReLU: followed by version, not lost."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.conv(x)
        out += identity
        out = self.act(out)
        return out.flatten(1)  # a view: no node, its reader reads act


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_in_place_writes_and_views_are_followed(device: str) -> None:
    report = resnet_inspect.inspect(InPlace(), (4, 8, 8), device=device)
    g = report.graph
    assert g is not None
    # add_ reads conv's output and the input, and writes conv's storage: act reads add_
    assert g.op == ["input", "convolution", "add_", "relu_"]
    assert g.inputs == [[], [0], [1, 0], [2]]
    assert g.outputs == [3]  # flatten is a view of act's output


def test_a_training_step_records_the_same_forward_graph() -> None:
    model = ResidualAdds()
    forward = resnet_inspect.inspect(model, (8, 16, 16), device="cpu").graph
    step = resnet_inspect.inspect(model, (8, 16, 16), device="cpu", train=True).graph
    assert forward is not None and step is not None
    # the backward adds no node; batch-norm in train mode runs another operator first
    assert step.inputs == forward.inputs
    assert [n.label for n in step.nodes] == [n.label for n in forward.nodes]


def test_windows_for_receptive_fields() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 7, stride=2, padding=3, dilation=1)
            self.pool = nn.MaxPool2d(3, stride=2, padding=1)
            self.w = nn.Parameter(torch.zeros(8, 8, 7, 7))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.pool(self.conv(x))
            return F.avg_pool2d(F.conv2d(x, self.w, padding=2, dilation=2), 2)

    g = resnet_inspect.inspect(Net(), (3, 64, 64), device="meta").graph
    assert g is not None
    # ResNet's stem: 7x7 stride 2 padding 3, then the 3x3 stride-2 max pool padding 1
    assert g.window[1] == {"kernel": [7, 7], "stride": [2, 2], "dilation": [1, 1],
                           "padding": [3, 3]}
    assert g.window[2] == {"kernel": [3, 3], "stride": [2, 2], "dilation": [1, 1],
                           "padding": [1, 1]}
    # the functional conv and pool of the forward, from their operators' arguments
    assert g.op[3:] == ["convolution", "avg_pool2d"]
    assert g.window[3] == {"kernel": [7, 7], "stride": [1, 1], "dilation": [2, 2],
                           "padding": [2, 2]}
    assert g.params[3] == ["w"]  # the weight the forward handed F.conv2d itself
    assert g.window[4] == {"kernel": [2, 2], "stride": [2, 2], "dilation": [1, 1],
                           "padding": [0, 0]}
    assert 0 not in g.window  # the input has none


def test_graph_round_trips_through_json() -> None:
    report = resnet_inspect.inspect(ResidualAdds(), (8, 16, 16))
    again = Report.from_json(report.to_json())
    assert again.graph == report.graph
    assert again.graph is not None and again.graph.nodes == report.graph.nodes  # type: ignore[union-attr]


def test_every_node_reads_only_earlier_nodes_so_ids_are_a_topological_order() -> None:
    g = resnet_inspect.inspect("resnet50").graph
    assert g is not None
    assert all(i < n for n, ins in enumerate(g.inputs) for i in ins)
    # ResNet-50: input, stem (conv, bn, relu, maxpool), 16 bottlenecks of 10 nodes (3 x
    # conv-bn, 2 relus, add, relu) plus 4 projections of 2 (conv, bn), avgpool, fc (the
    # forward's torch.flatten is a view: no node)
    assert len(g) == 1 + 4 + 16 * 10 + 4 * 2 + 2


@pytest.mark.parametrize(("name", "expected"), [
    # torchvision's layout: the first block of every stage projects (ResNet paper, option B)
    ("resnet50", ["projection", "identity", "identity"] + ["projection"] + ["identity"] * 3),
    # ResNet-20 (CIFAR, option A): stages 2 and 3 open with a zero-padded identity
    ("resnet20", ["identity"] * 3 + ["zero-pad"] + ["identity"] * 2),
    # pre-activation ResNet-18: the projection reads the BN-ReLU'd input
    ("preact-resnet18", ["identity", "identity", "projection", "identity"]),
])
def test_shortcut_kinds_read_from_the_graph(name: str, expected: list[str]) -> None:
    g = resnet_inspect.inspect(name).graph
    assert g is not None
    blocks = [i for i, c in enumerate(g.calls) if c.module.count(".") == 1]
    assert [shortcut_kind(g, i) for i in blocks][:len(expected)] == expected


def test_outputs_of_a_forward_returning_a_dict() -> None:
    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 1)
            self.fc = nn.Linear(4, 2)

        def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
            features = self.conv(x)
            return {"logits": self.fc(features.mean((2, 3))), "features": features}

    g = resnet_inspect.inspect(Two(), (3, 8, 8)).graph
    assert g is not None
    # input, conv, the forward's mean, fc: the dict's values in order, logits then features
    assert g.op == ["input", "convolution", "mean", "addmm"]
    assert g.outputs == [3, 1]


@pytest.mark.parametrize("device", ["meta", "cpu"])
@pytest.mark.parametrize("train", [False, True])
def test_scaled_dot_product_attention_is_one_node(device: str, train: bool) -> None:
    class Attention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.qkv = nn.Linear(16, 48)
            self.proj = nn.Linear(16, 16)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            q, k, v = self.qkv(x).reshape(1, 5, 3, 2, 8).permute(2, 0, 3, 1, 4)
            y = F.scaled_dot_product_attention(q, k, v)
            return self.proj(y.transpose(1, 2).reshape(1, 5, 16))

    report = resnet_inspect.inspect(Attention(), (5, 16), device=device, train=train)
    g = report.graph
    assert g is not None
    # input -> qkv -> attention(q, k, v) -> (the reshape's copy) -> proj; the scale, the
    # two bmm and the softmax the dispatcher sees inside sdpa are no nodes of their own
    sdpa = g.op.index("scaled_dot_product_attention")
    assert g.inputs[sdpa] == [1, 1, 1] and g.op[1] == "addmm"
    assert not {"bmm", "_softmax", "_safe_softmax", "mul"} & set(g.op)
    assert g.composites == {sdpa: "attention"} and g.category[sdpa] == "attention"
    assert g.input_shapes[sdpa] == [[1, 2, 5, 8]] * 3 and g.shape[sdpa] == [1, 2, 5, 8]
    assert g.ancestors(g.outputs[0]) >= {0, 1, sdpa}
    # the work inside is still counted: q @ k^T and weights @ v, 2 heads x 5 x 5 x 8 each
    assert report.totals.by_category["attention"]["macs"] == 2 * (2 * 5 * 5 * 8)
    assert Report.from_json(report.to_json()).graph == g


def test_a_failed_trace_leaves_no_function_mode_behind() -> None:
    from resnet_inspect.errors import InspectError

    # the pool's output would be 0x0: the post-hook of a leaf raises while CompositeCalls
    # is off the mode stack for that leaf; the trace must still leave the stack as it was
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Sequential(nn.MaxPool2d(8)))
    with pytest.raises(InspectError, match="too small"):
        resnet_inspect.inspect(net, (3, 8, 8))
    assert torch._C._len_torch_function_stack() == 0
    g = resnet_inspect.inspect(ResidualAdds(), (8, 16, 16)).graph  # and the next one works
    assert g is not None and len(g) == 9
