"""Channel drivers: how a phone's or a trunk's channel is named, and how the dialplan dials it.

Asterisk names every channel ``<tech>/<resource>-<suffix>``, and each driver picks its own suffix
(what the simulator writes per driver is in docs/simulator.md, "Channel technology"):

* ``PJSIP/<peer>-<8 hex>`` and chan_sip's ``SIP/<peer>-<8 hex>``: one counter of the driver;
* ``IAX2/<peer>-<call number>``: the IAX2 call number, a decimal 1..32767 taken from a pool and
  used again by later calls;
* DAHDI: an analog port ``DAHDI/<channel>-<n>``, ``n`` the lowest instance free on the port (1, or
  2 for a phone's second line during a consultation); an ISDN span ``DAHDI/i<span>/<number>-<hex>``,
  the number being the remote party's (the caller's on the way in, the dialled one on the way
  out) and the suffix a sequence of the span, in hex, that restarts with Asterisk.

Local channels (``Local/<exten>@<context>-<8 hex>;1|;2``) are the same whatever the driver; the PBX
(:mod:`.pbx`) names them.  Dial strings (``lastdata``) follow the driver: ``PJSIP/101`` and
``PJSIP/<number>@<trunk>``, ``SIP/<trunk>/<number>``, ``IAX2/<trunk>/<number>``, ``DAHDI/g0/<number>``.
"""

from __future__ import annotations

import numpy as np

IAX2_CALLNO_MAX = 32767


class Technology:
    """A driver naming channels ``<prefix>/<peer>-<8 hex>`` from the counter the PBX keeps for all
    channels (PJSIP and chan_sip do); the others override what differs."""

    prefix = ""

    def __init__(self, trunks: list[str], rng: np.random.Generator):
        self.trunks = trunks  # trunk peer names in a fixed order (DAHDI puts each on a span of its own)
        self.rng = rng

    def phone(self, ext: str, serial: int, second: bool = False) -> str:
        """The channel of extension ``ext``'s phone; ``second``: its second line (a consultation)."""
        return f"{self.prefix}/{ext}-{serial:08x}"

    def trunk(self, trunk: str, number: str, serial: int) -> str:
        """The channel of a call on ``trunk`` with the remote party ``number``."""
        return f"{self.prefix}/{trunk}-{serial:08x}"

    def dial_phone(self, ext: str) -> str:
        return f"{self.prefix}/{ext}"

    def dial_trunk(self, trunk: str, number: str) -> str:
        return f"{self.prefix}/{trunk}/{number}"

    def restart(self) -> None:
        """Asterisk restarted: counters of the driver start again (the PBX keeps the hex one)."""


class Pjsip(Technology):
    """PJSIP dials a trunk as ``PJSIP/<number>@<trunk>`` (the endpoint after the ``@``)."""

    prefix = "PJSIP"

    def dial_trunk(self, trunk: str, number: str) -> str:
        return f"PJSIP/{number}@{trunk}"


class Sip(Technology):
    prefix = "SIP"


class Iax2(Technology):
    """``IAX2/<peer>-<call number>``: call numbers drawn from the pool, so they repeat across calls."""

    prefix = "IAX2"

    def __init__(self, trunks: list[str], rng: np.random.Generator):
        super().__init__(trunks, rng)
        self._callnos: list[int] = []

    def _callno(self) -> int:
        if not self._callnos:
            self._callnos = self.rng.integers(1, IAX2_CALLNO_MAX + 1, size=4096).tolist()
        return self._callnos.pop()

    def phone(self, ext: str, serial: int, second: bool = False) -> str:
        return f"IAX2/{ext}-{self._callno()}"

    def trunk(self, trunk: str, number: str, serial: int) -> str:
        return f"IAX2/{trunk}-{self._callno()}"


class Dahdi(Technology):
    """Analog phones on ports numbered like their extensions; each trunk an ISDN span of its own."""

    prefix = "DAHDI"

    def __init__(self, trunks: list[str], rng: np.random.Generator):
        super().__init__(trunks, rng)
        self.span = {trunk: int(peer[1:]) for trunk, peer in trunk_peers("dahdi", trunks).items()}
        self.sequence = dict.fromkeys(self.span.values(), 0)

    def phone(self, ext: str, serial: int, second: bool = False) -> str:
        return f"DAHDI/{ext}-{2 if second else 1}"

    def trunk(self, trunk: str, number: str, serial: int) -> str:
        span = self.span[trunk]
        self.sequence[span] += 1
        return f"DAHDI/i{span}/{number}-{self.sequence[span]:x}"

    def dial_trunk(self, trunk: str, number: str) -> str:
        return f"DAHDI/g{self.span[trunk] - 1}/{number}"

    def restart(self) -> None:
        self.sequence = dict.fromkeys(self.sequence, 0)


DRIVERS: dict[str, type[Technology]] = {"pjsip": Pjsip, "sip": Sip, "iax2": Iax2, "dahdi": Dahdi}


def trunk_peers(name: str, trunks: list[str]) -> dict[str, str]:
    """What the channels of each trunk show before the suffix — the names reconstruction knows the
    trunks by: the peer name, or for DAHDI the ISDN span (``i1``, ``i2``, … in the order given)."""
    return {trunk: f"i{i + 1}" if name == "dahdi" else trunk for i, trunk in enumerate(trunks)}


def technology(name: str, trunks: list[str], rng: np.random.Generator) -> Technology:
    """The driver ``name`` (one of :data:`atsnb.simulate.style.TECHNOLOGIES`) for these trunks."""
    return DRIVERS[name](trunks, rng)
