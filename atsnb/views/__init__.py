"""Rendering of reports: static HTML tables and PNG charts for notebooks and snapshots
(:func:`show`), widgets and bqplot charts for the Voila dashboards (:func:`dashboard_app`)."""

from atsnb.views.static import show

__all__ = ["show"]
