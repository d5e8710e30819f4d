"""How much work an operator does: the categories work is filed under (categories.py, no
torch), one formula per ATen operator (ops.py), and the shape rules that answer common
operators on meta (meta_ops.py). This package's __init__ imports nothing, so the
torch-free categories can be read without torch."""
