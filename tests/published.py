"""Every published figure the tests reproduce, in one place, each with its source.

Tests import these instead of keeping their own copies, so a figure is written (and its
source named) once. "Exact" counts are the integers behind a published rounded figure:
tests check both that we produce the integer and that it rounds to what was published.
"""

from __future__ import annotations

from typing import NamedTuple


class Figure(NamedTuple):
    params: int
    gflops: float  # GMACs of conv + fc at the network's own input (torchvision's "GFLOPS")


# torchvision model documentation, "Table of all available classification weights"
# (IMAGENET1K_V1 weights), Params and GFLOPS columns; the ResNets' own model pages give
# GFLOPS to three decimals (1.814 ... 11.514). Exact params: torchvision.models.X(), the sum
# of p.numel().
TORCHVISION: dict[str, Figure] = {
    "resnet18": Figure(11_689_512, 1.814),
    "resnet34": Figure(21_797_672, 3.664),
    "resnet50": Figure(25_557_032, 4.089),
    "resnet101": Figure(44_549_160, 7.801),
    "resnet152": Figure(60_192_808, 11.514),
    "wide_resnet50_2": Figure(68_883_240, 11.40),
    "wide_resnet101_2": Figure(126_886_696, 22.75),
    "resnext50_32x4d": Figure(25_028_904, 4.23),
    "resnext101_32x8d": Figure(88_791_336, 16.41),
    "resnext101_64x4d": Figure(83_455_272, 15.46),
    "alexnet": Figure(61_100_840, 0.71),
    "vgg11": Figure(132_863_336, 7.61), "vgg11_bn": Figure(132_868_840, 7.61),
    "vgg13": Figure(133_047_848, 11.31), "vgg13_bn": Figure(133_053_736, 11.31),
    "vgg16": Figure(138_357_544, 15.47), "vgg16_bn": Figure(138_365_992, 15.47),
    "vgg19": Figure(143_667_240, 19.63), "vgg19_bn": Figure(143_678_248, 19.63),
}
PARAMS = {name: figure.params for name, figure in TORCHVISION.items()}
RESNET_DEPTHS = (18, 34, 50, 101, 152)
CLASSIC = ("alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
           "vgg19_bn")
WIDE_AND_RESNEXT = ("wide_resnet50_2", "wide_resnet101_2", "resnext50_32x4d",
                    "resnext101_32x8d", "resnext101_64x4d")

# The exact conv + fc MACs behind torchvision's ResNet GFLOPS at 224x224 (stride on the
# 3x3, "v1.5"); each rounds to the published figure (tests/test_trace.py checks that).
RESNET_MACS = {18: 1_814_073_344, 34: 3_663_761_408, 50: 4_089_184_256, 101: 7_801_405_440,
               152: 11_513_626_624}

# He et al. 2015, "Deep Residual Learning", Table 1, "FLOPs" row (multiply-adds, the v1
# layout that strides the first 1x1), x 10^9. One decimal, not rounded consistently
# (3.664 is printed 3.6, 7.570 as 7.6): tests allow 0.07 G.
PAPER_TABLE1_GFLOPS = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}

# He et al. 2015, Table 6 (CIFAR-10, option A shortcuts), params in millions; the exact
# counts follow from the layout (tests/test_presets.py writes ResNet-20's out by hand).
CIFAR_TABLE6 = {20: (269_722, 0.27), 32: (464_154, 0.46), 44: (658_586, 0.66),
                56: (853_018, 0.85), 110: (1_727_962, 1.7), 1202: (19_421_274, 19.4)}

# He et al. 2016, "Identity Mappings in Deep Residual Networks", Table 3 / Figure 6
# (CIFAR-10): ResNet-164 1.7M, ResNet-1001 10.2M parameters (conv and fc weights).
PREACT_CIFAR_MILLIONS = {164: 1.7, 1001: 10.2}

# Zagoruyko & Komodakis 2016, "Wide Residual Networks", Table 4 (CIFAR-10), millions.
WRN_TABLE4 = {"wrn40_1": 0.6, "wrn40_2": 2.2, "wrn40_4": 8.9, "wrn40_8": 35.7,
              "wrn28_10": 36.5, "wrn28_12": 52.5, "wrn22_8": 17.2, "wrn22_10": 26.8,
              "wrn16_8": 11.0, "wrn16_10": 17.1}
# The official WRN code (szagoruyko/wide-residual-networks) prints this for WRN-28-10.
WRN_28_10_OFFICIAL = 36_479_194

# Xie et al. 2017, "Aggregated Residual Transformations" (ResNeXt), Table 7 (CIFAR-10),
# millions, truncated (68,155,210 is printed 68.1).
RESNEXT_TABLE7 = {"resnext29_8x64d": 34.4, "resnext29_16x64d": 68.1}

# timm's model card for resnet50d (timm.create_model("resnet50d")): ResNet-50-D's params.
TIMM_RESNET50D = 25_576_264

# The seed material (004): paddle.summary's "Total params" for its ResNet-50, which counts
# batch-norm running mean and variance as parameters.
PADDLE_RESNET50 = 25_610_152

# Araujo, Norris & Sim 2019, "Computing Receptive Fields of Convolutional Neural Networks"
# (Distill, doi:10.23915/distill.00021): the receptive field (r) and effective stride (S) of
# TF-Slim's models, from the article's library (google-research/receptive_field,
# RECEPTIVE_FIELD_TABLE.md, the rows at resolution 224; the article's own table gives the
# last end-point of each). TF-Slim's ResNet-v1 is the paper's v1 layout (the stride on the
# 1x1) with the stride moved to the last unit of each block; its end-points "block1..4" are
# the ends of conv2_x..conv5_x. Moving the stride to the last unit leaves every block-end
# field as it is in the paper's layout (the strided 3x3 grows the field at its input's
# jump either way) but reports the jump after it: 8, 16, 32, 32 where the paper's layout
# has 4, 8, 16, 32 (tests/test_receptive_nets.py works both out).
DISTILL_RESNET_V1_RF = {50: (35, 99, 291, 483), 101: (35, 99, 835, 1027),
                        152: (35, 163, 1315, 1507)}
DISTILL_RESNET_V1_STRIDE = (8, 16, 32, 32)  # TF-Slim's, at block1..block4
# vgg_16: conv1_1, pool1, conv2_1, pool2, conv3_1, conv3_2, pool3, conv4_1, conv4_2, pool4,
# conv5_1, conv5_2, pool5 as (r, S)
DISTILL_VGG16 = {"conv1_1": (3, 1), "pool1": (6, 2), "conv2_1": (10, 2), "pool2": (16, 4),
                 "conv3_1": (24, 4), "conv3_2": (32, 4), "pool3": (44, 8),
                 "conv4_1": (60, 8), "conv4_2": (76, 8), "pool4": (100, 16),
                 "conv5_1": (132, 16), "conv5_2": (164, 16), "pool5": (212, 32)}
# alexnet_v2 (TF-Slim): conv1, pool1, conv2, conv3, conv4, conv5, pool5 as (r, S); the same
# kernels and strides as torchvision's AlexNet features (11/4, 3/2, 5, 3/2, 3, 3, 3, 3/2)
DISTILL_ALEXNET = {"conv1": (11, 4), "pool1": (19, 8), "conv2": (51, 8), "conv3": (99, 16),
                   "conv4": (131, 16), "conv5": (163, 16), "pool5": (195, 32)}
