"""The package's front door: what an analyst reaches from ``import atsnb``, the CLI's help, and a
plain (not editable) install that serves its dashboards from any folder."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

import atsnb
from atsnb.cli import COMMANDS, build_parser
from atsnb.serve import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_analyst_names_are_reachable_from_the_package():
    assert callable(atsnb.load_calls) and callable(atsnb.reconstruct)
    assert callable(atsnb.context) and callable(atsnb.report) and callable(atsnb.views.show)
    assert callable(atsnb.reports.REPORTS["dashboard"].build)
    assert callable(atsnb.metrics.line_load_per_hour)


def test_import_atsnb_stays_light():
    code = "import sys, atsnb; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_help_explains_every_subcommand():
    text = build_parser().format_help()
    for name in COMMANDS:
        assert name in text
        sub = subprocess.run([sys.executable, "-m", "atsnb.cli", name, "--help"], capture_output=True, text=True)
        assert sub.returncode == 0 and len(sub.stdout) > 200, name


def test_the_wheel_lists_every_subpackage():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "atsnb").rglob("__init__.py")}
    assert listed == found | {"atsnb.dashboards", "atsnb.notebooks"}


@pytest.mark.slow
def test_a_plain_install_serves_its_dashboards_from_any_folder(tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(ROOT)], check=True, capture_output=True)
    assert (site / "atsnb" / "dashboards" / "lines.ipynb").is_file()
    assert (site / "atsnb" / "notebooks" / "lines.ipynb").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATSNB_")}
    env |= {"PYTHONPATH": str(site), "ATSNB_STORE": str(tmp_path / "store")}  # the installed copy, not this checkout
    port = free_port("127.0.0.1", 0)
    serve = subprocess.Popen([sys.executable, "-m", "atsnb.cli", "serve", "--no-browser", "--no-auth", "--no-preheat",
                              "--port", str(port)], cwd=elsewhere, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        first = serve.stdout.readline()
        assert f"127.0.0.1:{port}" in first, first
        page = httpx.get(f"http://127.0.0.1:{port}/voila/render/lines.ipynb", timeout=120)
        assert page.status_code == 200
        assert "application/vnd.jupyter.widget-view+json" in page.text  # the report's app was built
    finally:
        serve.terminate()
        serve.wait(30)
