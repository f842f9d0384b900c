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


def png_size(path):
    from PIL import Image

    with Image.open(path) as image:
        return image.size


def test_figures_follow_the_resolution_and_format_asked_for(workdir, capsys):
    from sweepnet.analysis.report import main as report_main
    from sweepnet.runner.app import main

    assert main(["-m", "optimizer.lr=0.5,2", "trainer.epochs=10", "hydra.sweep.dir=s"]) == 0
    default = png_size(workdir / "s" / "loss_curves.png")
    assert main(["-m", "optimizer.lr=0.5,2", "trainer.epochs=10", "hydra.sweep.dir=t",
                 "report.dpi=50"]) == 0
    assert png_size(workdir / "t" / "loss_curves.png") == (default[0] // 2, default[1] // 2)
    assert report_main(["s", "--dpi", "200"]) == 0
    assert png_size(workdir / "s" / "loss_curves.png") == (default[0] * 2, default[1] * 2)
    assert report_main(["s", "--pdf"]) == 0
    assert (workdir / "s" / "loss_curves.pdf").read_bytes().startswith(b"%PDF")
    assert 'href="loss_curves.pdf"' in (workdir / "s" / "report.html").read_text()
    capsys.readouterr()
    assert report_main(["s", "--dpi", "5000"]) == 2
    assert "--dpi must be from 50 to 600" in capsys.readouterr().err
    assert main(["-m", "optimizer.lr=0.5,2", "hydra.sweep.dir=u", "report.dpi=high"]) == 2
    assert "report.dpi must be a whole number" in capsys.readouterr().err
    assert not (workdir / "u").exists()
