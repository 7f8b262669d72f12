"""The simulated company's people and calendar: who is at the desk, whose phone is free, when lines open.

Also every random draw of people's behaviour (how fast they pick up, how long they talk), taken from
pre-drawn batches because the dialplan asks for them once per rung phone.
"""

from __future__ import annotations

import math

import numpy as np

from atsnb.simulate.company import SUPPORT, Company, Line
from atsnb.simulate.traffic import Day


class Staff:
    """Employees' presence and busy phones over the simulated days, plus the draws of their behaviour."""

    def __init__(self, company: Company, rng: np.random.Generator, days: list[Day]):
        self.co = company
        self.rng = rng
        self.days = days
        self.first_midnight = days[0].midnight if days else 0.0
        self.busy_until: dict[str, float] = {e.extension: 0.0 for e in company.employees}
        self.emp = company.by_ext
        # Per day and employee: lunch start (hour) and whether they are at the desk at all that day.
        # Plain lists and tuples: present() runs for every phone of every ring, numpy scalars cost more.
        n_days, n_emp = max(len(days), 1) + 2, len(company.employees)
        self.lunch = rng.uniform(12.5, 14.0, size=(n_days, n_emp)).tolist()
        self.absent = (rng.random((n_days, n_emp)) < 0.05).tolist()
        last = days[-1].weekday if days else 0
        self.weekdays = [d.weekday for d in days] + [(last + j) % 7 for j in range(1, 3)]
        # extension -> (column in the day tables, works Saturdays, end of the weekday shift)
        self.desk = {e.extension: (i, e.saturday, 20.0 if e.department == SUPPORT else 18.0)
                     for i, e in enumerate(company.employees)}
        self.log_pickup = {e.extension: math.log(e.pickup_s) for e in company.employees}
        self._uniforms: list[float] = []
        self._normals: list[float] = []

    def present(self, ext: str, t: float) -> bool:
        """At the desk: working hours (Saturday duty for some of support), not at lunch, not absent."""
        x = t - self.first_midnight
        i = int(x // 86400)
        hour = (x - i * 86400) / 3600.0
        row = min(max(i, 0), len(self.lunch) - 1)
        k, saturday, shift_end = self.desk[ext]
        if self.absent[row][k]:
            return False
        weekday = self.weekdays[row]
        if weekday == 6 or (weekday == 5 and not saturday):
            return False
        start, stop = (10.0, 16.0) if weekday == 5 else (9.0, shift_end)
        if not start <= hour < stop:
            return False
        lunch = self.lunch[row][k]
        return not lunch <= hour < lunch + 0.75

    def open_for_calls(self, line: Line, t: float) -> bool:
        """The lines' time condition: 8–20 on weekdays, support also 10–16 on Saturdays; the advertising
        line never closes (its red phone forwards to a mobile when nobody is at the desk)."""
        if line.purpose == "advertising":
            return True
        x = t - self.first_midnight
        i = int(x // 86400)
        hour = (x - i * 86400) / 3600.0
        weekday = self.weekdays[min(max(i, 0), len(self.weekdays) - 1)]
        if weekday < 5:
            return 8.0 <= hour < 20.0
        return weekday == 5 and line.purpose == "support" and 10.0 <= hour < 16.0

    def free(self, ext: str, t: float) -> bool:
        return self.busy_until[ext] <= t

    def _u(self) -> float:
        """A uniform [0, 1) draw from a pre-drawn batch (a numpy call per draw costs more than the draw)."""
        if not self._uniforms:
            self._uniforms = self.rng.random(4096).tolist()
        return self._uniforms.pop()

    def _z(self) -> float:
        """A standard normal draw from a pre-drawn batch."""
        if not self._normals:
            self._normals = self.rng.standard_normal(4096).tolist()
        return self._normals.pop()

    def pickup_delay(self, ext: str, t: float) -> float:
        """Seconds until ``ext`` picks up a phone ringing from ``t`` (inf if nobody will)."""
        if not self.present(ext, t) or self._u() < 0.08:
            return math.inf
        return math.exp(self.log_pickup[ext] + 0.45 * self._z()) + 1.0

    def occupy(self, ext: str, until: float) -> None:
        self.busy_until[ext] = max(self.busy_until[ext], until + 5.0 + 25.0 * self._u())

    def talk_time(self, median: float) -> float:
        return max(4.0, math.exp(math.log(median) + 0.75 * self._z()))
