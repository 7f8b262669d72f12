"""Where the report notebooks and the dashboards are.

They live at the top of the repository (``notebooks/``, ``dashboards/``), where analysts open them,
and a wheel ships them inside the package (``atsnb/notebooks``, ``atsnb/dashboards``; see
pyproject.toml).  So a source checkout, an editable install and a plain ``pip install`` all find
them here, and ``atsnb serve`` works from any folder.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def shipped_folder(name: str) -> Path:
    """The folder ``name`` (``notebooks`` or ``dashboards``): inside the installed package, else
    beside it in a source checkout."""
    inside = PACKAGE / name
    return inside if inside.is_dir() else PACKAGE.parent / name


def notebooks_dir() -> Path:
    """The report notebooks (papermill runs these)."""
    return shipped_folder("notebooks")


def dashboards_dir() -> Path:
    """The Voila dashboards (``atsnb serve`` publishes these)."""
    return shipped_folder("dashboards")
