"""What the report filters can be set to: the lists a dashboard's pickers show.

:func:`choices` returns plain lists of ``{"value": …, "label": …}`` dicts (the value is what a
report function takes, the label what the reader sees), so a widget builds its options as
``[(c["label"], c["value"]) for c in choices(...)["employees"]]``.
"""

from __future__ import annotations

import pandas as pd

from atsnb.config import Settings
from atsnb.i18n import t
from atsnb.metrics.calls import DIRECTIONS
from atsnb.reference.org import Org
from atsnb.reports.panel_filter import panel_label, panel_values
from atsnb.reports.period import PRESETS
from atsnb.reports.pieces import SCALES
from atsnb.reports.scope import StoreLike, employee_label, open_store, required_settings, seen_values


def choices(store: StoreLike = None, settings: Settings | None = None) -> dict:
    """Every filter's options::

        {
          "periods":     [{"value": "last_30_days", "label": "Последние 30 дней"}, …],
          "departments": [{"value": "Продажи", "label": "Продажи", "depth": 0}, …]  # tree order,
          "panels":      [{"value": "department:Продажи", "label": "Панель отдела «Продажи»"}, …],
          "employees":   [{"value": "101", "label": "Иванов Иван (101)", "department": "Продажи"}, …],
          "lines":       [{"value": "74951234567", "label": "Реклама (74951234567)"}, …],
          "directions":  [{"value": "incoming", "label": "Входящий"}, …],
          "scales":      [{"value": "day", "label": "день"}, …],
        }

    Employees and lines are the directories' rows plus any extension or number seen in the calls
    but not (yet) in a directory.
    """
    settings = required_settings(settings)
    store = open_store(store)
    org = Org.from_catalog(store.catalog, settings)
    employees_dir = store.catalog.read("employees")
    extensions = sorted(set(employees_dir["extension"].astype(str)) | seen_values(store, "employee"),
                        key=lambda e: (len(e), e))
    lines_dir = store.catalog.read("lines")
    names = {str(n): m for n, m in zip(lines_dir["number"], lines_dir["name"], strict=True) if m and not pd.isna(m)}
    numbers = sorted(set(names) | set(lines_dir["number"].astype(str)) | seen_values(store, "line"))
    return {
        "periods": [{"value": p, "label": t(f"rep_period_{p}")} for p in PRESETS],
        "departments": [{"value": name, "label": name, "depth": depth} for depth, name in org.tree_rows()],
        "panels": [{"value": v, "label": panel_label(org, v)} for v in panel_values(org)],
        "employees": [{"value": e, "label": employee_label(org, e), "department": org.department_of(e) or ""}
                      for e in extensions],
        "lines": [{"value": n, "label": f"{names[n]} ({n})" if n in names else n} for n in numbers],
        "directions": [{"value": d, "label": t(d)} for d in DIRECTIONS],
        "scales": [{"value": s, "label": t(f"rep_scale_{s}")} for s in SCALES],
    }
