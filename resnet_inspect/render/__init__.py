"""Renderers: functions of a Report (or of several); none of them touches a model.
columns.py declares the per-layer table's columns once for every medium: the terminal
(table.py), CSV and Markdown (export.py), HTML and notebooks (html.py), LaTeX (latex.py).
diagram/ draws Graphviz pictures; compare*.py, check_table.py, ops.py, timing_table.py and
training.py render what analysis/ computes; output.py writes files whole or not at all."""
