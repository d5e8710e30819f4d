"""Specs -> nn.Modules: residual blocks and shortcuts (blocks.py), the ResNet builder
(builder.py), one block alone for compare and diagrams (single_block.py), LeNet/AlexNet/VGG
(classic.py), loading a user's own module (user.py), and walking a model's modules
in one flat pass (walk.py)."""
