"""Operator-level counting: one registry, one small formula per ATen operator family.

The tracer (trace/counter.py) sees every ATen operator a forward pass runs, through a
TorchDispatchMode, and asks this registry what each one costs. That is why a model's own
`forward` is counted as well as its layers: `F.linear`, `q @ k.transpose(-2, -1)`,
`out += identity` and attention all arrive here as the same few operators.

Convention, stated once and printed with every report:
- A MAC is one multiply-accumulate. The headline is the MACs of products: convolution,
  matmuls with a weight (mm, addmm: `nn.Linear`, `F.linear`, `x @ W`) and batched matmuls
  (bmm, baddbmm, scaled-dot-product attention). That is the ResNet paper's "FLOPs
  (multiply-adds)" and torchvision's GFLOPS. FLOPs = 2 x MACs for them, as
  torch.utils.flop_counter counts. Biases are not counted.
- Batch-norm in eval mode folds to y = x * scale + shift: 1 MAC per element. A norm that
  computes its statistics (layer, group, instance, RMS norm, batch-norm in training) counts
  4 MACs per element with a scale and shift (mean, variance, normalise, scale-and-shift), 3
  without; RMS norm 2 and 1 (mean square, normalise [, scale]).
- Activations are 1 FLOP per element, softmax and log-softmax 5 (max, subtract, exp, sum,
  divide). Max pooling counts k - 1 comparisons per output, average pooling k (k - 1 adds
  and a divide), reductions (mean, sum, max) one per input element. Elementwise arithmetic
  (the residual add among it) is 1 FLOP per output element, 2 for fused ones (addcmul).
  Interpolation counts the products and sums per output (bilinear 7, bicubic 31); nearest
  neighbour copies and counts none.
- Distances, FFTs, grid sampling, linear solves, embedding bags and top-k have their own
  conventions, each with its source, in special.py (and docs/counting.md).
- Operators that only move or view data are an explicit list (`NO_ARITHMETIC`). Anything
  else has no formula: the report names it with its call count, never a silent zero.

Formulas take shapes, never tensors, so they run the same on every device, meta included.
"""

from resnet_inspect.counting import backward, forward, special  # noqa: F401  (they fill it)
from resnet_inspect.counting.registry import (
    FORMULAS,
    NO_ARITHMETIC,
    Counts,
    Formula,
    OpCount,
    apply,
    counts_for,
    formula,
    no_arithmetic,
    numel,
    op_name,
    shapes_of,
)

__all__ = ["FORMULAS", "NO_ARITHMETIC", "Counts", "Formula", "OpCount", "apply", "counts_for",
           "formula", "no_arithmetic", "numel", "op_name", "shapes_of"]
