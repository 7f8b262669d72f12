"""Report functions: one module per report, each returning a :class:`Report` of already-aggregated
elements that dashboards, notebooks, exports and mailed snapshots render alike.

>>> ctx = atsnb.context()
>>> report = ctx.report("dashboard", "last_30_days", department="Продажи")
>>> report["kpis"].data                      # a one-row frame of headline figures

:data:`REPORTS` (:mod:`atsnb.reports.registry`) lists every report with its function, title,
filters and elements.  The functions take the same filters (period or start/end, department,
employee, line, direction) and the ``store`` and ``settings`` to read — the composition root
(:mod:`atsnb.composition`) passes its own; :func:`atsnb.reports.filters.choices` lists what the filters
can be set to; :mod:`atsnb.reports.export` turns an element into CSV or XLSX bytes.
"""

from atsnb.reports.model import Element, Report
from atsnb.reports.registry import REPORTS, ReportSpec

__all__ = ["REPORTS", "Element", "Report", "ReportSpec"]
