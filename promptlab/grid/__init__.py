"""X/Y/Z comparison grids: spec -> plan (slow axes outermost) -> run on Backend(s) -> labelled PNG.

```python
from promptlab.grid import GridSpec, make_plan, run_grid, write_outputs
spec = GridSpec.from_yaml(Path("grid.yaml"))
plan = make_plan(spec)                 # raises GridTooLargeError above max_cells (default 1000)
run = run_grid(plan, backend, out_dir="out", resume=True)
outputs = write_outputs(run, "out")    # grid PNG(s), sheet, manifest.json
```
"""

from promptlab.grid.axes import AxisType, AxisValue, Choices
from promptlab.grid.output import GridOutputs, read_grid_metadata, render_run, write_outputs
from promptlab.grid.plan import (
    DEFAULT_MAX_CELLS, Cell, GridPlan, GridTooLargeError, TimingModel, describe, format_duration, make_plan,
)
from promptlab.grid.render import GridLayout, RenderedGrid, render_grid
from promptlab.grid.run import CellResult, CellStatus, GridProgress, GridRun, run_grid
from promptlab.grid.spec import Axis, GridSpec, parse_axis

__all__ = [
    "DEFAULT_MAX_CELLS", "Axis", "AxisType", "AxisValue", "Cell", "CellResult", "CellStatus", "Choices",
    "GridLayout", "GridOutputs", "GridPlan", "GridProgress", "GridRun", "GridSpec", "GridTooLargeError",
    "RenderedGrid", "TimingModel", "describe", "format_duration", "make_plan", "parse_axis",
    "read_grid_metadata", "render_grid", "render_run", "run_grid", "write_outputs",
]
