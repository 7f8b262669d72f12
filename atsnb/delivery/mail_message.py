"""A snapshot as a mail that reads well in any client.

Structure (RFC 2046)::

    multipart/mixed                      (only when the executed notebook is attached)
      multipart/alternative
        text/plain                       title, period and filters, headline figures, the link
        multipart/related
          text/html                      the snapshot, images at cid: addresses
          image/png  Content-ID: <…>     one inline part per chart
      application/x-ipynb+json           the executed notebook (optional)

The shape is the same for every report: a report without charts (employees, departments) still
has its HTML inside a ``multipart/related`` of one part, so clients and filters see one kind of
mail.  Charts are inline parts referenced by ``cid:`` because many clients block ``data:`` images
and remote ones.  The Message-ID is derived from the run's key, so a mail sent again after a crash
carries the same one and a reader's client (and the receiving server) recognise it as the same
message.
"""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from email.utils import format_datetime

import pandas as pd

from atsnb.views.snapshot import Snapshot, SnapshotImage


def message_id(key: str, sender: str) -> str:
    """The Message-ID of a run: the same for every attempt of it."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    domain = sender.rpartition("@")[2].strip("<> ") or "atsnb.local"
    return f"<atsnb.{digest}@{domain}>"


def content_id(image: SnapshotImage, key: str) -> str:
    """The Content-ID of a chart (without angle brackets): unique per run and image."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return f"{image.name.removesuffix('.png')}.{digest}@atsnb"


def build_message(snapshot: Snapshot, *, key: str, sender: str, recipients: tuple[str, ...], subject: str,
                  date: pd.Timestamp, footer: str = "", mailing: str = "",
                  notebook: tuple[str, bytes] | None = None) -> EmailMessage:
    """The mail of a snapshot (see the module's docstring); ``notebook``: (file name, content)."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(date.to_pydatetime())
    msg["Message-ID"] = message_id(key, sender)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a report
    if mailing:
        msg["X-Atsnb-Mailing"] = mailing
    cids = {image.name: content_id(image, key) for image in snapshot.images}
    msg.set_content(snapshot.text(footer))
    msg.add_alternative(snapshot.html_with(lambda image: "cid:" + cids[image.name]), subtype="html")
    html_part = msg.get_payload()[1]
    html_part.make_related()  # also without charts: every mail has the one shape
    html_part.set_param("type", "text/html")  # RFC 2387: the related body names its root's type
    for image in snapshot.images:
        html_part.add_related(image.png, maintype="image", subtype="png", cid=f"<{cids[image.name]}>",
                              filename=image.name, disposition="inline")
    if notebook is not None:
        name, content = notebook
        msg.add_attachment(content, maintype="application", subtype="x-ipynb+json", filename=name)
    return msg
