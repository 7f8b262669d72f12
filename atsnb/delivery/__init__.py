"""Delivery: what leaves atsnb by itself — mailed snapshots, Telegram alerts, the wall-board.
Every channel has the shape of :class:`atsnb.delivery.channels.Channel` and is registered in
:data:`atsnb.delivery.channels.CHANNELS`."""
