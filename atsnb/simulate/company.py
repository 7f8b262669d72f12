"""The simulated company: departments, employees, external lines, IVR, queues, ring groups.

One place describes the PBX configuration the simulated calls go through, so the directories the
product edits (docs/directories.md) and the topology route reconstruction needs come from the same facts
the dialplan uses, and can never disagree with the call records.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from atsnb.simulate.style import PbxStyle
from atsnb.simulate.technology import trunk_peers

FIRST_NAMES = ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Ирина", "Татьяна", "Светлана", "Юлия", "Дарья",
               "Алексей", "Дмитрий", "Сергей", "Андрей", "Иван", "Михаил", "Павел", "Николай", "Егор", "Артём"]
LAST_NAMES_M = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
                "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров"]
PARTNER_NAMES = ["Ромашка", "Вектор", "Гранит", "Северный ветер", "Техносфера", "Альфа-Строй", "Мегаполис",
                 "Меридиан", "Стройресурс", "Горизонт", "Восток-Логистик", "Приоритет", "Форвард", "Линия",
                 "Эталон", "Атлант", "Спектр", "Сибирь-Трейд", "Импульс", "Орион"]

SALES, SALES_1, SALES_2 = "Отдел продаж", "Продажи: команда 1", "Продажи: команда 2"
SUPPORT, ACCOUNTING, OFFICE = "Техническая поддержка", "Бухгалтерия", "Администрация"
MAX_EMPLOYEES = 200  # extension blocks 100–599 stay clear of groups (6xx), queues (7xx) and parking (71)
DEPARTMENTS = [(SALES, ""), (SALES_1, SALES), (SALES_2, SALES), (SUPPORT, ""), (ACCOUNTING, ""), (OFFICE, "")]
# department -> (share of the staff, first extension, minimum head count)
STAFFING = {SALES_1: (0.25, 200, 1), SALES_2: (0.25, 210, 1), SUPPORT: (0.25, 300, 1),
            ACCOUNTING: (0.10, 400, 1), OFFICE: (0.15, 100, 1)}


@dataclass
class Employee:
    extension: str
    name: str
    department: str
    mobile: str
    #: Mean quality rating clients give this operator (ratings are skewed per person).
    rating_mean: float
    #: Median seconds before the employee picks up a ringing phone.
    pickup_s: float
    #: Works Saturdays (support duty) — the others only Monday to Friday.
    saturday: bool = False


@dataclass
class Line:
    number: str  # 11 digits, what the trunk delivers as DID and what outgoing calls show
    name: str
    line_group: str
    purpose: str  # advertising | main | support | branch
    trunk: str  # the trunk peer name carrying the line
    route: str  # where the inbound route sends calls: ivr | queue:<n> | group:<n> | ext:<n>
    #: Some carriers deliver caller numbers with a leading 8 instead of 7.
    cid_prefix: str = "7"


@dataclass
class Company:
    employees: list[Employee]
    lines: list[Line]
    queues: dict[str, list[str]]  # queue number -> member extensions (static Local members)
    #: app_queue strategy per queue: "ringall" rings every free member, "rrmemory" one at a time in turn.
    queue_strategy: dict[str, str]
    groups: dict[str, list[str]]  # ring group number -> member extensions
    red_phone: str  # the extension that takes the advertising line (new clients)
    #: Whose voicemail takes calls outside business hours (the reception).
    after_hours: str = ""
    parking_lot: str = "71"
    ivr: str = "ivr-1"
    #: IVR choices on the main line: (probability, destination) — "hangup" = caller leaves in the IVR.
    ivr_menu: list[tuple[float, str]] = field(default_factory=list)
    partners: dict[str, str] = field(default_factory=dict)  # client number -> partner name
    #: How its Asterisk writes the records: channel driver, transfer styles, CDR writers, queue_log layout.
    style: PbxStyle = field(default_factory=PbxStyle)

    @property
    def by_ext(self) -> dict[str, Employee]:
        return {e.extension: e for e in self.employees}

    @property
    def trunks(self) -> list[str]:
        """The trunk peer names in the order the lines list them."""
        return list(dict.fromkeys(line.trunk for line in self.lines))

    def members(self, target: str) -> list[str]:
        return self.queues.get(target) or self.groups.get(target) or []

    def outbound_line(self, department: str) -> Line:
        """The company number an employee's outgoing calls show (support has its own line)."""
        purpose = "support" if department == SUPPORT else "main"
        return next(line for line in self.lines if line.purpose == purpose)

    # -- what the product sees -----------------------------------------------------------------
    def topology(self) -> dict:
        """The PBX as reconstruction needs it; trunks named as their channels show them (for DAHDI
        the ISDN span, ``i1``), extensions as the phones' channels do."""
        return {
            "trunks": sorted(trunk_peers(self.style.technology, self.trunks).values()),
            "extensions": [e.extension for e in self.employees],
            "company_numbers": [line.number for line in self.lines],
            "groups": {k: list(v) for k, v in self.groups.items()},
            "queues": {k: list(v) for k, v in self.queues.items()},
        }

    def directories(self) -> dict[str, pd.DataFrame]:
        employees = pd.DataFrame(
            [(e.extension, e.name, e.department, e.mobile, 1) for e in self.employees],
            columns=["extension", "name", "department", "mobile", "active"],
        )
        lines = pd.DataFrame([(x.number, x.name, x.line_group, x.purpose) for x in self.lines],
                             columns=["number", "name", "line_group", "purpose"])
        return {
            "departments": pd.DataFrame(DEPARTMENTS, columns=["name", "parent"]),
            "employees": employees,
            "lines": lines,
            "partners": pd.DataFrame(sorted(self.partners.items()), columns=["number", "name"]),
            "red_phones": pd.DataFrame([(self.red_phone, "extension")], columns=["target", "kind"]),
            "efficiency_panels": pd.DataFrame(
                [("department", SALES, 60, "incoming,outgoing", 25),
                 ("department", SUPPORT, 90, "incoming", 20),
                 ("department", ACCOUNTING, 30, "incoming,outgoing", 5),
                 ("employee", self.red_phone, 120, "incoming", 15)],
                columns=["scope_kind", "scope", "min_talk_s", "directions", "daily_target"],
            ),
            "monitors": pd.DataFrame(
                [("sales", "Отдел продаж", "answered,missed,effective,talk_s", SALES, 60),
                 ("support", "Техническая поддержка", "answered,missed,wait_s", SUPPORT, 60)],
                columns=["name", "title", "indicators", "participants", "refresh_s"],
            ),
        }


def build_company(employees: int, rng: np.random.Generator, mobiles: np.ndarray, partner_numbers: np.ndarray,
                  style: PbxStyle | None = None) -> Company:
    """A company of ``employees`` people spread over the departments in fixed proportions; ``mobiles``
    are the employees' own numbers, ``partner_numbers`` clients known by name, ``style`` how its PBX
    writes the records."""
    if not len(STAFFING) <= employees <= MAX_EMPLOYEES:
        raise ValueError(f"a company has {len(STAFFING)} to {MAX_EMPLOYEES} employees, got {employees}")
    counts = {d: max(m, int(round(share * employees))) for d, (share, _, m) in STAFFING.items()}
    while sum(counts.values()) > employees:  # rounding up the minimums may overshoot
        biggest = max(counts, key=lambda d: counts[d])
        counts[biggest] -= 1
    while sum(counts.values()) < employees:
        counts[SUPPORT if sum(counts.values()) % 2 else SALES_1] += 1
    people: list[Employee] = []
    used: set[int] = set()
    for dept, (_, first, _) in STAFFING.items():
        number = first
        for i in range(counts[dept]):
            while number in used:  # a big team runs on into the next block
                number += 1
            used.add(number)
            n = len(people)
            female = rng.random() < 0.5
            first_name = FIRST_NAMES[int(rng.integers(0, 10)) + (0 if female else 10)]
            last = LAST_NAMES_M[int(rng.integers(0, len(LAST_NAMES_M)))] + ("а" if female else "")
            people.append(Employee(
                extension=str(number), name=f"{last} {first_name}", department=dept, mobile=str(mobiles[n]),
                rating_mean=float(rng.uniform(3.3, 4.8)), pickup_s=float(rng.uniform(4.0, 12.0)),
                saturday=dept == SUPPORT and i % 2 == 0,
            ))
    ext = {d: [e.extension for e in people if e.department == d] for d in STAFFING}
    company = Company(
        employees=people,
        lines=[
            Line("74951234567", "Основной", "Москва", "main", "mts-trunk", "ivr"),
            Line("78005553535", "Реклама 8-800", "Реклама", "advertising", "beeline-8800", f"ext:{ext[SALES_1][0]}"),
            Line("74957654321", "Поддержка", "Москва", "support", "mts-trunk", "queue:701"),
            Line("78127654321", "Санкт-Петербург", "Санкт-Петербург", "branch", "rt-spb", "group:601", "8"),
        ],
        # the red phone takes the advertising line's new clients, not the sales queue's regulars
        queues={"700": ext[SALES_1][1:] + ext[SALES_2], "701": ext[SUPPORT]},
        queue_strategy={"700": "rrmemory", "701": "ringall"},
        groups={"600": ext[ACCOUNTING], "601": ext[SALES_2]},
        red_phone=ext[SALES_1][0],
        after_hours=ext[OFFICE][0],
        ivr_menu=[(0.50, "queue:700"), (0.27, "queue:701"), (0.11, "group:600"), (0.07, f"ext:{ext[OFFICE][0]}"),
                  (0.05, "hangup")],
        style=style or PbxStyle(),
    )
    company.partners = {str(n): f"ООО «{PARTNER_NAMES[i % len(PARTNER_NAMES)]}»"
                        + (f" ({i // len(PARTNER_NAMES) + 1})" if i >= len(PARTNER_NAMES) else "")
                        for i, n in enumerate(partner_numbers)}
    return company
