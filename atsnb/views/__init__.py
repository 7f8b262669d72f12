"""Rendering of reports: static HTML tables and PNG charts for notebooks and snapshots
(:func:`show`), widgets and bqplot charts for the Voila dashboards (:mod:`atsnb.views.app`,
whose pages the composition root builds: ``atsnb.context().dashboard(name)``)."""

from atsnb.views.static import show


def show_call(route, *, store, settings) -> None:
    """Display one call in a notebook (:func:`atsnb.views.call_view.show_call`; widgets load only here)."""
    from atsnb.views.call_view import show_call as show

    show(route, store=store, settings=settings)


__all__ = ["show", "show_call"]
