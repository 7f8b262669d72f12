"""A simulated company writing what a FreePBX-style Asterisk 13+ writes, row by row, plus its ground truth.

>>> sim = simulate(days=7, seed=1)
>>> simulate(days=7, style=PbxStyle(technology="iax2", transfers=("blind", "atxfer", "refer")))
>>> sim.tables["cdr"]        # the cdr table as the PBX has it (flavour column names)
>>> sim.truth                # what really happened, one row per call
>>> write_mysql(sim, "mysql://…")                   # a database laid out like the PBX's
>>> atsnb.flow.store_simulation(sim, store, settings)  # or the embedded store, through the sync

See docs/simulator.md for the company, the scenario kinds and the row shapes.
"""

from atsnb.simulate.engine import FLAVOURS, Simulation, simulate
from atsnb.simulate.recordings import render_recording
from atsnb.simulate.style import PbxStyle
from atsnb.simulate.targets import write_mysql

__all__ = ["FLAVOURS", "PbxStyle", "Simulation", "render_recording", "simulate", "write_mysql"]
