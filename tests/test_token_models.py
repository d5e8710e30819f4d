"""Token models (issue 23, point 4): --input-dtype, ids in the model's range, outputs that are
tuples, dicts or dataclasses, and the error that names the fix."""

from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import resnet_inspect as ri
from resnet_inspect.errors import InspectError
from resnet_inspect.trace.inputs import made_input, token_limit
from tests.cli_helpers import run_cli
from tests.token_models import DIM, HEADS, LAYERS, VOCAB, EmbeddingLSTM, TinyBert, TinyGPT2

T = 16  # tokens

# One encoder layer, by hand (t = 16 tokens, d = 32, 4 heads of 8, MLP 4d):
#   q, k, v and the output projection: 4 x t x d x d        = 4 x 16 x 32 x 32 = 65,536
#   QK^T and (softmax)V: 2 x heads x t x t x d/heads         = 2 x 4 x 16 x 16 x 8 = 16,384
#   the MLP, up and down: 2 x t x d x 4d                     = 2 x 16 x 32 x 128 = 131,072
LAYER_MACS = 4 * T * DIM * DIM + 2 * HEADS * T * T * (DIM // HEADS) + 2 * T * DIM * 4 * DIM
assert LAYER_MACS == 212_992
BERT_MACS = LAYERS * LAYER_MACS + DIM * DIM  # + the pooler on the first token: 427,008
GPT2_MACS = LAYERS * LAYER_MACS + T * DIM * VOCAB  # + the LM head: 477,184


def _torch_counter_flops(model: torch.nn.Module, ids: torch.Tensor) -> int:
    """torch.utils.flop_counter's total: an independent counter, 2 FLOPs per MAC."""
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model.eval()(ids)
    return int(counter.get_total_flops())


@pytest.mark.parametrize(("make", "macs"), [(TinyBert, BERT_MACS), (TinyGPT2, GPT2_MACS)])
@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_bert_and_gpt2_from_the_cli(capsys: pytest.CaptureFixture[str], make: type,
                                    macs: int, device: str) -> None:
    r = run_cli(capsys, "summary", "--model", f"tests.token_models:{make.__name__}",
                "--input", str(T), "--input-dtype", "int64", "--device", device, "--json")
    assert r.code == 0, r.err
    import json

    data = json.loads(r.out)
    assert data["totals"]["macs"] == macs
    ids = torch.randint(VOCAB, (1, T))
    assert 2 * macs == _torch_counter_flops(make(), ids)


def test_gpt2_params_count_the_tied_head_once() -> None:
    report = ri.inspect(TinyGPT2(), input_shape=(T,), input_dtype="int64")
    # wte 100 x 32 + wpe 16 x 32, per layer 4 x (32 x 32 + 32) + 2 LayerNorms x 64
    # + 32 x 128 + 128 + 128 x 32 + 32; the LM head is wte's weight
    per_layer = 4 * (DIM * DIM + DIM) + 2 * 2 * DIM + DIM * 4 * DIM + 4 * DIM + 4 * DIM * DIM + DIM
    assert report.totals.params == VOCAB * DIM + T * DIM + LAYERS * per_layer == 29_120


def test_the_float_input_error_names_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    for device in ("meta", "cpu"):
        r = run_cli(capsys, "summary", "--model", "tests.token_models:TinyGPT2",
                    "--input", str(T), "--device", device)
        assert r.code == 2
        assert r.err.startswith("resnet-inspect: error: wte (Embedding) takes token ids")
        assert "--input-dtype int64" in r.err and len(r.err.strip().splitlines()) == 1
    with pytest.raises(InspectError, match="input_dtype='int64'"):
        ri.inspect(EmbeddingLSTM(), input_shape=(T,), device="cpu")


def test_a_bad_input_dtype_is_refused_before_any_work(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "summary", "resnet18", "--input-dtype", "int65")
    assert r.code == 2
    assert r.err.startswith("resnet-inspect: error: --input-dtype 'int65': use one of int64,")


@pytest.mark.parametrize("command", ["summary", "compare", "check", "diagram", "report"])
def test_every_command_with_input_takes_input_dtype(capsys: pytest.CaptureFixture[str],
                                                    command: str) -> None:
    r = run_cli(capsys, command, "--help")
    assert "--input-dtype" in r.out and "--input " in r.out


def test_ids_are_drawn_below_the_smallest_embedding() -> None:
    model = TinyBert()  # word 100, position 16, token type 2: only 0 and 1 fit all three
    assert token_limit(model) == 2
    ids = made_input(TinyGPT2(), (4, 1000), torch.int64, torch.device("cpu"))
    assert ids.dtype == torch.int64 and int(ids.min()) == 0 and int(ids.max()) == T - 1
    # the same ids on every run, so timings of what reads them repeat
    again = made_input(TinyGPT2(), (4, 1000), torch.int64, torch.device("cpu"))
    assert torch.equal(ids, again)
    assert made_input(model, (1, 3), torch.bool, torch.device("cpu")).all()


def test_example_input_as_keyword_arguments() -> None:
    ids = torch.randint(2, (2, T))
    mask = torch.ones(2, T, dtype=torch.long)
    report = ri.inspect(TinyBert(), example_input={"input_ids": ids, "attention_mask": mask},
                        device="cpu")
    assert report.input_shape == [2, T]
    assert report.totals.macs == 2 * BERT_MACS  # batch 2
    assert report.memory.input_bytes == 2 * T * 8  # int64 ids
    on_meta = ri.inspect(TinyBert(), example_input=(ids,))
    assert on_meta.totals.macs == 2 * BERT_MACS


def test_outputs_that_are_tuples_dicts_and_dataclasses() -> None:
    # LSTM: (logits, (h, c)); its 16 steps x (4 gates x 32 x 32, input and hidden) MACs
    lstm = ri.inspect(EmbeddingLSTM(), input_shape=(T,), input_dtype="long", device="cpu")
    assert lstm.totals.macs == T * 2 * 4 * DIM * DIM + DIM * 2 == 131_136
    # a training step backs through a ModelOutput's logits. Every product's two operands
    # need a gradient (a weight, and an activation downstream of the embedding's weight),
    # so the backward runs two products for each of the forward's: 2 x 477,184
    step = ri.inspect(TinyGPT2(), input_shape=(T,), input_dtype="int32", train=True)
    assert step.training_memory is not None
    assert step.totals.backward_macs == 2 * GPT2_MACS
    rows = {r.name: r for r in step.layers}
    assert rows["lm_head"].output_shape == [1, T, VOCAB]
