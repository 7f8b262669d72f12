"""Rendering of reports: static HTML tables and PNG charts for notebooks and snapshots
(:func:`show`), widgets and bqplot charts for the Voila dashboards (:func:`dashboard_app`)."""

from atsnb.views.static import show


def dashboard_app(name: str, **kwargs):  # noqa: ANN201 - returns an ipywidgets widget
    """The Voila app of one report; see :func:`atsnb.views.app.dashboard_app`.  Imported lazily so
    that notebooks using only :func:`show` do not load the widget libraries."""
    from atsnb.views.app import dashboard_app as build

    return build(name, **kwargs)


__all__ = ["dashboard_app", "show"]
