"""The sweep figures: what each draws (found by gid), not its pixels."""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.transforms import Bbox

from sweepnet.analysis.groups import add_groups, choose_roles, group_table
from sweepnet.analysis.plots import (
    DPI,
    artists,
    plot_convergence,
    plot_curves,
    plot_decision_boundary,
    plot_decision_grid,
    plot_heatmap,
)
from sweepnet.analysis.plots.convergence import STRIP
from sweepnet.analysis.plots.style import save
from sweepnet.analysis.surface import decision_surface

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LRS = [0.01, 0.1, 0.5, 1.0, 10.0]
EPOCHS = 60
STUCK_LR, DIVERGED_LR = 0.01, 10.0
CONVERGED_AT = {0.1: 40, 0.5: 45, 1.0: 20}
PLATEAUS = {STUCK_LR: [(1, EPOCHS)], 0.5: [(10, 25), (30, 40)]}


# --------------------------------------------------------------------------- synthetic sweeps


@dataclass
class Sweep:
    history: pd.DataFrame
    summary: pd.DataFrame
    plateaus: pd.DataFrame
    parameters: list
    chosen: dict = field(default_factory=dict)  # roles chosen, as on the command line

    def roles(self):
        return choose_roles(self.summary, self.parameters, **self.chosen)


def loss_curve(lr: float, seed: int = 0, diverges: bool = False) -> np.ndarray:
    """A run's training loss: stuck at 0.69, diverging (inf for the last 3 epochs), or decaying."""
    epochs = np.arange(1, EPOCHS + 1)
    if diverges:
        loss = 0.7 * 1.05 ** epochs
        loss[-3:] = np.inf
        return loss
    if lr == STUCK_LR:
        return np.full(EPOCHS, 0.69) - 1e-6 * epochs + 0.001 * seed ** 2
    return 0.7 * np.exp(-epochs * lr / 5.0) + 0.05 / (1 + lr) + 0.01 * seed ** 2


def make_sweep(lrs=LRS, seeds=(0,), hidden=None, depth=None, also_diverged=()) -> Sweep:
    """One job per combination; lr 10 and the (lr, seed) pairs of ``also_diverged`` diverge."""
    axes = {"optimizer.lr": list(lrs), "seed": list(seeds), "model.hidden": hidden,
            "model.depth": depth}
    swept = {name: values for name, values in axes.items()
             if values is not None and (name != "seed" or len(values) > 1)}
    history, summary, plateaus = [], [], []
    combos = itertools.product(depth or [None], hidden or [None], lrs, seeds)
    for job, (d, h, lr, seed) in enumerate(combos):
        params = {k: v for k, v in (("optimizer.lr", lr), ("seed", seed), ("model.hidden", h),
                                    ("model.depth", d)) if k in swept}
        diverges = lr == DIVERGED_LR or (lr, seed) in also_diverged
        loss = loss_curve(lr, seed, diverges)
        history.append(pd.DataFrame({
            "job": job, **params, "epoch": np.arange(1, EPOCHS + 1), "loss": loss,
            "val_loss": 1.1 * loss, "val_accuracy": np.linspace(0.5, 0.9 - 0.01 * seed, EPOCHS)}))
        summary.append({
            "job": job, **params, "status": "diverged" if diverges else "ok",
            "final_loss": np.nan if diverges else loss[-1], "best_loss": np.nanmin(loss),
            "final_val_loss": np.nan if diverges else 1.1 * loss[-1],
            "final_val_accuracy": 0.9, "best_val_accuracy": 0.9, "epochs": EPOCHS,
            "wall_time": 0.5,
            "convergence_epoch": pd.NA if diverges else CONVERGED_AT.get(lr, pd.NA),
            "n_plateaus": len(PLATEAUS.get(lr, [])), "longest_plateau": 0,
            "stuck": lr == STUCK_LR, "diverged": diverges,
            "diverged_epoch": 49.0 if diverges else np.nan})
        plateaus += [(job, start, end) for start, end in PLATEAUS.get(lr, [])]
    summary = pd.DataFrame(summary).astype({"convergence_epoch": "Int64"})
    plateaus = pd.DataFrame(plateaus, columns=["job", "start", "end"])
    plateaus["length"] = plateaus["end"] - plateaus["start"] + 1
    plateaus["level"] = 0.69
    plateaus["escaped"] = plateaus["start"] > 1
    return Sweep(pd.concat(history, ignore_index=True), summary, plateaus, list(swept))


# --------------------------------------------------------------------------- helpers


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def panels(fig: Figure) -> list:
    """The data axes of a figure (not its colorbars)."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


def colorbars(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


def figure_text(fig: Figure) -> str:
    """Every text a reader sees: titles, axis labels, legends, colorbar labels, annotations."""
    texts = [fig.get_suptitle()]
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    texts += [t.get_text() for legend in legends for t in legend.get_texts()]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        texts += [t.get_text() for t in ax.texts]
    return "\n".join(texts)


def assert_laid_out(fig: Figure) -> None:
    """Nothing sticks out of the figure or overlaps: panels (with their titles, tick
    labels and axis labels), colorbars, the suptitle and the legend below."""
    renderer = fig.canvas.get_renderer()
    inside = Bbox.from_bounds(-1, -1, fig.bbox.width + 2, fig.bbox.height + 2)
    boxes = [(f"axes {ax.get_label() or i}", ax.get_tightbbox(renderer))
             for i, ax in enumerate(fig.axes)]
    if fig.get_suptitle():
        boxes.append(("suptitle", fig._suptitle.get_window_extent(renderer)))
    boxes += [("legend", legend.get_window_extent(renderer)) for legend in fig.legends]
    for name, box in boxes:
        assert inside.contains(box.x0, box.y0) and inside.contains(box.x1, box.y1), (
            f"{name} sticks out of the figure: {box.bounds} vs {fig.bbox.bounds}")
    for (name, box), (other, box2) in itertools.combinations(boxes, 2):
        overlap = Bbox.intersection(box, box2)
        assert overlap is None or min(overlap.width, overlap.height) <= 1, (
            f"{name} overlaps {other}: {box.bounds} and {box2.bounds}")


def group_of(sweep: Sweep, roles) -> pd.DataFrame:
    return add_groups(sweep.summary, roles)


@pytest.fixture
def lr_sweep() -> Sweep:
    return make_sweep()


@pytest.fixture
def seeded() -> Sweep:
    """lr x 3 seeds x 3 widths x 2 depths: 90 runs in 30 groups, widths as hue.

    Values are listed out of order: the figures sort them naturally.
    """
    sweep = make_sweep(seeds=(0, 1, 2), hidden=["[64]", "[4]", "[16]"], depth=[10, 2],
                       also_diverged={(1.0, 2)})
    sweep.chosen = {"hue": "model.hidden"}
    return sweep


# --------------------------------------------------------------------------- saving


def test_png_has_exactly_the_promised_size_and_svg_follows_the_suffix(lr_sweep, tmp_path):
    roles = lr_sweep.roles()
    plot_curves(lr_sweep.history, lr_sweep.summary, lr_sweep.plateaus, roles,
                tmp_path / "loss.png")
    assert png_size(tmp_path / "loss.png") == (9 * DPI, 5 * DPI)
    plot_curves(lr_sweep.history, lr_sweep.summary, lr_sweep.plateaus, roles,
                tmp_path / "loss.svg")
    head = (tmp_path / "loss.svg").read_bytes()[:500]
    assert b"<svg" in head and not head.startswith(PNG_SIGNATURE)


def test_an_unknown_suffix_is_refused_before_anything_is_written(lr_sweep, tmp_path):
    with pytest.raises(ValueError, match=r"\.png, \.svg, \.pdf"):
        plot_curves(lr_sweep.history, lr_sweep.summary, lr_sweep.plateaus, lr_sweep.roles(),
                    tmp_path / "loss.jpg")
    assert not list(tmp_path.iterdir())


def test_save_replaces_a_plot_whole_or_not_at_all(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(2, 1), dpi=DPI)
    FigureCanvasAgg(fig)
    target = tmp_path / "plot.png"
    target.write_bytes(b"the previous plot")

    def broken(temp, **_):
        Path(temp).write_bytes(b"half a plot")
        raise RuntimeError("killed while saving")

    fig.savefig = broken
    with pytest.raises(RuntimeError):
        save(fig, target)
    assert target.read_bytes() == b"the previous plot"
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]  # no temp file left
    del fig.savefig
    save(fig, target)
    assert png_size(target) == (200, 100)
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]


# --------------------------------------------------------------------------- curves: single runs


def test_single_replicate_sweep_draws_one_line_per_run_with_its_marks(lr_sweep, tmp_path):
    history, summary, plateaus = lr_sweep.history, lr_sweep.summary, lr_sweep.plateaus
    fig = plot_curves(history, summary, plateaus, lr_sweep.roles(), tmp_path / "loss.png")
    (ax,) = panels(fig)
    curves = artists(ax, "curve")
    assert [c.get_gid() for c in curves] == [f"curve:{j}" for j in summary["job"]]
    for job, line in zip(summary["job"], curves):
        loss = history.loc[history["job"] == job, "loss"].to_numpy()
        np.testing.assert_array_equal(line.get_ydata(), loss[np.isfinite(loss)])
    diverged_job = int(summary.loc[summary["optimizer.lr"] == DIVERGED_LR, "job"].iloc[0])
    assert curves[diverged_job].get_linestyle() == "--"
    assert {c.get_linestyle() for i, c in enumerate(curves) if i != diverged_job} == {"-"}
    # plateaus: one shading per run that has them, over exactly the plateau epochs
    shaded = {a.get_gid(): a for a in artists(ax, "plateau")}
    assert set(shaded) == {f"plateau:{j}" for j in plateaus["job"]}
    mid_job = int(summary.loc[summary["optimizer.lr"] == 0.5, "job"].iloc[0])
    x = np.asarray(shaded[f"plateau:{mid_job}"].get_xdata(), dtype=float)
    np.testing.assert_array_equal(x[np.isfinite(x)], np.r_[10:26, 30:41])
    # convergence dots on the curve at the convergence epoch
    dots = {d.get_gid(): d for d in artists(ax, "convergence")}
    converged = summary.dropna(subset=["convergence_epoch"])
    assert set(dots) == {f"convergence:{j}" for j in converged["job"]}
    for job, lr, epoch in zip(converged["job"], converged["optimizer.lr"],
                              converged["convergence_epoch"]):
        assert list(dots[f"convergence:{job}"].get_xdata()) == [epoch]
        assert list(dots[f"convergence:{job}"].get_ydata()) == [loss_curve(lr)[epoch - 1]]
    # an x at the last finite loss of the diverged run
    (cross,) = artists(ax, "diverged")
    assert cross.get_gid() == f"diverged:{diverged_job}"
    assert list(cross.get_xdata()) == [EPOCHS - 3]
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "training loss"


def test_a_handful_of_numeric_values_get_a_palette_colour_each_in_order(lr_sweep, tmp_path):
    fig = plot_curves(lr_sweep.history, lr_sweep.summary, lr_sweep.plateaus, lr_sweep.roles(),
                      tmp_path / "loss.png")
    assert not colorbars(fig)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert [t for t in labels if t.startswith("optimizer.lr")] == [
        f"optimizer.lr = {lr:g}" for lr in LRS]
    (ax,) = panels(fig)
    colours = {c.get_gid(): c.get_color() for c in artists(ax, "curve")}
    assert len(set(colours.values())) == len(LRS)  # tab10: no pale end on white


def test_many_numeric_values_get_a_log_colorbar_ticked_at_the_swept_values(tmp_path):
    lrs = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0]
    sweep = make_sweep(lrs=lrs)
    fig = plot_curves(sweep.history, sweep.summary, sweep.plateaus, sweep.roles(),
                      tmp_path / "loss.png")
    (cbar,) = colorbars(fig)
    assert cbar.get_ylabel() == "optimizer.lr"
    assert cbar.get_yscale() == "log"
    np.testing.assert_allclose(cbar.get_yticks(), lrs)
    assert [t.get_text() for t in cbar.get_yticklabels()] == [f"{lr:g}" for lr in lrs]


def test_a_categorical_x_gets_a_legend_in_natural_order(tmp_path):
    sweep = make_sweep(lrs=[0.1, 0.5, 1.0])
    names = {0.1: "sgd", 0.5: "adam", 1.0: "adagrad"}
    for frame in (sweep.history, sweep.summary):
        frame["optimizer"] = frame.pop("optimizer.lr").map(names)
    roles = choose_roles(sweep.summary, ["optimizer"])
    fig = plot_curves(sweep.history, sweep.summary, sweep.plateaus, roles, tmp_path / "c.png")
    assert not colorbars(fig)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    colours = [optimizer for optimizer in labels if optimizer.startswith("optimizer = ")]
    assert colours == ["optimizer = adagrad", "optimizer = adam", "optimizer = sgd"]
    assert "plateau" in labels and "convergence epoch" in labels


def test_a_single_run_draws_one_labelled_line(lr_sweep, tmp_path):
    one = lr_sweep.summary["job"] == 1
    history = lr_sweep.history[lr_sweep.history["job"] == 1].drop(columns="optimizer.lr")
    summary = lr_sweep.summary[one].drop(columns="optimizer.lr")
    roles = choose_roles(summary, [])
    fig = plot_curves(history, summary, lr_sweep.plateaus.iloc[:0], roles, tmp_path / "r.png")
    (ax,) = panels(fig)
    assert [c.get_gid() for c in artists(ax, "curve")] == ["curve:1"]
    assert "job 1" in [t.get_text() for t in fig.legends[0].get_texts()]
    assert fig.get_suptitle().startswith("Training loss")


def test_log_scale_puts_the_loss_axis_on_a_log_scale(lr_sweep, tmp_path):
    fig = plot_curves(lr_sweep.history, lr_sweep.summary, lr_sweep.plateaus, lr_sweep.roles(),
                      tmp_path / "loss.png", log_scale=True)
    assert panels(fig)[0].get_yscale() == "log"


def test_validation_columns_are_drawn_the_same_way(lr_sweep, tmp_path):
    fig = plot_curves(lr_sweep.history, lr_sweep.summary, lr_sweep.plateaus, lr_sweep.roles(),
                      tmp_path / "acc.png", column="val_accuracy")
    (ax,) = panels(fig)
    curves = artists(ax, "curve")
    assert len(curves) == len(lr_sweep.summary)
    np.testing.assert_array_equal(
        curves[2].get_ydata(),
        lr_sweep.history.loc[lr_sweep.history["job"] == 2, "val_accuracy"])
    assert ax.get_ylabel() == "validation accuracy"
    assert not artists(ax, "plateau")  # plateaus belong to the training loss


@pytest.mark.parametrize("column", ["val_accuracy", "nonsense"])
def test_a_column_without_values_is_refused_with_the_columns_found(lr_sweep, tmp_path, column):
    history = lr_sweep.history.drop(columns="val_accuracy")
    with pytest.raises(ValueError, match=rf"no finite '{column}' values.*columns found: job"):
        plot_curves(history, lr_sweep.summary, lr_sweep.plateaus, lr_sweep.roles(),
                    tmp_path / "x.png", column=column)
    empty = lr_sweep.history.assign(val_accuracy=np.nan)
    with pytest.raises(ValueError, match="no validation split"):
        plot_curves(empty, lr_sweep.summary, lr_sweep.plateaus, lr_sweep.roles(),
                    tmp_path / "x.png", column="val_accuracy")
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- curves: groups


def test_replicates_draw_one_mean_line_and_band_per_group_in_each_panel(seeded, tmp_path):
    roles = seeded.roles()
    assert (roles.x, roles.hue, roles.col, roles.replicates) == (
        "optimizer.lr", "model.hidden", ("model.depth",), ("seed",))
    summary = group_of(seeded, roles)
    fig = plot_curves(seeded.history, summary, seeded.plateaus, roles, tmp_path / "loss.png")
    axes = panels(fig)
    assert len(axes) == 3 * 2  # hidden values across, depths down
    for ax in axes:
        assert len(artists(ax, "curve")) == len(artists(ax, "band")) == len(LRS)
    assert not artists(axes[0], "plateau") and not artists(axes[0], "convergence")
    # the line of a group is the mean of its replicates, the band their min and max
    group = int(summary.loc[(summary["optimizer.lr"] == 0.5) & (summary["model.depth"] == 10)
                            & (summary["model.hidden"] == "[16]"), "group"].iloc[0])
    jobs = summary.loc[summary["group"] == group, "job"]
    runs = seeded.history[seeded.history["job"].isin(jobs)].groupby("epoch")["loss"]
    everything = [a for ax in axes for a in artists(ax, "curve")]
    (line,) = [a for a in everything if a.get_gid() == f"curve:{group}"]
    np.testing.assert_allclose(line.get_ydata(), runs.mean())
    (band,) = [a for ax in axes for a in artists(ax, "band") if a.get_gid() == f"band:{group}"]
    path = band.get_paths()[0].vertices
    assert path[:, 1].min() == pytest.approx(runs.min().min())
    assert path[:, 1].max() == pytest.approx(runs.max().max())
    assert "line: mean over seed (n=3); band: min–max" in fig.get_suptitle()


def test_facets_share_y_within_a_row_and_x_within_a_column_with_fixed_ticks(seeded, tmp_path):
    from matplotlib.ticker import FixedLocator, NullLocator

    fig = plot_curves(seeded.history, seeded.summary, seeded.plateaus, seeded.roles(),
                      tmp_path / "loss.png")
    axes = panels(fig)  # 2 rows of 3
    assert axes[0].get_shared_y_axes().joined(axes[0], axes[2])
    assert not axes[0].get_shared_y_axes().joined(axes[0], axes[3])
    assert axes[0].get_shared_x_axes().joined(axes[0], axes[3])
    assert not axes[0].get_shared_x_axes().joined(axes[0], axes[1])
    for ax in axes:  # every panel on the same scale, ticks computed once
        assert ax.get_ylim() == axes[0].get_ylim() and ax.get_xlim() == axes[0].get_xlim()
        for axis in (ax.xaxis, ax.yaxis):
            assert isinstance(axis.get_major_locator(), FixedLocator)
            assert isinstance(axis.get_minor_locator(), NullLocator)
    assert [bool(ax.get_yticklabels()) for ax in axes] == [True, False, False] * 2
    assert [bool(ax.get_xticklabels()) for ax in axes] == [False] * 3 + [True] * 3


@pytest.mark.parametrize("short_epochs, own_axis", [(10, True), (30, False)])
def test_a_column_of_much_shorter_runs_gets_its_own_epoch_axis(seeded, tmp_path,
                                                               short_epochs, own_axis):
    """scikit-learn's gallery trains digits for 15 epochs beside 400: on one shared axis
    its curves would be a vertical line at the left (OWN_X_AXIS = 4)."""
    history = seeded.history.copy()
    short = history["job"].isin(seeded.summary.loc[seeded.summary["model.hidden"] == "[4]",
                                                    "job"])
    history = history[~short | (history["epoch"] <= short_epochs)]
    fig = plot_curves(history, seeded.summary, seeded.plateaus, seeded.roles(),
                      tmp_path / "loss.png")
    axes = panels(fig)  # columns: [4], [16], [64]
    assert bool(axes[0].get_xlim()[1] < short_epochs * 1.1) == own_axis
    assert axes[1].get_xlim() == axes[2].get_xlim()
    assert axes[0].get_xlim() == axes[3].get_xlim()  # a column shares its axis
    assert axes[1].get_xlim()[1] >= EPOCHS


def test_facets_are_titled_with_their_values_in_natural_order(seeded, tmp_path):
    fig = plot_curves(seeded.history, seeded.summary, seeded.plateaus, seeded.roles(),
                      tmp_path / "loss.png")
    titles = [ax.get_title() for ax in panels(fig)]
    assert titles == [f"model.depth = {d}, model.hidden = {h}"
                      for d in (2, 10) for h in ("[4]", "[16]", "[64]")]


def test_groups_with_diverged_replicates_say_so(seeded, tmp_path):
    fig = plot_curves(seeded.history, seeded.summary, seeded.plateaus, seeded.roles(),
                      tmp_path / "loss.png")
    ax = panels(fig)[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["optimizer.lr = 1: 1/3 diverged", "optimizer.lr = 10: 3/3 diverged"]
    # each x where the group's first replicate diverged, on the group's mean
    crosses = artists(ax, "diverged")
    assert [list(c.get_xdata()) for c in crosses] == [[49.0], [49.0]]
    means = {c.get_gid().split(":")[1]: c for c in artists(ax, "curve")}
    for cross in crosses:
        line = means[cross.get_gid().split(":")[1]]
        assert cross.get_ydata()[0] == line.get_ydata()[48]
    dashed = [c.get_linestyle() for c in artists(ax, "curve")]
    assert dashed == ["-", "-", "-", "--", "--"]


def test_a_wide_grid_wraps_and_stays_within_1600_px(tmp_path):
    sweep = make_sweep(lrs=[0.1, 1.0], seeds=(0, 1), hidden=[f"[{2 ** k}]" for k in range(7)])
    fig = plot_curves(sweep.history, sweep.summary, sweep.plateaus, sweep.roles(),
                      tmp_path / "loss.png")
    width, _ = png_size(tmp_path / "loss.png")
    assert width <= 1600
    positions = {ax.get_subplotspec().colspan.start for ax in panels(fig)}
    assert len(positions) <= 5 and len(panels(fig)) == 7


# --------------------------------------------------------------------------- every name shown


@pytest.mark.parametrize("figure", ["curves", "convergence", "heatmap"])
def test_every_swept_parameter_is_named_in_the_figure(seeded, tmp_path, figure):
    roles = seeded.roles()
    summary = group_of(seeded, roles)
    if figure == "curves":
        fig = plot_curves(seeded.history, summary, seeded.plateaus, roles, tmp_path / "f.png")
    elif figure == "convergence":
        fig = plot_convergence(summary, roles, tmp_path / "f.png")
    else:
        fig = plot_heatmap(group_table(summary, roles), roles, tmp_path / "f.png")
    text = figure_text(fig)
    for parameter in seeded.parameters:
        assert parameter in text, f"{parameter} is named nowhere in the {figure} figure"


# --------------------------------------------------------------------------- convergence


def test_convergence_against_a_learning_rate_is_on_a_log_axis_ticked_at_the_rates(
        lr_sweep, tmp_path):
    summary = lr_sweep.summary
    fig = plot_convergence(summary, lr_sweep.roles(), tmp_path / "conv.png")
    ax_loss, ax_epoch, ax_val = panels(fig)
    assert [ax.get_title() for ax in panels(fig)] == [
        "final training loss", "convergence epoch", "final validation loss"]
    for ax in panels(fig):
        assert ax.get_xscale() == "log"
        np.testing.assert_allclose(ax.get_xticks(), LRS)
    ok = summary[summary["status"] == "ok"]
    (series,) = artists(ax_loss, "series")
    assert series.get_gid() == "series:all" and series.get_linestyle() == "-"
    np.testing.assert_allclose(series.get_xdata(), ok["optimizer.lr"])
    np.testing.assert_allclose(series.get_ydata(), ok["final_loss"])
    converged = summary.dropna(subset=["convergence_epoch"])
    (epochs,) = artists(ax_epoch, "series")
    np.testing.assert_allclose(epochs.get_ydata(), converged["convergence_epoch"].astype(float))
    for ax in panels(fig):
        (cross,) = artists(ax, "diverged")
        assert list(cross.get_xdata()) == [DIVERGED_LR]
        assert list(cross.get_ydata()) == [STRIP] and STRIP > 1  # above the panel
        assert [list(m.get_xdata()) for m in artists(ax, "stuck")] == [[STUCK_LR]]
    # the stuck run has no convergence epoch: marked stuck above the panel, not twice
    (stuck,) = artists(ax_epoch, "stuck")
    assert list(stuck.get_ydata()) == [STRIP]
    assert not artists(ax_epoch, "not_converged")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"stuck on a plateau", "diverged (above the panel)"} <= set(labels)
    # losses on an absolute scale: from 0, or log when they span more than 10x (here)
    for ax in (ax_loss, ax_val):
        assert ax.get_yscale() == "log" or ax.get_ylim()[0] == 0


def test_a_small_difference_of_final_losses_is_drawn_from_zero_not_as_a_spike(tmp_path):
    sweep = make_sweep(lrs=[0.1, 0.5, 1.0])
    sweep.summary["final_loss"] = [0.0835, 0.0834, 0.0855]  # the lr_sweep's 2.5%
    fig = plot_convergence(sweep.summary, sweep.roles(), tmp_path / "conv.png")
    ax_loss = panels(fig)[0]
    assert ax_loss.get_yscale() == "linear" and ax_loss.get_ylim()[0] == 0


def test_runs_that_did_not_converge_are_marked_outside_the_axis(lr_sweep, tmp_path):
    summary = lr_sweep.summary.copy()
    summary["convergence_epoch"] = pd.array([pd.NA] * len(summary), dtype="Int64")
    fig = plot_convergence(summary, lr_sweep.roles(), tmp_path / "conv.png")
    ax_epoch = panels(fig)[1]
    (marks,) = artists(ax_epoch, "not_converged")
    ordinary = summary[~summary["stuck"] & ~summary["diverged"]]
    np.testing.assert_allclose(marks.get_xdata(), ordinary["optimizer.lr"])
    assert set(marks.get_ydata()) == {STRIP}
    assert ax_epoch.get_ylim() == (0, EPOCHS * 1.05)  # the epochs trained, not 0-1
    (empty,) = artists(ax_epoch, "empty")
    assert empty.get_text() == "no run has a convergence epoch"
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "not converged (above the panel)" in labels


def test_a_categorical_x_is_never_joined_by_lines_and_hues_are_dodged(tmp_path):
    sweep = make_sweep(lrs=[0.1, 0.5, 1.0], hidden=["[64]", "[4]"])
    names = {0.1: "relu", 0.5: "tanh", 1.0: "sigmoid"}
    sweep.summary["activation"] = sweep.summary.pop("optimizer.lr").map(names)
    roles = choose_roles(sweep.summary, ["activation", "model.hidden"], x="activation")
    fig = plot_convergence(sweep.summary, roles, tmp_path / "conv.png")
    for ax in panels(fig):
        series = artists(ax, "series")
        assert [s.get_gid() for s in series] == ["series:[4]", "series:[64]"]
        for line in series:
            assert line.get_linestyle() == "None" or len(line.get_xdata()) == 1
        assert [t.get_text() for t in ax.get_xticklabels()] == ["relu", "sigmoid", "tanh"]
        left, right = (np.asarray(s.get_xdata()) for s in series)
        assert (left < right).all() and (right - left < 0.5).all()


def test_replicates_give_means_with_min_max_bars_and_faint_runs(seeded, tmp_path):
    roles = seeded.roles()
    summary = group_of(seeded, roles)
    fig = plot_convergence(summary, roles, tmp_path / "conv.png")
    axes = panels(fig)
    assert len(axes) == 3 * 2  # metrics across, depths down
    assert [ax.get_title() for ax in axes[:3]] == [
        "final training loss\nmodel.depth = 2", "convergence epoch\nmodel.depth = 2",
        "final validation loss\nmodel.depth = 2"]
    ax = axes[0]
    assert [s.get_gid() for s in artists(ax, "series")] == [
        "series:[4]", "series:[16]", "series:[64]"]
    chosen = summary[(summary["model.depth"] == 2) & (summary["model.hidden"] == "[16]")
                     & (summary["status"] == "ok")]
    stats = chosen.groupby("optimizer.lr")["final_loss"].agg(["mean", "min", "max"])
    (series,) = [s for s in artists(ax, "series") if s.get_gid() == "series:[16]"]
    np.testing.assert_allclose(series.get_ydata(), stats["mean"])
    (bars,) = [b for b in artists(ax, "errorbar") if b.get_gid() == "errorbar:[16]"]
    segments = np.array(bars.get_segments())
    np.testing.assert_allclose(segments[:, :, 1].min(axis=1), stats["min"])
    np.testing.assert_allclose(segments[:, :, 1].max(axis=1), stats["max"])
    (points,) = [p for p in artists(ax, "points") if p.get_gid() == "points:[16]"]
    assert len(points.get_xdata()) == len(chosen)
    assert "mean over seed (n=3)" in fig.get_suptitle()


def test_convergence_needs_an_x(lr_sweep, tmp_path):
    summary = lr_sweep.summary.assign(seed=range(len(lr_sweep.summary)))
    roles = choose_roles(summary, ["seed"])
    with pytest.raises(ValueError, match="needs a swept parameter for the x axis"):
        plot_convergence(summary, roles, tmp_path / "conv.png")


# --------------------------------------------------------------------------- heatmap


def test_heatmap_cells_are_the_group_means_in_natural_order(seeded, tmp_path):
    roles = seeded.roles()
    groups = group_table(group_of(seeded, roles), roles)
    fig = plot_heatmap(groups, roles, tmp_path / "heat.png")
    axes = panels(fig)
    assert [ax.get_title() for ax in axes] == ["model.depth = 2", "model.depth = 10"]
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["[4]", "[16]", "[64]"]
    ax = axes[1]  # the same grid of cells: shares its axes, labelled on the left panel only
    assert ax.get_shared_y_axes().joined(axes[0], ax) and not ax.get_yticklabels()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.01", "0.1", "0.5", "1", "10"]
    (image,) = artists(ax, "heatmap")
    cells = image.get_array()
    expected = (groups[groups["model.depth"] == 10]
                .pivot(index="model.hidden", columns="optimizer.lr", values="final_loss_mean")
                .loc[["[4]", "[16]", "[64]"], LRS].to_numpy())
    np.testing.assert_allclose(cells.filled(np.nan), expected)
    assert cells.mask[:, -1].all()  # every run at lr 10 diverged: no mean, a grey cell
    texts = [t.get_text() for t in artists(ax, "cell")]
    assert texts.count("diverged") == 3
    assert f"{expected[0, 1]:.3g}" in texts
    assert sum("1/3 div." in t for t in texts) == 3  # lr 1: one replicate in three diverged


def test_heatmap_needs_two_swept_parameters_and_a_known_metric(lr_sweep, seeded, tmp_path):
    roles = lr_sweep.roles()
    with pytest.raises(ValueError, match="needs two swept parameters.*swept: optimizer.lr"):
        plot_heatmap(group_table(lr_sweep.summary, roles), roles, tmp_path / "h.png")
    roles = seeded.roles()
    groups = group_table(seeded.summary, roles)
    with pytest.raises(ValueError, match="metrics available: final_loss, final_val_loss"):
        plot_heatmap(groups, roles, tmp_path / "h.png", metric="accuracy")
    fig = plot_heatmap(groups, roles, tmp_path / "h.png", metric="convergence_epoch")
    assert "convergence_epoch" in figure_text(fig)


# --------------------------------------------------------------------------- decision surfaces


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-1, 0.5, (40, 2)), rng.normal(1, 0.5, (40, 2))])
    return X, np.repeat([0, 1], 40)


def probability(w, b=0.0):
    return lambda X: 1.0 / (1.0 + np.exp(-(X @ w + b)))


def logit(w, b=0.0):
    return lambda X: X @ w + b


def test_a_probability_surface_gets_the_half_contour(blobs, tmp_path):
    X, y = blobs
    surface = decision_surface(probability(np.array([2.0, 1.0]), 0.1), X, y, points=50)
    path = tmp_path / "boundary.png"
    fig = plot_decision_boundary(surface, path=path)
    assert png_size(path) == (800, 600)
    (ax,) = panels(fig)
    (image,) = artists(ax, "decision")
    assert isinstance(image, AxesImage)
    assert (image.norm.vmin, image.norm.vmax) == (0, 1)
    np.testing.assert_array_equal(image.get_array(), surface["z"])  # first row at the bottom
    assert image.origin == "lower"
    left, right, bottom, top = image.get_extent()  # cells centred on the grid
    assert left < surface["x0"][0] < surface["x0"][-1] < right
    assert bottom < surface["x1"][0] < surface["x1"][-1] < top
    assert ax.get_xlim() == (surface["x0"][0], surface["x0"][-1])
    (boundary,) = artists(ax, "boundary")
    assert isinstance(boundary, ContourSet) and list(boundary.levels) == [0.5]
    red, blue = artists(ax, "data")
    assert red.get_gid() == "data:1" and len(red.get_offsets()) == 40
    assert colorbars(fig)[0].get_ylabel() == "network output"


def test_a_grid_of_logit_surfaces_gets_the_zero_contour_on_one_scale(blobs, tmp_path):
    X, y = blobs
    grid = [(f"optimizer.lr = {lr:g}", decision_surface(logit(np.array([lr, 1.0])), X, y,
                                                        points=40))
            for lr in (0.1, 1.0, 2.0, 5.0, 10.0)]
    path = tmp_path / "grid.png"
    fig = plot_decision_grid(grid, path, ncols=4)
    assert png_size(path)[0] <= 1600
    axes = panels(fig)
    assert [ax.get_title() for ax in axes] == [title for title, _ in grid]
    assert len(colorbars(fig)) == 1 and colorbars(fig)[0].get_ylabel() == "network output"
    norms = [artists(ax, "decision")[0].norm for ax in axes]
    assert all(norm is norms[0] for norm in norms)  # one colour scale
    bound = max(np.abs(surface["z"]).max() for _, surface in grid)
    assert (norms[0].vmin, norms[0].vmax) == (-bound, bound)  # symmetric about the boundary
    for ax in axes:
        (boundary,) = artists(ax, "boundary")
        assert list(boundary.levels) == [0.0]
    assert fig.get_suptitle() == "Decision boundaries across the sweep"
    # one plane: the panels share their axes, tick labels on the outer ones only
    assert axes[1].get_shared_y_axes().joined(axes[0], axes[1])
    assert axes[4].get_shared_x_axes().joined(axes[0], axes[4])
    assert axes[0].get_yticklabels() and not axes[1].get_yticklabels()


def test_surfaces_over_different_planes_keep_their_own_axes(blobs, tmp_path):
    X, y = blobs
    grid = [(f"dataset.seed = {k}", decision_surface(logit(np.array([1.0, 1.0])), X * (1 + k), y,
                                                     points=30)) for k in range(3)]
    fig = plot_decision_grid(grid, tmp_path / "grid.png")
    axes = panels(fig)
    assert not axes[0].get_shared_y_axes().joined(axes[0], axes[1])
    for ax, (_, surface) in zip(axes, grid):
        assert ax.get_xlim() == (surface["x0"][0], surface["x0"][-1])
        assert ax.get_yticklabels()
    assert_laid_out(fig)


def test_a_decision_boundary_draws_into_a_given_axes_and_saves_nothing(blobs, tmp_path):
    X, y = blobs
    fig = Figure()
    ax = fig.add_subplot()
    surface = decision_surface(probability(np.array([1.0, -1.0])), X, y, points=30)
    assert plot_decision_boundary(surface, title="run 3", ax=ax) is fig
    assert ax.get_title() == "run 3"
    assert artists(ax, "boundary")
    assert not list(tmp_path.iterdir())


def test_a_malformed_surface_is_refused_with_what_was_expected(blobs, tmp_path):
    X, y = blobs
    surface = decision_surface(logit(np.array([1.0, 1.0])), X, y, points=20)
    with pytest.raises(ValueError, match=r"z must have shape \(len\(x1\), len\(x0\)\)"):
        plot_decision_boundary({**surface, "z": surface["z"].T[:, :5]})
    with pytest.raises(ValueError, match="lacks X"):
        plot_decision_boundary({k: v for k, v in surface.items() if k != "X"})
    with pytest.raises(ValueError, match="at least one"):
        plot_decision_grid([], tmp_path / "grid.png")
    with pytest.raises(ValueError, match="panel 'lr 1'.*y has 3 labels"):
        plot_decision_grid([("lr 1", {**surface, "y": y[:3]})], tmp_path / "grid.png")
    assert not list(tmp_path.iterdir())


def test_a_grid_wraps_long_panel_titles_and_scatters_each_class_once(blobs, tmp_path):
    X, y = blobs
    y = np.where(X[:, 0] > 1.2, 2, y)  # three classes
    title = "optimizer.lr = {}, model.hidden = [64, 64, 64], dataset.noise = 0.25, seed = 3"
    grid = [(title.format(lr), decision_surface(logit(np.array([lr, 1.0])), X, y, points=30))
            for lr in (0.1, 1.0, 2.0, 5.0, 10.0, 20.0)]
    fig = plot_decision_grid(grid, tmp_path / "grid.png", ncols=4)
    for ax, (text, _) in zip(panels(fig), grid):
        lines = ax.get_title().split("\n")
        assert len(lines) >= 2 and max(map(len, lines)) <= 35
        assert " ".join(lines) == text
        scatters = artists(ax, "data")
        assert [s.get_gid() for s in scatters] == ["data:0", "data:1", "data:2"]
        assert sum(len(s.get_offsets()) for s in scatters) == len(X)
        assert all(s.get_sizes().max() <= 10 for s in scatters)
    assert_laid_out(fig)


def test_a_long_suptitle_is_wrapped_to_the_figure_width(seeded, tmp_path):
    long = {"model.hidden": "model.hidden_layer_sizes_of_the_network",
            "optimizer.lr": "optimizer.learning_rate_of_plain_sgd"}
    summary = group_of(seeded, seeded.roles()).rename(columns=long)
    roles = choose_roles(summary, [long.get(p, p) for p in seeded.parameters],
                         hue=long["model.hidden"])
    fig = plot_heatmap(group_table(summary, roles), roles, tmp_path / "heat.png")
    title = fig.get_suptitle()
    assert title.count("\n") >= 1 and " ".join(title.split("\n")).startswith(
        f"final_loss by {long['optimizer.lr']} and {long['model.hidden']}")
    assert_laid_out(fig)  # the title stays inside the figure


@pytest.mark.parametrize("case", ["single run", "lr curves", "facets", "wide facets",
                                  "accuracy facets", "convergence", "convergence facets",
                                  "heatmap", "decision", "decision grid"])
def test_nothing_overlaps_or_sticks_out(lr_sweep, seeded, blobs, tmp_path, case):
    path = tmp_path / "f.png"
    if case == "single run":
        history = lr_sweep.history[lr_sweep.history["job"] == 1].drop(columns="optimizer.lr")
        summary = lr_sweep.summary[lr_sweep.summary["job"] == 1].drop(columns="optimizer.lr")
        fig = plot_curves(history, summary, None, choose_roles(summary, []), path)
    elif case == "lr curves":
        fig = plot_curves(lr_sweep.history, lr_sweep.summary, lr_sweep.plateaus,
                          lr_sweep.roles(), path, log_scale=True)
    elif case in ("facets", "accuracy facets"):
        fig = plot_curves(seeded.history, seeded.summary, seeded.plateaus, seeded.roles(), path,
                          column="val_accuracy" if case == "accuracy facets" else "loss")
    elif case == "wide facets":
        sweep = make_sweep(lrs=[0.1, 1.0], hidden=[f"[{2 ** k}]" for k in range(7)],
                           depth=[1, 2])
        fig = plot_curves(sweep.history, sweep.summary, sweep.plateaus, sweep.roles(), path)
    elif case == "convergence":
        fig = plot_convergence(lr_sweep.summary, lr_sweep.roles(), path)
    elif case == "convergence facets":
        fig = plot_convergence(seeded.summary, seeded.roles(), path)
    elif case == "heatmap":
        roles = seeded.roles()
        fig = plot_heatmap(group_table(group_of(seeded, roles), roles), roles, path)
    else:
        X, y = blobs
        surfaces = [(f"optimizer.lr = {lr:g}, model.hidden = [16], seed = 0",
                     decision_surface(probability(np.array([lr, 1.0])), X, y, points=40))
                    for lr in (0.1, 0.5, 1.0, 2.0, 5.0, 10.0)]
        fig = (plot_decision_boundary(surfaces[0][1], path=path) if case == "decision"
               else plot_decision_grid(surfaces, path))
    width, height = png_size(path)
    assert (width, height) == (fig.get_figwidth() * DPI, fig.get_figheight() * DPI)
    assert width <= 1600
    assert_laid_out(fig)


# --------------------------------------------------------------------------- verdicts drawn


def test_an_oscillating_run_is_drawn_thin_with_the_centre_of_its_oscillation(tmp_path):
    sweep = make_sweep(lrs=[0.1, 0.5])
    wobble = sweep.history["job"] == 1
    sign = (-1.0) ** sweep.history.loc[wobble, "epoch"]
    sweep.history.loc[wobble, "loss"] *= 1 + 0.05 * sign
    sweep.summary["oscillating"] = [False, True]
    fig = plot_curves(sweep.history, sweep.summary, sweep.plateaus, sweep.roles(),
                      tmp_path / "loss.png")
    (ax,) = panels(fig)
    curves = {c.get_gid(): c for c in artists(ax, "curve")}
    assert curves["curve:1"].get_linewidth() < curves["curve:0"].get_linewidth()
    (centre,) = artists(ax, "centre")
    assert centre.get_gid() == "centre:1"
    run = sweep.history[wobble]["loss"].to_numpy()
    np.testing.assert_allclose(centre.get_ydata(), (run[1:] + run[:-1]) / 2)
    assert "oscillating runs: thin, every epoch" in fig.get_suptitle().replace("\n", " ")


def test_the_lr_time_axis_puts_each_epoch_at_lr_times_its_middle(tmp_path):
    sweep = make_sweep(lrs=[0.1, 0.5, 1.0])
    sweep.summary["effective_lr"] = sweep.summary["optimizer.lr"]
    sweep.summary["updates_per_epoch"] = 1
    fig = plot_curves(sweep.history, sweep.summary, sweep.plateaus, sweep.roles(),
                      tmp_path / "tau.png", log_scale=True, time="lr_time")
    (ax,) = panels(fig)
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "lr × epoch"
    for curve in artists(ax, "curve"):
        job = int(curve.get_gid().split(":")[1])
        lr = sweep.summary.loc[sweep.summary["job"] == job, "optimizer.lr"].item()
        np.testing.assert_allclose(curve.get_xdata(), lr * (np.arange(1, EPOCHS + 1) - 0.5))
    (shade,) = [p for p in artists(ax, "plateau") if p.get_gid() == "plateau:1"]  # lr 0.5
    xs = np.asarray(shade.get_xdata())
    assert np.nanmin(xs) == 0.5 * (10 - 0.5) and np.nanmax(xs) == 0.5 * (40 - 0.5)
    (dot,) = [d for d in artists(ax, "convergence") if d.get_gid() == "convergence:1"]
    assert list(dot.get_xdata()) == [0.5 * (CONVERGED_AT[0.5] - 0.5)]
    assert "against lr × epoch" in fig.get_suptitle()
    sweep.summary.loc[0, "effective_lr"] = np.nan  # a run from before time scales
    with pytest.raises(ValueError, match="needs each run's effective_lr"):
        plot_curves(sweep.history, sweep.summary, sweep.plateaus, sweep.roles(),
                    tmp_path / "tau.png", time="lr_time")


def test_a_single_run_is_labelled_by_what_defines_it(lr_sweep, tmp_path):
    one = lr_sweep.summary["job"] == 1
    history = lr_sweep.history[lr_sweep.history["job"] == 1].drop(columns="optimizer.lr")
    summary = lr_sweep.summary[one].drop(columns="optimizer.lr")
    summary["job"] = "2026-12-01_10-00-00-000000"  # a run directory's name
    history["job"] = summary["job"].item()
    summary["overrides"] = "experiment=tutorial_003_deep"
    fig = plot_curves(history, summary, None, choose_roles(summary, []), tmp_path / "r.png")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "experiment=tutorial_003_deep" in labels
    assert not any("2026" in label for label in labels)


def test_decision_axes_carry_the_feature_names_and_how_they_were_scaled(blobs, tmp_path):
    X, y = blobs
    surface = decision_surface(probability(np.array([2.0, 1.0])), X, y, points=30,
                               names=["radius_mean", "texture_mean"], scaling="standard")
    fig = plot_decision_boundary(surface, path=tmp_path / "d.png")
    (ax,) = panels(fig)
    assert ax.get_xlabel() == "radius_mean (standardized)"
    assert ax.get_ylabel() == "texture_mean (standardized)"
    plain = plot_decision_boundary(decision_surface(probability(np.array([2.0, 1.0])), X, y,
                                                    points=30))
    assert panels(plain)[0].get_xlabel() == "feature 1"
    minmax = plot_decision_boundary(decision_surface(probability(np.array([2.0, 1.0])), X, y,
                                                     points=30, scaling="minmax"))
    assert panels(minmax)[0].get_xlabel() == "feature 1 (min-max scaled)"


def test_each_class_stands_out_from_the_output_image_on_its_side(blobs, tmp_path):
    from matplotlib.colors import to_rgb

    X, y = blobs
    surface = decision_surface(probability(np.array([2.0, 1.0])), X, y, points=30)
    fig = plot_decision_boundary(surface)
    (ax,) = panels(fig)
    (image,) = artists(ax, "decision")

    def luminance(rgb):
        return float(np.dot(to_rgb(rgb), [0.2126, 0.7152, 0.0722]))

    for cls, output in ((0, 0.0), (1, 1.0)):
        (points,) = artists(ax, f"data:{cls}")
        background = image.cmap(image.norm(output))
        dot = points.get_facecolor()[0]
        assert luminance(background) - luminance(dot) > 0.45  # dark points, pale image


def test_a_flat_loss_is_drawn_flat_from_zero_not_zoomed_into_a_slope(tmp_path):
    sweep = make_sweep(lrs=[0.01])  # the stuck run: 0.69 minus a millionth per epoch
    fig = plot_curves(sweep.history, sweep.summary, sweep.plateaus, sweep.roles(),
                      tmp_path / "flat.png")
    (ax,) = panels(fig)
    low, high = ax.get_ylim()
    assert low == 0 and 0.69 < high < 0.75
    accuracy = plot_curves(sweep.history, sweep.summary, sweep.plateaus, sweep.roles(),
                           tmp_path / "acc.png", column="val_accuracy")
    assert panels(accuracy)[0].get_ylim()[0] > 0.4  # accuracy is not a loss: not from 0
