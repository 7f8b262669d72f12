"""The look shared by every medium: colours and one small stylesheet for tables and KPI cards.

Markup uses a handful of classes and this stylesheet travels with it (a ``<style>`` block beside
each table), so a dashboard, a notebook and a mailed snapshot look alike without external CSS,
and a table of hundreds of rows does not repeat inline styles in every cell.  A wide table keeps
its header row and its first column (who or what the row is about) in view while it scrolls inside
its box; a mail client that ignores ``position:sticky`` just shows the plain table.
"""

from __future__ import annotations

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]

# Efficiency against the daily target: below half, below target, target reached.
TARGET_COLOURS = {"low": "#f8d7da", "mid": "#fff3cd", "ok": "#d4edda"}

FONT = "system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"

STYLESHEET = f"""<style>
.atsnb-table{{border-collapse:collapse;font:13px {FONT};}}
.atsnb-table th{{text-align:left;padding:4px 8px;border-bottom:2px solid #888;background:#f3f4f6;white-space:nowrap;}}
.atsnb-table td{{padding:3px 8px;border-bottom:1px solid #e5e7eb;white-space:nowrap;}}
.atsnb-table td.n{{text-align:right;font-variant-numeric:tabular-nums;}}
.atsnb-table tr.atsnb-totals td{{font-weight:600;border-top:2px solid #888;background:#f9fafb;}}
.atsnb-table tr{{background:#fff;}}
.atsnb-table thead th{{position:sticky;top:0;z-index:2;}}
.atsnb-table th:first-child,.atsnb-table td:first-child{{position:sticky;left:0;z-index:1;background:inherit;
box-shadow:inset -1px 0 0 #d1d5db;}}
.atsnb-table thead th:first-child{{z-index:3;background:#f3f4f6;}}
.atsnb-table tr.atsnb-totals td:first-child{{background:#f9fafb;}}
.atsnb-title{{font:600 15px {FONT};margin:14px 0 4px 0;}}
.atsnb-note{{font:12px {FONT};color:#555;margin:2px 0 6px 0;}}
.atsnb-kpis{{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;max-width:1100px;}}
.atsnb-kpi{{display:inline-block;vertical-align:top;min-width:130px;margin:0 8px 8px 0;
padding:8px 12px;border:1px solid #d1d5db;border-radius:8px;background:#fff;font-family:{FONT};}}
.atsnb-kpis .atsnb-kpi{{margin:0;min-width:0;}}
.atsnb-kpi-value{{font-size:22px;font-weight:600;line-height:1.3;color:#111827;}}
.atsnb-kpi-label{{font-size:12px;line-height:1.3;color:#4b5563;}}
</style>"""
