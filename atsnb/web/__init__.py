"""The dashboards server: Voila with atsnb's own endpoints beside the pages, behind the same login.

``python -m atsnb.web`` runs :class:`atsnb.web.app.AtsnbVoila` (what ``atsnb serve`` starts in its
child process); :mod:`atsnb.web.routes` lists every endpoint of ours.
"""
