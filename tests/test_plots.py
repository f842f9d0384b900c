"""The sweep plots: files, sizes, and that each plot draws the data it is given."""

from __future__ import annotations

import struct

import numpy as np
import pandas as pd
import pytest
from matplotlib.contour import ContourSet

from sweepnet.analysis.plots import (
    artists,
    plot_convergence,
    plot_decision_boundary,
    plot_decision_grid,
    plot_loss_curves,
    plot_val_accuracy,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LRS = [0.01, 0.1, 0.5, 1.0, 10.0]
EPOCHS = 60
DIVERGED_JOB = 4


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 5000
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def losses(job: int) -> np.ndarray:
    epochs = np.arange(1, EPOCHS + 1)
    if job == 0:  # stuck on a plateau from the start
        return np.full(EPOCHS, 0.69) - 1e-6 * epochs
    if job == DIVERGED_JOB:  # grows, then inf for the last three epochs
        loss = 0.7 * 1.05 ** epochs
        loss[-3:] = np.inf
        return loss
    return 0.7 * np.exp(-epochs / (5.0 * job)) + 0.05 * job


def make_frames(second: list | None = None):
    """history, summary, plateaus, parameters for one job per lr (x second values)."""
    parameters = ["optimizer.lr"] + (["model.hidden"] if second else [])
    combos = [(lr, h) for h in (second or [None]) for lr in LRS]
    history, summary = [], []
    for job, (lr, hidden) in enumerate(combos):
        kind = job % len(LRS)
        loss = losses(kind)
        params = {"optimizer.lr": lr, **({"model.hidden": hidden} if second else {})}
        history.append(pd.DataFrame({
            "job": job, **params, "epoch": np.arange(1, EPOCHS + 1), "loss": loss,
            "val_loss": loss, "val_accuracy": np.linspace(0.5, 0.6 + 0.05 * kind, EPOCHS),
            "time": np.linspace(0.01, 0.6, EPOCHS)}))
        diverged = kind == DIVERGED_JOB
        summary.append({
            "job": job, **params, "status": "diverged" if diverged else "ok",
            "final_loss": np.nan if diverged else loss[-1], "best_loss": np.nanmin(loss),
            "final_val_loss": np.nan if diverged else loss[-1],
            "best_val_accuracy": 0.6 + 0.05 * kind, "epochs": EPOCHS, "wall_time": 0.6,
            "convergence_epoch": {1: 40.0, 2: 45.0, 3: 20.0}.get(kind, np.nan),
            "n_plateaus": {0: 1, 2: 2}.get(kind, 0),
            "longest_plateau": {0: 60, 2: 16}.get(kind, 0),
            "stuck": kind == 0, "diverged": diverged,
            "diverged_epoch": 50.0 if diverged else np.nan})
    history = pd.concat(history, ignore_index=True)
    summary = pd.DataFrame(summary)
    plateaus = pd.DataFrame(
        [(j, s, e) for j in summary["job"] if j % len(LRS) == 0 for s, e in [(1, 60)]]
        + [(j, s, e) for j in summary["job"] if j % len(LRS) == 2 for s, e in
           [(10, 25), (30, 40)]], columns=["job", "start", "end"])
    plateaus["length"] = plateaus["end"] - plateaus["start"] + 1
    plateaus["level"] = 0.5
    plateaus["escaped"] = plateaus["start"] > 1
    return history, summary, plateaus, parameters


@pytest.fixture
def frames():
    return make_frames()


def test_loss_curves_png_draws_each_job(frames, tmp_path):
    history, summary, plateaus, parameters = frames
    path = tmp_path / "loss.png"
    fig = plot_loss_curves(history, summary, plateaus, parameters, path)
    assert png_size(path) == (900, 500)
    ax = fig.axes[0]
    curves = artists(ax, "curve")
    assert len(curves) == len(summary)
    for job, line in zip(summary["job"], curves):
        assert line.get_gid() == f"curve:{job}"
        loss = history.loc[history["job"] == job, "loss"].to_numpy()
        np.testing.assert_array_equal(line.get_ydata(), loss[np.isfinite(loss)])
    assert curves[DIVERGED_JOB].get_linestyle() == "--"
    assert curves[0].get_linestyle() == "-"
    # one shading per plateau row, on that run's own curve
    shadings = artists(ax, "plateau")
    assert len(shadings) == len(plateaus)
    assert [s.get_gid() for s in shadings] == [f"plateau:{j}" for j in plateaus["job"]]
    np.testing.assert_array_equal(shadings[1].get_xdata(), np.arange(10, 26))
    # convergence dots at the right epochs and losses
    dots = {d.get_gid(): d for d in artists(ax, "convergence")}
    expected = summary.dropna(subset=["convergence_epoch"])
    assert set(dots) == {f"convergence:{j}" for j in expected["job"]}
    for job, epoch in zip(expected["job"], expected["convergence_epoch"]):
        dot = dots[f"convergence:{job}"]
        assert list(dot.get_xdata()) == [epoch]
        assert list(dot.get_ydata()) == [losses(job)[int(epoch) - 1]]
    # an x at the last finite loss of the diverged run
    (cross,) = artists(ax, "diverged")
    assert cross.get_gid() == f"diverged:{DIVERGED_JOB}"
    assert list(cross.get_xdata()) == [EPOCHS - 3]
    # a log-scaled colorbar for the learning rate
    (cbar_ax,) = [a for a in fig.axes if a is not ax]
    assert cbar_ax.get_ylabel() == "optimizer.lr"
    assert cbar_ax.get_yscale() == "log"
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "training loss"
    assert "optimizer.lr" in fig.get_suptitle()


def test_loss_curves_log_scale_and_svg(frames, tmp_path):
    history, summary, plateaus, parameters = frames
    path = tmp_path / "loss.svg"
    fig = plot_loss_curves(history, summary, plateaus, parameters, path, log_scale=True)
    assert fig.axes[0].get_yscale() == "log"
    head = path.read_bytes()[:500]
    assert b"<svg" in head and not head.startswith(PNG_SIGNATURE)


def test_loss_curves_categorical_and_unswept(frames, tmp_path):
    history, summary, plateaus, _ = frames
    names = {j: ("sgd" if j % 2 else "adam") for j in summary["job"]}
    history = history.assign(**{"optimizer.lr": history["job"].map(names)})
    summary = summary.assign(**{"optimizer.lr": summary["job"].map(names)})
    fig = plot_loss_curves(history, summary, plateaus, ["optimizer.lr"], tmp_path / "cat.png")
    assert len(fig.axes) == 1  # a legend, not a colorbar
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "optimizer.lr = adam" in labels and "optimizer.lr = sgd" in labels
    assert "diverged" in labels and "plateau" in labels
    single = history[history["job"] == 1].drop(columns="optimizer.lr")
    fig = plot_loss_curves(single, summary[summary["job"] == 1].drop(columns="optimizer.lr"),
                           plateaus[plateaus["job"] == 1], [], tmp_path / "single.png")
    assert len(artists(fig.axes[0], "curve")) == 1
    assert "job 1" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_two_parameters_vary_the_line_style(tmp_path):
    history, summary, plateaus, parameters = make_frames(second=[8, 32])
    fig = plot_loss_curves(history, summary, plateaus, parameters, tmp_path / "two.png")
    curves = artists(fig.axes[0], "curve")
    assert len(curves) == len(summary) == 10
    assert curves[0].get_linestyle() != curves[len(LRS)].get_linestyle()
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "model.hidden = 8" in labels and "model.hidden = 32" in labels


def test_convergence_single_parameter(frames, tmp_path):
    _, summary, _, parameters = frames
    path = tmp_path / "convergence.png"
    fig = plot_convergence(summary, parameters, path)
    assert png_size(path) == (1200, 500)
    ax_loss, ax_conv = fig.axes
    assert ax_loss.get_xscale() == "log" and ax_conv.get_xscale() == "log"
    (series,) = artists(ax_loss, "series")
    ok = summary[summary["status"] == "ok"]
    np.testing.assert_allclose(series.get_xdata(), ok["optimizer.lr"])
    np.testing.assert_allclose(series.get_ydata(), ok["final_loss"])
    (conv,) = artists(ax_conv, "series")
    converged = summary.dropna(subset=["convergence_epoch"])
    np.testing.assert_allclose(conv.get_xdata(), converged["optimizer.lr"])
    np.testing.assert_allclose(conv.get_ydata(), converged["convergence_epoch"])
    for ax in (ax_loss, ax_conv):
        (cross,) = artists(ax, "diverged")
        assert list(cross.get_xdata()) == [LRS[DIVERGED_JOB]]
        assert [list(m.get_xdata()) for m in artists(ax, "stuck")] == [[LRS[0]]]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "stuck on a plateau" in labels and "diverged (not finite)" in labels


def test_convergence_one_line_per_second_parameter(tmp_path):
    _, summary, _, parameters = make_frames(second=[8, 32, 64])
    fig = plot_convergence(summary, parameters, tmp_path / "convergence.png")
    for ax in fig.axes:
        assert [s.get_gid() for s in artists(ax, "series")] == [
            "series:8", "series:32", "series:64"]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"model.hidden = 8", "model.hidden = 32", "model.hidden = 64"} <= set(labels)


def test_convergence_categorical_parameter(frames, tmp_path):
    _, summary, _, _ = frames
    summary = summary.assign(act=["relu", "tanh", "relu", "sigmoid", "tanh"])
    fig = plot_convergence(summary, ["act"], tmp_path / "categorical.png")
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["relu", "tanh", "sigmoid"]


def test_val_accuracy(frames, tmp_path):
    history, summary, _, parameters = frames
    path = tmp_path / "accuracy.png"
    fig = plot_val_accuracy(history, parameters, path)
    assert png_size(path) == (900, 500)
    curves = artists(fig.axes[0], "curve")
    assert len(curves) == len(summary)
    np.testing.assert_array_equal(curves[2].get_ydata(),
                                  history.loc[history["job"] == 2, "val_accuracy"])
    assert fig.axes[1].get_ylabel() == "optimizer.lr"
    with pytest.raises(ValueError, match="val_accuracy"):
        plot_val_accuracy(history.drop(columns="val_accuracy"), parameters,
                          tmp_path / "none.png")


def logistic(w, b):
    return lambda X: 1.0 / (1.0 + np.exp(-(X @ w + b)))


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-1, 0.5, (40, 2)), rng.normal(1, 0.5, (40, 2))])
    y = np.repeat([0, 1], 40)
    return X, y


def test_decision_boundary(blobs, tmp_path):
    X, y = blobs
    path = tmp_path / "boundary.png"
    fig = plot_decision_boundary(logistic(np.array([2.0, 1.0]), 0.1), X, y, path=path)
    assert png_size(path) == (800, 600)
    ax = fig.axes[0]
    (surface,) = [c for c in ax.collections if c.get_gid() == "decision"]
    assert isinstance(surface, ContourSet)
    assert surface.levels.min() >= 0 and surface.levels.max() <= 1
    assert 0 <= surface.zmin and surface.zmax <= 1
    assert fig.axes[1].get_ylabel() == "network output"
    with pytest.raises(ValueError, match="exactly 2 features"):
        plot_decision_boundary(lambda Z: Z[:, 0], np.zeros((5, 3)), np.zeros(5))


def test_decision_boundary_into_given_axes(blobs, tmp_path):
    from matplotlib.figure import Figure

    X, y = blobs
    fig = Figure()
    ax = fig.add_subplot()
    predict = logistic(np.array([1.0, -1.0]), 0.0)
    assert plot_decision_boundary(lambda Z: predict(Z)[:, None], X, y[:, None], ax=ax,
                                  title="run 3", grid_step=0.1) is fig
    assert ax.get_title() == "run 3"
    assert not list(tmp_path.iterdir())  # nothing saved without a path


def test_decision_grid(blobs, tmp_path):
    X, y = blobs
    panels = [(f"optimizer.lr = {lr:g}", logistic(np.array([lr, 1.0]), 0.0), X, y)
              for lr in (0.1, 1.0, 2.0, 5.0)]
    path = tmp_path / "grid.png"
    fig = plot_decision_grid(panels, path, ncols=3)
    assert png_size(path) == (1320, 760)
    with_images = [a for a in fig.axes if any(isinstance(c, ContourSet) for c in a.collections)]
    others = [a for a in fig.axes if a not in with_images]
    assert len(with_images) == 4
    assert [a.get_ylabel() for a in others] == ["network output"]
    assert [a.get_title() for a in with_images] == [p[0] for p in panels]
    assert fig.get_suptitle() == "Decision boundaries across the sweep"
