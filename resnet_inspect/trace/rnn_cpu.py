"""Torch's unfused RNN path as the CPU runs it, for a training step traced on meta.

Where no oneDNN kernel runs (nn.GRU, a plain nn.RNN, an nn.LSTM with projections), torch's
unfused C++ path on CPU computes each layer's input gates for the whole sequence in one
product and holds them through the layer's steps; on meta (no CPU) it computes them step
by step, so a meta step held less (a 2-layer GRU 256, T=20, batch 128: 6.6% under a real
step). Op logs of a CPU call and a meta call show the two orders; the operators and their
FLOPs are the same. A step on meta runs the CPU's order here, operator by operator, so
that its memory is counted as a CPU step's (`unfused_as_cpu`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

# a cell: (the step's input gates, the state, its weights) -> the new state
Cell = Callable[[torch.Tensor, tuple[torch.Tensor, ...], list[Any]], tuple[torch.Tensor, ...]]


def _lstm_cell(gates_in: torch.Tensor, state: tuple[torch.Tensor, ...],
               w: list[Any]) -> tuple[torch.Tensor, ...]:
    """An LSTM step with projections: the gates in place over h W_hh^T + b_hh, the cell,
    then the projection."""
    h, c = state
    w_hh, b_hh, w_hr = w
    i, f, g, o = F.linear(h, w_hh, b_hh).add_(gates_in).unsafe_chunk(4, 1)
    i, f, g, o = i.sigmoid_(), f.sigmoid_(), g.tanh_(), o.sigmoid_()
    c = (f * c).add_(i * g)
    return torch.matmul(o * c.tanh(), w_hr.t()), c


def _gru_cell(gates_in: torch.Tensor, state: tuple[torch.Tensor, ...],
              w: list[Any]) -> tuple[torch.Tensor, ...]:
    """A GRU step: reset and update gates in place over h W_hh^T + b_hh, then the new
    gate and the state."""
    (h,) = state
    w_hh, b_hh = w[0], w[1]
    i_r, i_z, i_n = gates_in.unsafe_chunk(3, 1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).unsafe_chunk(3, 1)
    r = h_r.add_(i_r).sigmoid_()
    z = h_z.add_(i_z).sigmoid_()
    n = i_n.add(h_n.mul_(r)).tanh_()
    return ((h - n).mul_(z).add_(n),)


def _simple_cell(act: Callable[[torch.Tensor], torch.Tensor]) -> Cell:
    """A plain RNN step with activation act over h W_hh^T + b_hh + the input's part."""
    def cell(gates_in: torch.Tensor, state: tuple[torch.Tensor, ...],
             w: list[Any]) -> tuple[torch.Tensor, ...]:
        return (act(F.linear(state[0], w[0], w[1]).add_(gates_in)),)
    return cell


def _direction(cell: Cell, gates_in: torch.Tensor, state: tuple[torch.Tensor, ...],
               w: list[Any], reverse: bool) -> tuple[Any, ...]:
    """One direction of one layer, from the input's gates for the whole sequence."""
    outs = []
    steps = gates_in.unbind(0)
    for t in (reversed(range(len(steps))) if reverse else range(len(steps))):
        state = cell(steps[t], state, w)
        outs.append(state[0])
    if reverse:
        outs.reverse()
    return torch.stack(outs), state


def _layers_as_cpu(cell: Cell, x: torch.Tensor, h0: tuple[torch.Tensor, ...],
                   params: list[torch.Tensor], has_biases: bool, shape: tuple[Any, ...]) -> Any:
    """The layers of one unfused call, each direction's input gates made in one product
    (while the last direction's are still held) and held until the layer's output is
    made; shape: (num_layers, dropout, train, bidirectional)."""
    num_layers, dropout, train, bidirectional = shape
    dirs = 2 if bidirectional else 1
    per = len(params) // (num_layers * dirs)
    finals: list[tuple[torch.Tensor, ...]] = []
    rows = [h.unbind(0) for h in h0]  # as torch's path takes each layer's state
    y = x
    for layer in range(num_layers):
        outs, ins = [], None
        for d in range(dirs):
            p = params[(layer * dirs + d) * per:(layer * dirs + d + 1) * per]
            b_ih, b_hh = (p[2], p[3]) if has_biases else (None, None)
            ins = F.linear(x, p[0], b_ih)
            y, state = _direction(cell, ins, tuple(h[layer * dirs + d] for h in rows),
                                  [p[1], b_hh, p[-1]], d == 1)
            outs.append(y)
            finals.append(state)
        y = torch.cat(outs, -1) if dirs == 2 else outs[0]
        del ins  # held until the layer's output is made
        x = y if not (dropout and train and layer < num_layers - 1) \
            else torch.dropout(y, dropout, True)
    return y, *(torch.stack([s[k] for s in finals]) for k in range(len(h0)))


_CELLS: dict[Any, tuple[Cell, int]] = {  # the cell, and its weights a direction with biases
    torch.lstm: (_lstm_cell, 5), torch.gru: (_gru_cell, 4),
    torch.rnn_tanh: (_simple_cell(torch.tanh), 4), torch.rnn_relu: (_simple_cell(torch.relu), 4)}


def unfused_as_cpu(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A batched torch.gru, rnn_tanh or rnn_relu call (or torch.lstm with projections),
    float32 on meta, run as the CPU runs it; None for any other call (packed ones too)."""
    if func not in _CELLS or kwargs or len(args) != 9 or not isinstance(args[2], (list, tuple)) \
            or not isinstance(args[3], bool):
        return None
    x, hx, params, has_biases, num_layers, dropout, train, bidirectional, first = args
    cell, per = _CELLS[func]
    state = tuple(hx) if isinstance(hx, (list, tuple)) else (hx,)
    per = (per if has_biases else per - 2) * (2 if bidirectional else 1)
    if not (isinstance(x, torch.Tensor) and x.is_meta and x.dtype == torch.float32
            and x.dim() == 3 and len(params) == per * num_layers
            and len(state) == (2 if func is torch.lstm else 1)):
        return None
    out = _layers_as_cpu(cell, x.transpose(0, 1) if first else x, state, list(params),
                         has_biases, (num_layers, dropout, train, bidirectional))
    return (out[0].transpose(0, 1) if first else out[0], *out[1:])
