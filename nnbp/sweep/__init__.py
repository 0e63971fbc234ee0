"""Sweeps: one config trained over a grid of values and several seeds (`sweep`), the grid itself
(`grid`), one run as a worker trains it (`worker`), and the summary per grid point (`summary`).

    sweep = plan(Path("configs/sweep-eta.yaml"), ["eta=0.025,0.25,2.5"], seeds="0,1,2")
    summary = sweep.run(jobs=2, on_outcome=lambda point, outcome: print(point.name, outcome.status))
"""

from nnbp.sweep.grid import Point
from nnbp.sweep.summary import read_summary
from nnbp.sweep.sweep import Sweep, plan
from nnbp.sweep.worker import Outcome

__all__ = ["Outcome", "Point", "Sweep", "plan", "read_summary"]
