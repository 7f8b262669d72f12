"""Delivery: what leaves atsnb by itself — mailed snapshots, Telegram alerts, the wall-board.
Every channel has the shape of :class:`atsnb.delivery.channels.Channel` and is registered in
:data:`atsnb.delivery.channels.CHANNELS`."""

from atsnb.delivery import mail as _mail  # noqa: E402,F401 — registers the mail channel
from atsnb.delivery import telegram as _telegram  # noqa: E402,F401 — registers the Telegram channel
