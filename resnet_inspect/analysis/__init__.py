"""What is computed from reports: comparisons (compare.py), the cross-check against other
tools (check.py), measured timing (timing.py), the training-step check (train_check.py),
the largest batch that fits (fit.py) and the figures `list` shows (preset_figures.py)."""
