"""How one company's Asterisk writes its records, beyond the table layout (the flavour).

Real PBXs differ in ways that change every row: the channel driver of the phones and trunks
(``PJSIP/101-0000001a``, ``SIP/…``, ``IAX2/101-1702``, ``DAHDI/i1/79161234567-5``), the ways
employees transfer calls (the transfer keys of the PBX, a SIP phone's own transfer button), a CDR
table fed by two writers at once, the queue_log layout of the realtime driver.  A
:class:`PbxStyle` fixes them for one simulated company, so the same company can be played on each
and reconstruction held against the truth on all of them (docs/simulator.md, "PBX styles").
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from atsnb.errors import ConfigError

#: Channel drivers of the phones and trunks (atsnb.simulate.technology names their channels).
TECHNOLOGIES = ("pjsip", "sip", "iax2", "dahdi")
#: Transfer styles: ``blind``, ``attended`` (the consultation keeps the caller's linkedid, the
#: caller's new row goes through ``from-internal-xfer``), ``blonde``, ``park``, ``atxfer`` (the
#: transfer key ``*2`` or AMI Atxfer: six rows through a Local channel), ``refer`` (a SIP phone's
#: own attended transfer: the consultation is a call of its own, with its own linkedid).
TRANSFER_STYLES = ("blind", "attended", "blonde", "park", "atxfer", "refer")
#: The styles of the company as it always was; the newer shapes are switched on per company.
DEFAULT_TRANSFERS = ("blind", "attended", "blonde", "park")
#: The styles in which the employee first talks to the colleague (one of them is picked per transfer).
CONSULTED = ("attended", "atxfer", "refer")
#: queue_log layouts: data1..data5, or one ``data`` column joined with ``|``.
QUEUE_LOG_LAYOUTS = ("split", "single")


@dataclass(frozen=True)
class PbxStyle:
    """The company switches of the simulated PBX (each documented in docs/simulator.md)."""

    technology: str = "pjsip"
    transfers: tuple[str, ...] = DEFAULT_TRANSFERS
    #: Every CDR row written twice, as by cdr_mysql and cdr_adaptive_odbc on one table.
    duplicate_cdr: bool = False
    queue_log_data: str = "split"
    #: The consultation styles in use, in a fixed order (derived from ``transfers``).
    consulted: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.technology not in TECHNOLOGIES:
            raise ValueError(f"technology must be one of {', '.join(TECHNOLOGIES)}, got {self.technology!r}")
        transfers = (self.transfers,) if isinstance(self.transfers, str) else tuple(self.transfers)
        unknown = [s for s in transfers if s not in TRANSFER_STYLES]
        if unknown:
            raise ValueError(f"transfers must be among {', '.join(TRANSFER_STYLES)}, got {unknown[0]!r}")
        if self.queue_log_data not in QUEUE_LOG_LAYOUTS:
            raise ValueError(f"queue_log_data must be one of {', '.join(QUEUE_LOG_LAYOUTS)}, got {self.queue_log_data!r}")
        object.__setattr__(self, "transfers", tuple(s for s in TRANSFER_STYLES if s in transfers))
        object.__setattr__(self, "consulted", tuple(s for s in CONSULTED if s in transfers))

    @classmethod
    def from_settings(cls, section: Any) -> PbxStyle:
        """The style named by the settings' ``[simulate]`` section (transfers as a comma list)."""
        values = {f.name: getattr(section, f.name) for f in fields(cls) if f.init and hasattr(section, f.name)}
        if isinstance(values.get("transfers"), str):
            values["transfers"] = tuple(s.strip() for s in values["transfers"].split(",") if s.strip())
        try:
            return cls(**values)
        except ValueError as exc:
            raise ConfigError(f"simulate.{exc}.") from None
