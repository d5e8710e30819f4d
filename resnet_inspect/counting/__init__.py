"""How much work an operator does: the categories work is filed under (categories.py, no
torch), one formula per ATen operator (ops.py), and shape rules for operators without a
meta kernel (meta_ops.py, meta_shapes.py). This package's __init__ imports nothing, so the
torch-free categories can be read without torch."""
