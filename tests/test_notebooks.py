"""The workshop notebooks run top to bottom, quickly, and every chart they show is titled and labelled."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
BUDGET_SECONDS = 60  # a workshop cannot wait longer for a notebook (measured: 10-30 s on 2 cores)

# Run before the notebook's own cells: checks each figure as it is drawn for display.
CHECK_CHARTS = """
import matplotlib
from matplotlib.backend_bases import FigureCanvasBase

_chart_problems = []
_print_figure = FigureCanvasBase.print_figure


def _checked_print_figure(canvas, *args, **kwargs):
    figure = canvas.figure
    axes = [ax for ax in figure.axes if ax.get_visible()]
    titled = bool(figure._suptitle and figure._suptitle.get_text()) or any(ax.get_title() for ax in axes)
    if not titled:
        _chart_problems.append("a chart without a title")
    if axes and not any(ax.get_xlabel() for ax in axes):
        _chart_problems.append(f"{axes[0].get_title() or 'a chart'}: no x-axis label")
    for ax in axes:
        if not ax.get_ylabel():
            _chart_problems.append(f"{ax.get_title() or 'a chart'}: no y-axis label")
    return _print_figure(canvas, *args, **kwargs)


FigureCanvasBase.print_figure = _checked_print_figure
"""
REPORT_CHARTS = "assert not _chart_problems, _chart_problems\nprint('charts checked')"


def test_there_are_six_workshop_notebooks() -> None:
    assert [p.name[:3] for p in NOTEBOOKS] == ["01_", "02_", "03_", "04_", "05_", "06_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_ends_with_exercises_the_teacher_can_check(path: Path) -> None:
    text = "\n".join(
        cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"
    )
    assert "Exercise" in text, "a notebook ends with exercises"
    assert "docs/workshop.md" in text, "and says where the teacher finds the answers"
    guide = (path.parents[1] / "docs" / "workshop.md").read_text("utf-8")
    assert f"`{path.name}`" in guide.split("## Answers to the notebooks' exercises", 1)[1], (
        "the guide answers them"
    )
    assert "in development" not in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "commit it clean"
    nb.cells.insert(0, nbformat.v4.new_code_cell(CHECK_CHARTS))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT_CHARTS))
    client = NotebookClient(nb, timeout=BUDGET_SECONDS, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the failing cell, on any error
    seconds = time.perf_counter() - started
    assert seconds < BUDGET_SECONDS, f"{path.name} took {seconds:.0f} s"
    images = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})
    ]
    assert len(images) >= 2, "every notebook tells its story with charts"
    assert "charts checked" in "".join(o.get("text", "") for o in nb.cells[-1].outputs)
