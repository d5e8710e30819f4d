"""Specs -> nn.Modules: residual blocks and shortcuts (blocks.py), the ResNet builder
(builder.py), one block alone for compare and diagrams (single_block.py), LeNet/AlexNet/VGG
(classic.py), and loading a user's own module (user.py)."""
