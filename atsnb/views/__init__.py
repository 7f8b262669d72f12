"""Rendering of reports: static HTML tables and PNG charts for notebooks and snapshots
(:func:`show`), widgets and bqplot charts for the Voila dashboards (:mod:`atsnb.views.app`,
whose pages the composition root builds: ``atsnb.context().dashboard(name)``)."""

from atsnb.views.static import show

__all__ = ["show"]
