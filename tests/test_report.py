"""The report draws its figures in two processes when it can; what it returns is what it wrote."""

import pytest

from sweepnet.analysis import report as report_module
from sweepnet.analysis.report import PlotTask, draw_all


def write(text, path):
    path.write_text(text)


def fail(path):
    raise RuntimeError("this figure cannot be drawn")


def tasks():
    return [PlotTask(f"fig{i}.txt", write, (f"figure {i}",), cost=i + 1) for i in range(5)] + [
        PlotTask("broken.txt", fail)]


@pytest.mark.parametrize("fork", [True, False])
def test_every_figure_is_drawn_once_and_a_failing_one_is_left_out(tmp_path, monkeypatch, fork):
    monkeypatch.setattr(report_module, "_can_fork", lambda: fork)
    calls = []
    files = draw_all(tmp_path, tasks(), lambda: calls.append("tables"))
    assert calls == ["tables"]  # the other work runs once, in this process
    assert [f.name for f in files] == [f"fig{i}.txt" for i in range(5)]
    assert [(tmp_path / f"fig{i}.txt").read_text() for i in range(5)] == [
        f"figure {i}" for i in range(5)]
    assert not (tmp_path / "broken.txt").exists()
