"""Report mailings: time from due to sent for each report, against the bare papermill run of an
empty notebook measured in the same run (the ceiling: a kernel start and papermill's own work,
before any of our code runs).

For each store — the simulated demo company (14 days) and a synthetic year (default 1,000,000
calls, the generator of ``benchmarks/metrics.py``) — one mailing per report falls due and
``run-due``'s procedure (:meth:`MailChannel.deliver`) runs it: papermill, the snapshot, the mail,
a real SMTP server on loopback.  Every registered report, with the default ``mail.table_rows``.
Printed per report: seconds from due to sent, the ratio to the empty-notebook ceiling, and the
mail's size (whole message, and its HTML part: Gmail clips an HTML part beyond ~102 KB).

    .venv/bin/python benchmarks/mail.py [--calls 1000000] [--skip-year]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import nbformat
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tests.support.smtp_server import SMTPServer  # noqa: E402


def empty_notebook_seconds(folder: Path) -> float:
    """The ceiling: papermill runs a one-cell notebook in a fresh kernel."""
    import papermill

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source = folder / "empty.ipynb"
    nbformat.write(nb, source)
    start = time.perf_counter()
    papermill.execute_notebook(str(source), str(folder / "empty-out.ipynb"), kernel_name="python3",
                               progress_bar=False, cwd=str(folder))
    return time.perf_counter() - start


def mail_each_report(store_path: Path, due: pd.Timestamp, period: str, ceiling: float, label: str) -> None:
    from atsnb.composition import Context
    from atsnb.config import Settings
    from atsnb.delivery.channels import Happenings
    from atsnb.directory.csv_io import import_text
    from atsnb.reports import REPORTS

    settings = Settings()
    settings.store.path = str(store_path)
    settings.smtp.sender, settings.smtp.starttls = "atsnb@example.ru", False
    settings.ui.public_url = "https://calls.example.ru/"
    with SMTPServer() as server:
        settings.smtp.host, settings.smtp.port = server.host, server.port
        for report in REPORTS:
            ctx = Context.from_settings(settings)
            import_text(ctx.directories, "mailings", "name;report;parameters;schedule;recipients;active\n"
                        f"{report}-{label};{report};{period};{due.minute} {due.hour} * * *;boss@example.ru;1\n",
                        source="mailings.csv", replace=True)
            channel = ctx.channel("mail")
            start = time.perf_counter()
            channel.deliver(Happenings(now=due + pd.Timedelta(seconds=1)))
            seconds = time.perf_counter() - start
            if channel.failures:  # e.g. a report that needs tables the synthetic year does not have
                print(f"{label:>6}  {report:<12} not sent: {channel.failures[0]}", flush=True)
                continue
            msg = server.messages[-1]
            html = msg.get_body(("html",)).get_content()
            print(f"{label:>6}  {report:<12} {seconds:6.2f} s   {seconds / ceiling:5.2f}× the empty notebook   "
                  f"mail {len(server.raw[-1]) / 1024:6.0f} KB, HTML {len(html.encode()) / 1024:5.0f} KB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--skip-year", action="store_true", help="only the demo store")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from atsnb.flow import store_simulation
    from atsnb.simulate import simulate
    from atsnb.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        empty = [empty_notebook_seconds(folder) for _ in range(3)]
        ceiling = sorted(empty)[1]
        print(f"ceiling: papermill, empty notebook, fresh kernel: {ceiling:.2f} s (median of 3)", flush=True)
        demo = folder / "demo"
        from atsnb.config import Settings

        settings = Settings()
        settings.store.path = str(demo)
        store_simulation(simulate(days=14, seed=7, end="2025-03-17 00:00"), Store.open(demo), settings, progress=False)
        mail_each_report(demo, pd.Timestamp("2025-03-17 09:00", tz="Europe/Moscow"), "period=last_7_days", ceiling,
                         "demo")
        if not args.skip_year:
            from dashboards import MONTH, build_store

            year = folder / "year"
            build_store(str(year), args.calls)
            end = pd.Timestamp(MONTH["end"], tz="Europe/Moscow") + pd.Timedelta(days=1, hours=9)
            mail_each_report(year, end, f"start={MONTH['start']}&end={MONTH['end']}", ceiling, "year")
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
