"""Report functions: one per report, each returning a :class:`Report` of already-aggregated
elements that dashboards, notebooks, exports and mailed snapshots render alike.

>>> report = atsnb.reports.dashboard("last_30_days", department="Продажи")
>>> report["kpis"].data                      # a one-row frame of headline figures

``dashboard``, ``employees``, ``departments`` and ``lines`` take the same filters (period or
start/end, department, employee, line, direction; ``store`` and ``settings`` default to the
configured ones); :func:`atsnb.reports.filters.choices` lists what the filters can be set to;
:mod:`atsnb.reports.export` turns an element into CSV or XLSX bytes.
"""

from atsnb.reports.dashboard import dashboard
from atsnb.reports.departments import departments
from atsnb.reports.employees import employees
from atsnb.reports.lines import lines
from atsnb.reports.model import Element, Report

REPORTS = {"dashboard": dashboard, "employees": employees, "departments": departments, "lines": lines}

__all__ = ["REPORTS", "Element", "Report", "dashboard", "departments", "employees", "lines"]
