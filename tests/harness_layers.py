"""Harness rows of norms, pooling, reductions, interpolation and the operators beyond the
common layers (distances, FFTs, sampling, solves, embedding bags, top-k). torch's counter
counts none of them, so each reference is a closed form worked out in the row, from the
convention in docs/counting.md."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from tests.harness import (
    Row,
    aten,
    backward_of,
    direct,
    fixed,
    flops,
    m,
    macs,
)

NORM, POOL, ATT, LINEAR, ELEM = "norm", "pool", "attention", "linear", "elementwise"
X = (2, 3, 4, 4)  # 96 elements


def _bn(training: bool, affine: bool = True) -> torch.Tensor:
    w = m(3) if affine else None
    return F.batch_norm(m(*X), m(3), m(3), w, w, training=training)


ROWS: list[Row] = [
    # ---- norms: eval batch-norm 1 MAC per element; with statistics 4 (affine), 3 (not)
    Row(aten.native_batch_norm, lambda: _bn(False), fixed(macs(NORM, 96)), "eval"),
    Row(aten.native_batch_norm, lambda: _bn(True), fixed(macs(NORM, 4 * 96)), "train"),
    Row(aten.native_batch_norm, lambda: _bn(True, False), fixed(macs(NORM, 3 * 96)),
        "train-no-affine"),
    Row(aten._native_batch_norm_legit, lambda: aten._native_batch_norm_legit.no_stats(
        m(*X), None, None, True, 0.1, 1e-5), fixed(macs(NORM, 3 * 96)), "no-stats"),
    Row(aten._native_batch_norm_legit, lambda: aten._native_batch_norm_legit(
        m(*X), m(3), m(3), m(3), m(3), False, 0.1, 1e-5), fixed(macs(NORM, 96)), "eval"),
    Row(aten._native_batch_norm_legit_no_training, lambda: aten.
        _native_batch_norm_legit_no_training(m(*X), m(3), m(3), m(3), m(3), 0.1, 1e-5),
        fixed(macs(NORM, 96)), "eval"),
    Row(aten._native_batch_norm_legit_functional, lambda: aten.
        _native_batch_norm_legit_functional(m(*X), m(3), m(3), m(3), m(3), True, 0.1, 1e-5),
        fixed(macs(NORM, 4 * 96)), "train"),
    Row(aten.cudnn_batch_norm, lambda: aten.cudnn_batch_norm(
        m(*X), m(3), m(3), m(3), m(3), True, 0.1, 1e-5), fixed(macs(NORM, 4 * 96)), "train"),
    Row(aten.miopen_batch_norm, lambda: aten.miopen_batch_norm(
        m(*X), m(3), m(3), m(3), m(3), False, 0.1, 1e-5), fixed(macs(NORM, 96)), "eval"),
    Row(aten.native_layer_norm, lambda: F.layer_norm(m(2, 5, 8), [8], m(8), m(8)),
        fixed(macs(NORM, 4 * 80)), "affine"),
    Row(aten.native_layer_norm, lambda: F.layer_norm(m(5, 8), [5, 8]),
        fixed(macs(NORM, 3 * 40)), "unbatched-plain"),
    Row(aten.native_group_norm, lambda: F.group_norm(m(2, 6, 3, 3), 2, m(6), m(6)),
        fixed(macs(NORM, 4 * 108)), "affine"),
    # _fused_rms_norm is decomposed before the dispatcher on meta and CPU: given as shapes
    # mean square + normalise (2), a scale (3): [2, 5, 8] = 80 elements
    Row(aten._fused_rms_norm, direct(aten._fused_rms_norm, (m(2, 5, 8), [8], m(8), 1e-5),
                                     (2, 5, 8)), fixed(macs(NORM, 3 * 80)), "scale"),
    Row(aten._fused_rms_norm, direct(aten._fused_rms_norm, (m(2, 5, 8), [8], None, 1e-5),
                                     (2, 5, 8)), fixed(macs(NORM, 2 * 80)), "plain"),
    # ---- norm backward: 4 MACs per input element (two reductions and the combination)
    Row(aten.native_batch_norm_backward, lambda: backward_of(F.batch_norm(
        m(*X, grad=True), m(3), m(3), m(3, grad=True), m(3, grad=True), training=True)),
        fixed(macs(NORM, 4 * 96)), "train"),
    Row(aten.native_layer_norm_backward, lambda: backward_of(F.layer_norm(
        m(2, 5, 8, grad=True), [8], m(8, grad=True))), fixed(macs(NORM, 4 * 80)), "affine"),
    Row(aten.native_group_norm_backward, lambda: backward_of(F.group_norm(
        m(2, 6, 3, 3, grad=True), 3)), fixed(macs(NORM, 4 * 108)), "plain"),
    Row(aten.cudnn_batch_norm_backward, lambda: backward_of(aten.cudnn_batch_norm(
        m(*X, grad=True), m(3, grad=True), m(3), m(3), m(3), True, 0.1, 1e-5)),
        fixed(macs(NORM, 4 * 96)), "train"),
    Row(aten.miopen_batch_norm_backward, lambda: backward_of(aten.miopen_batch_norm(
        m(*X, grad=True), m(3, grad=True), m(3), m(3), m(3), True, 0.1, 1e-5)),
        fixed(macs(NORM, 4 * 96)), "train"),
    Row(aten.batch_norm_backward, lambda: aten.batch_norm_backward(
        m(*X), m(*X), m(3), m(3), m(3), m(3), m(3), True, 1e-5, [True, True, True], m(0)),
        fixed(macs(NORM, 4 * 96)), "train"),
    Row(aten._fused_rms_norm_backward, direct(aten._fused_rms_norm_backward, (
        m(2, 5, 8), m(2, 5, 8), [8], m(2, 5, 1), m(8), [True, True]), (2, 5, 8)),
        fixed(macs(NORM, 4 * 80)), "scale"),
]

# ---- pooling: the window's size from the operator, never the input's rank
ROWS += [
    # [1, 2, 7, 7], 3x3 stride 2 pad 1: out 1 x 2 x 4 x 4 = 32 x (9 - 1) = 256
    Row(aten.max_pool2d_with_indices, lambda: F.max_pool2d(m(1, 2, 7, 7, grad=True), 3, 2, 1),
        fixed(flops(POOL, 256)), "batched"),
    # unbatched [2, 6, 6], 3x3: out 2 x 2 x 2 = 8 x (9 - 1) = 64 (the 16 was 3 - 1)
    Row(aten.max_pool2d_with_indices, lambda: F.max_pool2d(m(2, 6, 6), 3),
        fixed(flops(POOL, 64)), "unbatched"),
    # max_pool2d, max_pool1d(_with_indices), max_pool3d and avg_pool1d are decomposed
    # before the dispatcher in this torch (into the _with_indices 2-d and 3-d kernels,
    # and avg_pool2d): their calls are given as shapes
    Row(aten.max_pool2d, direct(aten.max_pool2d, (m(2, 6, 6), [3, 3]), (2, 2, 2)),
        fixed(flops(POOL, 64)), "unbatched"),
    Row(aten.max_pool1d, direct(aten.max_pool1d, (m(2, 3, 9), [3]), (2, 3, 3)),
        fixed(flops(POOL, 36)), "1d"),  # out 2 x 3 x 3 = 18 x (3 - 1)
    Row(aten.max_pool1d_with_indices, direct(aten.max_pool1d_with_indices, (m(3, 8), [2]),
                                             (3, 4)),
        fixed(flops(POOL, 12)), "unbatched"),  # out 3 x 4 = 12 x (2 - 1)
    # 3-d 2x2x2 on [1, 1, 4, 4, 4]: out 8 x 7 = 56; unbatched [1, 4, 4, 4] the same
    Row(aten.max_pool3d_with_indices, lambda: F.max_pool3d(m(1, 1, 4, 4, 4, grad=True), 2),
        fixed(flops(POOL, 56)), "batched"),
    Row(aten.max_pool3d, direct(aten.max_pool3d, (m(1, 4, 4, 4), 2), (1, 2, 2, 2)),
        fixed(flops(POOL, 56)), "unbatched"),
    # average: k per output; [1, 2, 6, 6] 2x2: out 2 x 3 x 3 = 18 x 4 = 72; unbatched 72
    Row(aten.avg_pool2d, lambda: F.avg_pool2d(m(1, 2, 6, 6, grad=True), 2),
        fixed(flops(POOL, 72)), "batched"),
    Row(aten.avg_pool2d, lambda: F.avg_pool2d(m(2, 6, 6), 2), fixed(flops(POOL, 72)),
        "unbatched"),
    Row(aten.avg_pool1d, direct(aten.avg_pool1d, (m(2, 8), [4]), (2, 2)),
        fixed(flops(POOL, 16)), "unbatched"),  # out 2 x 2 = 4 x 4
    Row(aten.avg_pool3d, lambda: F.avg_pool3d(m(1, 1, 4, 4, 4, grad=True), 2),
        fixed(flops(POOL, 64)), "batched"),  # out 8 x 8
    # backward: max adds each gradient at its argmax (1 per grad_out); average spreads
    # each over its window (k per grad_out)
    Row(aten.max_pool2d_with_indices_backward, lambda: backward_of(F.max_pool2d(
        m(1, 2, 7, 7, grad=True), 3, 2, 1)), fixed(flops(POOL, 32)), "batched"),
    Row(aten.max_pool3d_with_indices_backward, lambda: backward_of(F.max_pool3d(
        m(1, 1, 4, 4, 4, grad=True), 2)), fixed(flops(POOL, 8)), "batched"),
    Row(aten.avg_pool2d_backward, lambda: backward_of(F.avg_pool2d(m(2, 6, 6, grad=True), 2)),
        fixed(flops(POOL, 72)), "unbatched"),  # 18 grad_out x 4
    Row(aten.avg_pool3d_backward, lambda: backward_of(F.avg_pool3d(
        m(1, 4, 4, 4, grad=True), 2)), fixed(flops(POOL, 64)), "unbatched"),  # 8 x 8
    Row(aten._adaptive_avg_pool2d_backward, lambda: backward_of(F.adaptive_avg_pool2d(
        m(1, 2, 6, 6, grad=True), 2)), fixed(flops(POOL, 72)), "batched"),  # 1 per input
    Row(aten._adaptive_avg_pool3d_backward, lambda: backward_of(F.adaptive_avg_pool3d(
        m(1, 1, 4, 4, 4, grad=True), 2)), fixed(flops(POOL, 64)), "batched"),
]

# ---- reductions: one per input element ([2, 3, 4, 4] = 96); variance 3 per element
_R = (2, 3, 4, 4)
ROWS += [
    Row(aten._adaptive_avg_pool2d, lambda: F.adaptive_avg_pool2d(m(*_R), 2),
        fixed(flops(POOL, 96)), "2x2"),
    Row(aten._adaptive_avg_pool3d, lambda: F.adaptive_avg_pool3d(m(1, 2, 4, 4, 3), 2),
        fixed(flops(POOL, 96)), "3d"),
    Row(aten.adaptive_max_pool2d, lambda: F.adaptive_max_pool2d(m(*_R), 2),
        fixed(flops(POOL, 96)), "2x2"),
    Row(aten.adaptive_max_pool3d, lambda: F.adaptive_max_pool3d(m(1, 2, 4, 4, 3), 1),
        fixed(flops(POOL, 96)), "global"),
    *[Row(getattr(aten, name), fn, fixed(flops(POOL, 96)), name) for name, fn in [
        ("mean", lambda: m(*_R).mean((2, 3))), ("sum", lambda: m(*_R).sum()),
        ("amax", lambda: m(*_R).amax(1)), ("amin", lambda: m(*_R).amin(-1)),
        ("max", lambda: m(*_R).max(1)), ("min", lambda: m(*_R).min()),
        ("argmax", lambda: m(*_R).argmax(0)), ("argmin", lambda: m(*_R).argmin()),
        ("prod", lambda: m(*_R).prod(2)), ("logsumexp", lambda: m(*_R).logsumexp(1)),
        ("cumsum", lambda: m(*_R).cumsum(3)), ("norm", lambda: aten.norm(m(*_R), 2)),
        ("linalg_vector_norm", lambda: torch.linalg.vector_norm(m(*_R), dim=1)),
        ("any", lambda: m(*_R, dtype=torch.bool).any(1)),
        ("all", lambda: m(*_R, dtype=torch.bool).all())]],
    *[Row(getattr(aten, name), fn, fixed(flops(POOL, 3 * 96)), name) for name, fn in [
        ("var", lambda: m(*_R).var(1)), ("std", lambda: m(*_R).std()),
        ("var_mean", lambda: torch.var_mean(m(*_R), 2)),
        ("std_mean", lambda: torch.std_mean(m(*_R)))]],
]

# ---- interpolation: per output element, linear 3, bilinear 7, trilinear 15, bicubic 31;
# the backward is the transposed map: the same per element of grad_out
_UP = {"linear": (m(1, 2, 5), 3, (10,)), "bilinear": (m(1, 2, 3, 5), 7, (6, 10)),
       "trilinear": (m(1, 1, 2, 3, 5), 15, (4, 6, 10)), "bicubic": (m(1, 2, 3, 5), 31, (6, 10))}


def _up(mode: str, antialias: bool = False, grad: bool = False) -> torch.Tensor:
    x, _, size = _UP[mode]
    x = x.detach().requires_grad_(grad)
    return F.interpolate(x, size=size, mode=mode, align_corners=False, antialias=antialias)


# outputs: linear 1 x 2 x 10 = 20; bilinear and bicubic 1 x 2 x 6 x 10 = 120; trilinear
# 1 x 1 x 4 x 6 x 10 = 240
ROWS += [
    Row(aten.upsample_linear1d, lambda: _up("linear"), fixed(flops(POOL, 3 * 20)), "x2"),
    Row(aten.upsample_bilinear2d, lambda: _up("bilinear"), fixed(flops(POOL, 7 * 120)), "x2"),
    Row(aten._upsample_bilinear2d_aa, lambda: _up("bilinear", True),
        fixed(flops(POOL, 7 * 120)), "x2"),
    Row(aten.upsample_trilinear3d, lambda: _up("trilinear"), fixed(flops(POOL, 15 * 240)),
        "x2"),
    Row(aten.upsample_bicubic2d, lambda: _up("bicubic"), fixed(flops(POOL, 31 * 120)), "x2"),
    Row(aten._upsample_bicubic2d_aa, lambda: _up("bicubic", True),
        fixed(flops(POOL, 31 * 120)), "x2"),
    Row(aten.upsample_linear1d_backward, lambda: backward_of(_up("linear", grad=True)),
        fixed(flops(POOL, 3 * 20)), "x2"),
    # the case: a forward of 448 FLOPs had a backward of 112 (per grad_input)
    Row(aten.upsample_bilinear2d_backward, lambda: backward_of(_up("bilinear", grad=True)),
        fixed(flops(POOL, 7 * 120)), "x2"),
    Row(aten._upsample_bilinear2d_aa_backward, lambda: backward_of(
        _up("bilinear", True, grad=True)), fixed(flops(POOL, 7 * 120)), "x2"),
    Row(aten.upsample_trilinear3d_backward, lambda: backward_of(_up("trilinear", grad=True)),
        fixed(flops(POOL, 15 * 240)), "x2"),
    Row(aten.upsample_bicubic2d_backward, lambda: backward_of(_up("bicubic", grad=True)),
        fixed(flops(POOL, 31 * 120)), "x2"),
    Row(aten._upsample_bicubic2d_aa_backward, lambda: backward_of(
        _up("bicubic", True, grad=True)), fixed(flops(POOL, 31 * 120)), "x2"),
    # nearest copies forward; its backward adds each gradient to its source: 1 per grad_out
    Row(aten.upsample_nearest1d_backward, lambda: backward_of(F.interpolate(
        m(1, 2, 5, grad=True), scale_factor=2)), fixed(flops(POOL, 20)), "x2"),
    Row(aten.upsample_nearest2d_backward, lambda: backward_of(F.interpolate(
        m(1, 2, 3, 5, grad=True), scale_factor=2)), fixed(flops(POOL, 120)), "x2"),
    Row(aten.upsample_nearest3d_backward, lambda: backward_of(F.interpolate(
        m(1, 1, 2, 3, 5, grad=True), scale_factor=2)), fixed(flops(POOL, 240)), "x2"),
]


# ---- beyond the common layers (conventions and sources in docs/counting.md)
def _fft(n: int, batch: int, complex_io: bool) -> int:
    # FFTW's 5 N log2 N (complex) or 2.5 N log2 N (real in or out) per transform
    return round((5 if complex_io else 2.5) * n * math.log2(n) * batch)


_GRID = (2, 4, 5, 2)  # N, H_out, W_out, 2 -> outputs 2 x 3 x 4 x 5 = 120 for C = 3
ROWS += [
    # cdist [2, 5, 3] to [2, 4, 3]: 2 x 5 x 4 pairs x 3 coordinates = 120 MACs
    Row(aten._cdist_forward, lambda: torch.cdist(m(2, 5, 3), m(2, 4, 3), p=1),
        fixed(macs(ATT, 120)), "p1"),
    Row(aten._cdist_forward, lambda: torch.cdist(m(5, 3), m(4, 3)), fixed(macs(ATT, 60)),
        "p2-small"),  # 5 x 4 x 3
    # over 25 points the Euclidean path: 30 x 40 pairs x 3 = 3,600
    Row(aten._euclidean_dist, lambda: torch.cdist(m(30, 3), m(40, 3)),
        fixed(macs(ATT, 3_600)), "p2-mm"),
    # complex 8 points: 5 x 8 x 3 = 120 per transform, 2 transforms
    Row(aten._fft_c2c, lambda: torch.fft.fft(m(2, 8, dtype=torch.complex64)),
        fixed(flops(ELEM, 240)), "1d"),
    # 2-d over 4 x 8 = 32 points: 5 x 32 x 5 = 800 x 2; ortho scales 2 x 2 x 32 components
    Row(aten._fft_c2c, lambda: torch.fft.fft2(m(2, 4, 8, dtype=torch.complex64), norm="ortho"),
        fixed(flops(ELEM, 1_600 + 128)), "2d-ortho"),
    # 6 points is no power of two: round(5 x 6 x log2 6 x 3) = round(232.65...) = 233
    Row(aten._fft_c2c, lambda: torch.fft.fft(m(3, 6, dtype=torch.complex64)),
        fixed(flops(ELEM, _fft(6, 3, True))), "n6"),
    # real input, 8 points: 2.5 x 8 x 3 = 60 per transform, 2 transforms
    Row(aten._fft_r2c, lambda: torch.fft.rfft(m(2, 8)), fixed(flops(ELEM, 120)), "1d"),
    # the inverse to 8 real points: 60 x 2 = 120, and 1/N on 2 x 8 outputs = 16
    Row(aten._fft_c2r, lambda: torch.fft.irfft(m(2, 5, dtype=torch.complex64), n=8),
        fixed(flops(ELEM, 136)), "1d"),
    # grid_sample: 120 outputs x 7 bilinear, 0 nearest, 31 bicubic, whatever the padding
    Row(aten.grid_sampler_2d, lambda: F.grid_sample(m(2, 3, 6, 6), m(*_GRID),
                                                    align_corners=False),
        fixed(flops(POOL, 7 * 120)), "bilinear"),
    Row(aten.grid_sampler_2d, lambda: F.grid_sample(m(2, 3, 6, 6), m(*_GRID), mode="bicubic",
                                                    padding_mode="reflection",
                                                    align_corners=True),
        fixed(flops(POOL, 31 * 120)), "bicubic-reflection"),
    Row(aten.grid_sampler_2d, lambda: F.grid_sample(m(2, 3, 6, 6), m(*_GRID), mode="nearest",
                                                    align_corners=False),
        lambda calls: {}, "nearest"),
    Row(aten._grid_sampler_2d_cpu_fallback, lambda: aten._grid_sampler_2d_cpu_fallback(
        torch.zeros(2, 3, 6, 6), torch.zeros(*_GRID), 0, 0, False),
        fixed(flops(POOL, 7 * 120)), "bilinear"),
    # 3-d: outputs 1 x 2 x 2 x 3 x 4 = 48 x 15 trilinear
    Row(aten.grid_sampler_3d, lambda: F.grid_sample(m(1, 2, 4, 4, 4), m(1, 2, 3, 4, 3),
                                                    align_corners=False),
        fixed(flops(POOL, 15 * 48)), "trilinear"),
    # affine_grid [2, 4, 5] points x 2 coordinates x 3 multiply-adds = 240 MACs = 480 FLOPs;
    # 3-d: 1 x 2 x 3 x 4 = 24 points x 3 x 4 = 288 MACs = 576 FLOPs
    Row(aten.affine_grid_generator, lambda: F.affine_grid(m(2, 2, 3), [2, 3, 4, 5],
                                                          align_corners=False),
        fixed(flops(POOL, 480)), "2d"),
    Row(aten.affine_grid_generator, lambda: F.affine_grid(m(1, 3, 4), [1, 1, 2, 3, 4],
                                                          align_corners=False),
        fixed(flops(POOL, 576)), "3d"),
    # solve, n = 4 (Golub & Van Loan): LU sum_{j<4} j^2 = 14 multiply-subtracts and
    # 1 + 2 + 3 = 6 divisions; each of k right-hand sides 4 x 3 = 12 and 4 divisions.
    # k = 2, batch 3: MACs 3 x (14 + 24) = 114, FLOPs 2 x 114 + 3 x (6 + 8) = 270
    Row(aten._linalg_solve_ex, lambda: torch.linalg.solve(m(3, 4, 4), m(3, 4, 2)),
        fixed({LINEAR: (114, 270)}), "batched"),
    # one vector right-hand side: MACs 14 + 12 = 26, FLOPs 2 x 26 + 6 + 4 = 62
    Row(aten._linalg_solve_ex, lambda: torch.linalg.solve(m(4, 4), m(4)),
        fixed({LINEAR: (26, 62)}), "vector"),
    # X A = B (left=False), B [2, 4]: k = 2, MACs 14 + 24 = 38, FLOPs 76 + 6 + 8 = 90
    Row(aten._linalg_solve_ex, lambda: torch.linalg.solve(m(4, 4), m(2, 4), left=False),
        fixed({LINEAR: (38, 90)}), "right"),
    # embedding bag: 6 indices x 4 dims = 24 gathered; mean + 2 bags x 4 = 8 divides;
    # per-sample weights + 24 multiplies
    Row(aten._embedding_bag_forward_only, lambda: F.embedding_bag(
        torch.zeros(6, dtype=torch.long, device="meta"), m(10, 4),
        torch.zeros(2, dtype=torch.long, device="meta"), mode="mean"),
        fixed(flops(POOL, 32)), "mean"),
    Row(aten._embedding_bag, lambda: F.embedding_bag(
        torch.zeros(6, dtype=torch.long, device="meta"), m(10, 4, grad=True),
        torch.zeros(2, dtype=torch.long, device="meta"), mode="sum",
        per_sample_weights=m(6)), fixed(flops(POOL, 48)), "weighted-sum"),
    Row(aten._embedding_bag, lambda: F.embedding_bag(
        torch.zeros(2, 3, dtype=torch.long, device="meta"), m(10, 4, grad=True), mode="max"),
        fixed(flops(POOL, 24)), "max-2d"),
    # embedding backward: grad_output 2 x 3 x 4 = 24 adds into a 10 x 4 table
    Row(aten.embedding_dense_backward, lambda: backward_of(F.embedding(
        torch.zeros(2, 3, dtype=torch.long, device="meta"), m(10, 4, grad=True))),
        fixed(flops(ELEM, 24)), "2d"),
    # top-k: ceil(log2(k + 1)) comparisons per input element of [2, 8] = 16
    Row(aten.topk, lambda: m(2, 8).topk(1), fixed(flops(POOL, 16)), "k1"),
    Row(aten.topk, lambda: m(2, 8).topk(3), fixed(flops(POOL, 32)), "k3"),
    # k 2 over dim 0, unsorted: ceil(log2 3) = 2 x 16 = 32
    Row(aten.topk, lambda: m(2, 8).topk(2, dim=0, sorted=False), fixed(flops(POOL, 32)),
        "dim0-unsorted"),
]
