"""Formulas of operators beyond the common layers: pairwise distances, FFTs, grid sampling,
linear solves, embedding bags and top-k. Each states its convention and its source; the
table of conventions is in docs/counting.md."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from resnet_inspect.counting.categories import Category
from resnet_inspect.counting.registry import (
    OpCount,
    Shape,
    arg,
    aten,
    formula,
    mac,
    no_arithmetic,
    numel,
    packets,
)

# ----------------------------------------------------------------------- distances


@formula(aten._cdist_forward, aten._euclidean_dist)
def pairwise_distance(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # x1 [*, P, M] against x2 [*, R, M] -> [*, P, R]: one multiply-accumulate per
    # coordinate of each pair, B x P x R x M MACs, however the kernel does it (the
    # Euclidean path is a matmul of the two point sets, the others a loop over pairs).
    # Activations times activations, as bmm: the attention category.
    return mac(Category.ATTENTION, numel(out) * args[0][-1])


# ---------------------------------------------------------------------------- FFTs
# A complex FFT of N points costs 5 N log2 N real FLOPs, a real-input or real-output one
# half that: the radix-2 count FFTW's benchmarks use for every size and dimension ("for
# non-power-of-two sizes this is not the actual flop count, but a convenient scaling",
# https://www.fftw.org/speed/method.html). N is the product of the transformed sizes;
# the other axes are a batch of transforms. A normalised transform ("ortho", or the
# inverse's 1/N) adds one multiply per real output component. Rounded to the integer.


def _fft(points: int, batch: int, complex_in_and_out: bool) -> int:
    if points < 2:
        return 0
    per_transform = (5 if complex_in_and_out else 2.5) * points * math.log2(points)
    return round(per_transform * batch)


def _scaled(normalization: int, real_components: int) -> int:
    return real_components if normalization else 0


@formula(aten._fft_c2c)
def fft_c2c(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    x, dims, norm = args[0], arg(args, kwargs, 1, "dim"), arg(args, kwargs, 2, "normalization")
    points = numel([x[d] for d in dims])
    flops = _fft(points, numel(x) // points, True) + _scaled(norm, 2 * numel(out))
    return OpCount(Category.ELEMENTWISE, 0, flops)


@formula(aten._fft_r2c)
def fft_r2c(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    x, dims, norm = args[0], arg(args, kwargs, 1, "dim"), arg(args, kwargs, 2, "normalization")
    points = numel([x[d] for d in dims])  # the real input's sizes
    flops = _fft(points, numel(x) // points, False) + _scaled(norm, 2 * numel(out))
    return OpCount(Category.ELEMENTWISE, 0, flops)


@formula(aten._fft_c2r)
def fft_c2r(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    dims, norm = arg(args, kwargs, 1, "dim"), arg(args, kwargs, 2, "normalization")
    points = numel([out[d] for d in dims])  # the real output's sizes (last_dim_size)
    flops = _fft(points, numel(out) // points, False) + _scaled(norm, numel(out))
    return OpCount(Category.ELEMENTWISE, 0, flops)


# ------------------------------------------------------------------------ sampling
# grid_sample interpolates as upsampling does (ops.py): per output element 4 products and
# 3 sums bilinear (8 and 7 trilinear), 16 and 15 bicubic, nearest a copy.
_SAMPLER_2D = {0: 7, 1: 0, 2: 31}  # interpolation_mode: bilinear, nearest, bicubic
_SAMPLER_3D = {0: 15, 1: 0}  # trilinear, nearest


@formula(aten.grid_sampler_2d, *packets(["_grid_sampler_2d_cpu_fallback"]))
def grid_sampler_2d(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    mode = arg(args, kwargs, 2, "interpolation_mode")
    return OpCount(Category.POOL, 0, _SAMPLER_2D[mode] * numel(out))


@formula(aten.grid_sampler_3d)
def grid_sampler_3d(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    mode = arg(args, kwargs, 2, "interpolation_mode")
    return OpCount(Category.POOL, 0, _SAMPLER_3D[mode] * numel(out))


@formula(aten.affine_grid_generator)
def affine_grid(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # theta [N, 2, 3] (3-D: [N, 3, 4]) maps every output point's homogeneous coordinates
    # to its sampling coordinates: a [D + 1] x [D + 1, D] product per point, D (D + 1)
    # multiply-adds; a FLOPs count beside the sampling it feeds, outside the headline
    dims = out[-1]
    points = numel(out) // dims
    return OpCount(Category.POOL, 0, 2 * points * dims * (dims + 1))


# ----------------------------------------------------------------------- linear algebra


@formula(aten._linalg_solve_ex)
def linalg_solve(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # A [*, n, n] X = B [*, n, k] (or [*, n]) by LU with partial pivoting, counted as in
    # Golub & Van Loan, Matrix Computations (4th ed.), 3.1-3.2: the factorisation takes
    # sum_{j<n} j^2 multiply-subtracts and j divisions (~2n^3/3 flops), each right-hand
    # side a forward (unit lower) and a back substitution, n(n-1) multiply-subtracts and n
    # divisions. MACs count the multiply-subtracts; FLOPs add the divisions.
    a, n = args[0], args[0][-1]
    batch = numel(a) // (n * n)
    k = numel(out) // (batch * n)  # right-hand sides per matrix (B's other axis)
    lu_macs, lu_div = (n - 1) * n * (2 * n - 1) // 6, n * (n - 1) // 2
    solve_macs, solve_div = k * n * (n - 1), k * n
    macs = batch * (lu_macs + solve_macs)
    return OpCount(Category.LINEAR, macs, 2 * macs + batch * (lu_div + solve_div))


# ----------------------------------------------------------------- gathers with sums


@formula(aten._embedding_bag, aten._embedding_bag_forward_only)
def embedding_bag(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # every looked-up row is added into (or, mode max, compared with) its bag, one FLOP
    # per gathered element as reductions count; a mean divides each bag's sum once; a
    # per-sample weight multiplies each gathered element first
    indices, dim = args[1], out[-1]
    mode = arg(args, kwargs, 4, "mode", 0)
    weighted = arg(args, kwargs, 6, "per_sample_weights") is not None
    gathered = numel(indices) * dim
    flops = gathered * (2 if weighted else 1) + (numel(out) if mode == 1 else 0)
    return OpCount(Category.POOL, 0, flops)


@formula(aten.topk)
def topk(args: Sequence[Any], kwargs: dict[str, Any], out: Shape) -> OpCount:
    # a selection with a binary heap of the k best: each input element is compared with
    # the heap's root, and one that enters sifts down log2 k levels, ceil(log2(k + 1))
    # comparisons per element at most; k = 1 is max's one per element
    x, k = args[0], arg(args, kwargs, 1, "k")
    return OpCount(Category.POOL, 0, numel(x) * max(1, math.ceil(math.log2(k + 1))))


# make data (an identity matrix), or check a result's error codes: no arithmetic
no_arithmetic(*packets(["eye", "_linalg_check_errors"]))
