"""What is computed from reports and traces: comparisons (compare*.py: items, blocks,
networks, their data and their sentences), the cross-check against other tools (check*.py:
orchestration, the tools, their rules, the report), single-block reports for diagrams
(block_report.py), measured timing (timing.py), the training-step check (train_check.py),
the largest batch that fits (fit.py) and the figures `list` shows (preset_figures.py)."""
