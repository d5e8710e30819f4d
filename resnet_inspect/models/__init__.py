"""Specs -> nn.Modules: residual blocks and stems (blocks.py), the ResNet builder and the
single-block builder compare and diagrams use (builder.py), LeNet/AlexNet/VGG
(classic.py), and loading a user's own module (user.py)."""
