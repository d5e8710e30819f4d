"""The Report: plain data, torch-free (model.py), rolled up by level (levels.py names the
levels), and the number formats every renderer shares (format.py).
`from resnet_inspect.report import Report` reads a saved report without importing torch."""

from resnet_inspect.report.model import LayerRecord, Report, Totals, rollup

__all__ = ["LayerRecord", "Report", "Totals", "rollup"]
