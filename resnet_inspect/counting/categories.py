"""The categories every count falls into: defined once, here, without importing torch.

Every renderer, export and the cross-check read their names, labels and units from this
module, so a category is added or renamed in one place.

- conv, linear and attention are multiply-accumulate work (products): their MACs make the
  headline (the ResNet paper's "FLOPs (multiply-adds)", torchvision's GFLOPS).
- norm is one fused multiply-add per element in eval mode: MACs, outside the headline.
- activation, pool (pooling and mean/sum reductions) and elementwise (the residual add,
  and any other add, sub, mul, div) are not multiply-accumulates: FLOPs only.
- other is work with no arithmetic (views, reshapes, copies, padding, concatenation).
- unsupported is an operator with arithmetic and no formula: it is named with its call
  count in every report, never counted as zero in silence.
"""

from __future__ import annotations

from enum import Enum


class Category(str, Enum):
    CONV = "conv"
    LINEAR = "linear"  # mm / addmm: weights applied to activations (nn.Linear, F.linear, x @ W)
    ATTENTION = "attention"  # bmm / baddbmm / scaled-dot-product: activations times activations
    NORM = "norm"
    ACTIVATION = "activation"
    POOL = "pool"
    ELEMENTWISE = "elementwise"  # the residual add lives here
    OTHER = "other"  # no arithmetic
    UNSUPPORTED = "unsupported"


class Headline(str, Enum):
    """What the headline MACs count (`--count`)."""

    CONV = "conv"  # conv + linear + attention products: torchvision's and the paper's figure
    CONV_NORM = "conv+norm"
    ALL = "all"  # every category: FLOPs then include the ops that are not MACs


# The categories with a formula, in the order tables show them: every one but other and
# unsupported.
# The products: conv, linear and attention, whose multiply-accumulates are the paper's
# and torchvision's figure (the default headline).
PRODUCTS: tuple[Category, ...] = (Category.CONV, Category.LINEAR, Category.ATTENTION)
COUNTED: tuple[Category, ...] = (*PRODUCTS, Category.NORM, Category.ACTIVATION, Category.POOL,
                                 Category.ELEMENTWISE)
# Every category's name, for a rollup that counts all of a row's work.
EVERY_CATEGORY: tuple[str, ...] = tuple(c.value for c in Category)

HEADLINE_CATEGORIES: dict[Headline, tuple[Category, ...]] = {
    Headline.CONV: PRODUCTS,
    Headline.CONV_NORM: (*PRODUCTS, Category.NORM),
    Headline.ALL: COUNTED,
}

# Categories whose work is multiply-accumulates (shown in MACs); the rest are FLOPs only.
MAC_CATEGORIES = (*PRODUCTS, Category.NORM)

# Words for prose and footers ("batch-norm 16.23 M MACs") and short column headers.
LABEL: dict[str, str] = {
    "conv": "conv",
    "linear": "fc",
    "attention": "attention",
    "norm": "batch-norm",
    "activation": "activations",
    "pool": "pooling",
    "elementwise": "elementwise",
    "other": "other",
    "unsupported": "no formula",
}
SHORT: dict[str, str] = {
    "conv": "conv",
    "linear": "fc",
    "attention": "attn",
    "norm": "BN",
    "activation": "act",
    "pool": "pool",
    "elementwise": "elem",
    "other": "other",
    "unsupported": "?",
}
HEADLINE_LABEL: dict[str, str] = {"conv": "conv+fc", "conv+norm": "conv+fc+bn", "all": "all ops"}
# A unit's word in headers: "conv\nMACs", "act\nFLOPs".
UNIT_LABEL: dict[str, str] = {"macs": "MACs", "flops": "FLOPs"}


def unit(category: str) -> str:
    """'macs' for multiply-accumulate categories, 'flops' for the rest."""
    return "macs" if category in {c.value for c in MAC_CATEGORIES} else "flops"


def headline_values(headline: str) -> tuple[str, ...]:
    return tuple(c.value for c in HEADLINE_CATEGORIES[Headline(headline)])


def label(category: str, batch_norm: bool = True) -> str:
    """The category's word for prose and footers; 'norm' rather than 'batch-norm' where
    norms other than batch-norm ran (`batch_norm` False)."""
    if category == Category.NORM and not batch_norm:
        return Category.NORM.value
    return LABEL[category]


def headline_label(headline: str, attention: bool = False) -> str:
    """'conv+fc' (the paper's and torchvision's figure), naming attention where a network
    has it (`attention`), so the label always says what the headline holds."""
    text = HEADLINE_LABEL[headline]
    if headline != Headline.ALL.value and attention:
        text = text.replace("conv+fc", "conv+fc+attn")
    return text
