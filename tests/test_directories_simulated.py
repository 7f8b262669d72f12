"""Directories against the simulated company: its directories pass validation, and filling from its
records finds exactly its company numbers and extensions — with and without a saved topology."""

import pytest

from atsnb.config import Settings
from atsnb.directory.fill import fill_employees, fill_lines
from atsnb.directory.rules import check_rows
from atsnb.flow import store_simulation
from atsnb.reference.org import Org
from atsnb.simulate import simulate
from atsnb.store import DIRECTORIES, Store


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    sim = simulate(days=1, seed=3, calls_per_day=300, end="2025-03-05 18:00", cel=False)
    store = Store.open(tmp_path_factory.mktemp("sim") / "store")
    store_simulation(sim, store, Settings())
    return sim, store


def test_the_simulated_directories_pass_validation(simulated):
    sim, store = simulated
    for name, df in sim.directories.items():
        assert name in DIRECTORIES
        _, problems = check_rows(store.catalog, name, df)
        assert [p.describe(name) for p in problems] == []


def test_filling_finds_exactly_the_company_lines_and_extensions(simulated, tmp_path):
    sim, source = simulated
    for saved_topology in (True, False):
        store = Store.open(tmp_path / f"fresh-{saved_topology}")
        with store.writing():
            store.table("cdr").upsert(source.table("cdr").read())
        if saved_topology:
            store.catalog.set_state("topology", source.catalog.get_state("topology"))
        lines = fill_lines(store)
        employees = fill_employees(store)
        assert set(lines.seen.number) == set(sim.topology["company_numbers"])
        assert set(employees.seen.extension) <= set(sim.topology["extensions"])
        assert len(employees.seen) >= 0.9 * len(sim.topology["extensions"])  # a quiet one may not ring in a day
        assert (lines.added, employees.added) == (len(lines.seen), len(employees.seen))


def test_the_org_model_reads_the_simulated_company(simulated):
    sim, store = simulated
    org = Org.from_catalog(store.catalog)
    employees = sim.directories["employees"]
    top = [name for depth, name in org.tree_rows() if depth == 0]
    everyone = set().union(*(org.employees_in(d) for d in top))
    assert everyone == set(employees.extension[employees.department.notna() & (employees.department != "")])
    for ext, dept in zip(employees.extension, employees.department, strict=True):
        if isinstance(dept, str) and dept:
            assert org.chain(ext)[0] == dept
    panels = sim.directories["efficiency_panels"]
    own = dict(zip(panels.scope[panels.scope_kind == "employee"],
                   panels.min_talk_s[panels.scope_kind == "employee"], strict=True))
    by_department = dict(zip(panels.scope[panels.scope_kind == "department"],
                             panels.min_talk_s[panels.scope_kind == "department"], strict=True))
    table = org.panel_table(employees.extension)
    for ext in employees.extension:
        expected = own.get(ext, next((by_department[d] for d in org.chain(ext) if d in by_department), 60))
        assert table.loc[ext, "min_talk_s"] == expected, ext
