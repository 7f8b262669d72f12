"""Who missed each call, held against the simulator: the phones a call rang agree with the ground
truth on every PBX style, with and without CEL, and the reports' figures reconcile — the company's
unanswered calls reached someone or nobody, a department's or an employee's filtered dashboard
counts exactly the unanswered calls its row says reached it (docs/calls.md "Who a call reached")."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from atsnb.calls import Topology, reconstruct
from atsnb.calls.derive import fill_columns
from atsnb.calls.reached_column import REACHED, RECORD, pack_reached, unpack_places
from atsnb.calls.reading import read_calls
from atsnb.config import Settings
from atsnb.i18n import t
from atsnb.metrics.who_missed import missed_by, unanswered_reach
from atsnb.reports.period import period_range
from atsnb.simulate import PbxStyle, simulate
from atsnb.store import Store
from tests.support.demo_store import DEMO_PERIOD, build_report

END = "2026-11-20 18:00"  # three working days before it, whatever the clock says
STYLES = {
    "pjsip": PbxStyle(),
    "dahdi": PbxStyle(technology="dahdi"),
    "blonde-and-park": PbxStyle(transfers=("blonde", "park")),
    "atxfer": PbxStyle(transfers=("atxfer",)),
    "refer": PbxStyle(transfers=("refer",)),
}
INBOUND = ["incoming", "mixed"]
NOBODY_SCENARIOS = {"ivr_hangup", "after_hours"}


@pytest.fixture(scope="module", params=list(STYLES))
def sim(request):
    return simulate(days=3, seed=5, end=END, style=STYLES[request.param])


def reached(sim, *, witnesses: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The truth's incoming and mixed calls, and the reconstructed ones (in the same order) with
    their ``reached`` column packed with the company's topology."""
    topology = Topology.from_dict(sim.topology)
    extra = {"cel": sim.tables["cel"], "queue_log": sim.tables["queue_log"]} if witnesses else {}
    result = reconstruct(sim.tables["cdr"], topology, tz="Europe/Moscow", **extra)
    calls = result.calls.assign(reached=pack_reached(result.calls, result.steps, topology).to_numpy())
    truth = sim.truth[sim.truth["direction"].isin(INBOUND)].set_index("call_id")
    return truth, calls.set_index("call_id").loc[truth.index].reset_index()


def rung(texts) -> list[set[str]]:
    """The phones each text says rang."""
    out: list[set[str]] = [set() for _ in texts]
    for i, letter, target, _ in zip(*unpack_places(list(texts)), strict=True):
        if letter == "r":
            out[i].add(target)
    return out


@pytest.mark.parametrize("witnesses", [True, False], ids=["cel", "cdr-only"])
def test_the_phones_a_call_rang_are_the_ones_the_truth_rang(sim, witnesses):
    truth, calls = reached(sim, witnesses=witnesses)
    assert len(truth) > 500
    want = [set(filter(None, r.split(","))) for r in truth["rang"]]
    got = rung(calls["reached"])
    wrong = [(cid, w, g) for cid, w, g in zip(truth.index, want, got, strict=True) if w != g]
    assert not wrong, wrong[:5]


def test_the_unanswered_calls_that_reached_nobody_are_the_ones_the_truth_sent_nowhere(sim):
    truth, calls = reached(sim)
    unanswered = (truth["status"] != "answered").to_numpy()
    nowhere = ((truth["rang"] == "") & (truth["group"] == "") & (truth["employee"] == "")).to_numpy()
    empty = calls["reached"].eq("").to_numpy()
    assert (empty[unanswered] == nowhere[unanswered]).all()
    assert set(truth.loc[unanswered & empty, "scenario"]) == NOBODY_SCENARIOS
    split = unanswered_reach(calls)
    assert split["unanswered"] == unanswered.sum() == split["reached"] + split["elsewhere"] + split["nobody"]
    assert split["nobody"] == (unanswered & nowhere).sum() and split["elsewhere"] == 0


def test_per_employee_counts_agree_with_the_truth(sim):
    """On the calls nobody transferred, where the truth names everyone who talked (who answered)."""
    truth, calls = reached(sim)
    kept = (truth["transfers"] == 0).to_numpy()
    truth, calls = truth[kept], calls[kept].reset_index(drop=True)
    members = {name: set(m) for kind in ("queues", "groups") for name, m in sim.topology[kind].items()}
    expected: dict[str, list[int]] = {}
    for row in truth.itertuples():
        rang = set(filter(None, row.rang.split(",")))
        reached_them = rang | members.get(row.group, set()) | ({row.employee} if row.direction == "mixed" else set())
        for e in rang | reached_them:
            counts = expected.setdefault(e, [0, 0, 0, 0])
            if e in rang and row.status != "dropped":
                counts[0] += 1
                missed = e != row.answered_by and not (row.direction == "mixed" and row.status == "answered")
                counts[1] += missed
                counts[2] += missed and row.status == "answered"
            if row.status != "answered" and e in reached_them:
                counts[3] += 1
    table = missed_by(calls).set_index("employee")
    got = {e: list(map(int, r)) for e, r in zip(table.index, table.to_numpy(), strict=True) if any(r)}
    assert got == {e: c for e, c in expected.items() if any(c)}


run = build_report


def unanswered_of(report) -> tuple[int, int]:
    """(unanswered, incoming) behind the dashboard's % unanswered."""
    return report["kpis"].counts[t("rep_kpi_unanswered_pct")]


def missed_rows(report, holder: str) -> pd.DataFrame:
    data = report["missed"].data
    return data.set_index(data[t(holder)].str.strip("\u2003")).drop(columns=t(holder))


def period_calls(demo, columns: list[str]) -> pd.DataFrame:
    path, settings = demo
    lo, hi = period_range(**DEMO_PERIOD, tz=settings.pbx.timezone)
    return read_calls(Store.open(path), settings, lo, hi, columns, categorical=False)


def test_every_unanswered_call_of_the_company_reached_someone_or_nobody(demo):
    unanswered, incoming = unanswered_of(run("dashboard", demo))
    calls = period_calls(demo, ["call_id", "direction", "status", REACHED])
    split = unanswered_reach(calls)
    assert split["unanswered"] == unanswered and split["reached"] + split["elsewhere"] + split["nobody"] == unanswered
    assert split["reached"] > 0 and split["nobody"] > 0
    truth = pd.read_parquet(demo[0] / "simulation" / "truth.parquet").set_index("call_id")
    nobody = calls.loc[calls[REACHED].eq("") & calls["direction"].isin(INBOUND) & calls["status"].ne("answered"),
                       "call_id"]
    assert set(truth.loc[nobody, "scenario"]) == NOBODY_SCENARIOS
    # the employees' table says the same in its note
    note = run("employees", demo)["missed"].note
    assert f"{unanswered}" in note and f"{split['nobody']}" in note


def test_a_department_filter_counts_the_calls_that_reached_the_department(demo):
    path, settings = demo
    rows = missed_rows(run("departments", demo), "rep_col_department")
    company_pct = run("dashboard", demo)["kpis"].data.iloc[0][t("rep_kpi_unanswered_pct")]
    assert company_pct > 0
    for department in rows.index:
        if department == t("rep_no_department"):
            continue
        dashboard = run("dashboard", demo, department=department)
        unanswered, incoming = unanswered_of(dashboard)
        assert unanswered == rows.loc[department, t("rep_col_unanswered_reached")], department
        assert incoming > 0 and dashboard["kpis"].note.startswith(t("rep_reach_department", department=department))
        # the departments report filtered to it shows the same row
        alone = missed_rows(run("departments", demo, department=department), "rep_col_department")
        assert alone.loc[department].tolist() == rows.loc[department].tolist()
    support = run("dashboard", demo, department="Техническая поддержка")
    assert support["kpis"].data.iloc[0][t("rep_kpi_unanswered_pct")] > 0  # never a silent 0 %


def test_an_employee_filter_counts_the_calls_that_reached_the_employee(demo):
    everyone = run("employees", demo)
    rows = missed_rows(everyone, "rep_col_employee")
    assert len(rows) >= 15
    for label in rows.index[::4]:
        extension = label.rsplit("(", 1)[1].rstrip(")")
        unanswered, _ = unanswered_of(run("dashboard", demo, employee=extension))
        assert unanswered == rows.loc[label, t("rep_col_unanswered_reached")], label
        alone = missed_rows(run("employees", demo, employee=extension), "rep_col_employee")
        assert list(alone.index) == [label] and alone.loc[label].tolist() == rows.loc[label].tolist()


def test_rang_and_missed_add_up_for_every_employee(demo):
    """Not answered = answered by a colleague + missed calls (unanswered, not dropped) that rang
    them, the last counted here from the stored texts themselves."""
    calls = period_calls(demo, ["direction", "status", REACHED])
    missed = calls[calls["direction"].isin(INBOUND) & calls["status"].eq("unanswered")]
    rang_missed_calls: dict[str, int] = {}
    for text in missed[REACHED]:
        for token in text.split(RECORD) if text else []:
            if token[0] == "r":
                rang_missed_calls[token[1:]] = rang_missed_calls.get(token[1:], 0) + 1
    table = missed_by(calls).set_index("employee")
    assert (table["rang"] >= table["rang_missed"]).all() and (table["rang_missed"] >= table["missed_answered"]).all()
    left = table["rang_missed"] - table["missed_answered"]
    assert left[left > 0].to_dict() == rang_missed_calls
    assert (table["missed_answered"] > 0).sum() >= 10


def test_the_stored_column_is_filled_in_for_calls_stored_before_it(demo, tmp_path):
    path, settings = demo
    copy = tmp_path / "store"
    shutil.copytree(path, copy)
    settings = Settings()
    settings.store.path = str(copy)
    store = Store.open(copy)
    before = run("departments", (copy, settings))["missed"].data
    table = store.table("calls")
    month = table.months()[0]
    original = table.read_month(month)
    table.write_month(month, original.drop(columns=REACHED))  # as an earlier version wrote it
    assert table.months_lacking(REACHED) == [month]
    # read meanwhile: made from the routes, the same figures
    pd.testing.assert_frame_equal(run("departments", (copy, settings))["missed"].data, before)
    with store.writing():
        assert fill_columns(store) == 1
        assert fill_columns(store) == 0  # footers only from now on
    assert table.months_lacking(REACHED) == []
    assert table.read_month(month)[REACHED].tolist() == original[REACHED].tolist()
