"""The package's front door: what an analyst reaches from ``import atsnb``, and the CLI's help."""

import subprocess
import sys

import atsnb
from atsnb.cli import COMMANDS, build_parser


def test_analyst_names_are_reachable_from_the_package():
    assert callable(atsnb.load_calls) and callable(atsnb.reconstruct)
    assert callable(atsnb.reports.dashboard) and callable(atsnb.views.show)
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
