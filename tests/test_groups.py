"""Replicates, groups and plot roles: checked against plain pandas computations."""

import itertools

import numpy as np
import pandas as pd
import pytest

from sweepnet.analysis.groups import (
    add_groups,
    choose_roles,
    group_curves,
    group_table,
    ordered_values,
)

LRS, SEEDS, WIDTHS = [0.1, 0.5, 2.0], [0, 1, 2, 3], ["[4]", "[16]", "[64]"]


def grid(order=("optimizer.lr", "seed", "model.hidden")):
    """A summary of an lr x seed x width sweep, jobs numbered in ``order``'s nesting."""
    rng = np.random.default_rng(0)
    rows = []
    values = {"optimizer.lr": LRS, "seed": SEEDS, "model.hidden": WIDTHS}
    for job, combo in enumerate(itertools.product(*(values[k] for k in order))):
        row = dict(zip(order, combo))
        rows.append({"job": job, **row, "status": "ok", "final_loss": rng.uniform(0.05, 0.3),
                     "final_val_loss": rng.uniform(0.05, 0.3),
                     "final_val_accuracy": rng.uniform(0.8, 1.0),
                     "convergence_epoch": rng.integers(10, 900), "stuck": bool(job % 3 == 0),
                     "diverged": False})
    return pd.DataFrame(rows), list(order)


def test_default_roles_do_not_depend_on_the_command_line_order():
    found = set()
    for order in itertools.permutations(["optimizer.lr", "seed", "model.hidden"]):
        summary, parameters = grid(order)
        roles = choose_roles(summary, parameters)
        found.add((roles.x, roles.hue, roles.col, roles.replicates))
    assert found == {("optimizer.lr", "model.hidden", (), ("seed",))}


def test_a_third_parameter_becomes_a_facet_and_the_fewest_valued_one_the_hue():
    summary, parameters = grid()
    summary["optimizer.momentum"] = summary["job"] % 2 * 0.9
    roles = choose_roles(summary, [*parameters, "optimizer.momentum"])
    assert (roles.x, roles.hue, roles.col) == ("optimizer.lr", "optimizer.momentum",
                                               ("model.hidden",))
    assert set(roles.keys) == {"optimizer.lr", "model.hidden", "optimizer.momentum"}


def test_without_a_learning_rate_x_is_the_numeric_parameter_with_most_values():
    summary = pd.DataFrame({"job": range(6), "a": [1, 2, 3, 1, 2, 3], "b": [5, 5, 5, 6, 6, 6],
                            "c": ["relu", "tanh"] * 3})
    roles = choose_roles(summary, ["c", "b", "a"])
    assert (roles.x, roles.hue, roles.col) == ("a", "b", ("c",))


def test_chosen_roles_are_checked_against_the_swept_parameters():
    summary, parameters = grid()
    roles = choose_roles(summary, parameters, x="model.hidden", col="optimizer.lr")
    assert (roles.x, roles.hue, roles.col) == ("model.hidden", None, ("optimizer.lr",))
    with pytest.raises(ValueError, match="'trainer.epochs' was not swept.*optimizer.lr"):
        choose_roles(summary, parameters, hue="trainer.epochs")
    with pytest.raises(ValueError, match="'seed' is a replicate"):
        choose_roles(summary, parameters, x="seed")
    with pytest.raises(ValueError, match="one report role only"):
        choose_roles(summary, parameters, x="optimizer.lr", hue="optimizer.lr")
    # other replicate axes: seed becomes a parameter with a role
    roles = choose_roles(summary, parameters, replicates=["model.hidden"])
    assert roles.replicates == ("model.hidden",) and roles.hue == "seed"


def test_widths_sort_naturally():
    assert ordered_values(["[64]", "[4]", "[16]", "[4]"]) == ["[4]", "[16]", "[64]"]
    assert ordered_values([2.0, 0.1, 1, None]) == [0.1, 1, 2.0]


def test_group_table_equals_a_plain_pandas_groupby():
    summary, parameters = grid(("seed", "model.hidden", "optimizer.lr"))
    summary.loc[5, "diverged"] = True  # left out of the statistics, counted in the fraction
    roles = choose_roles(summary, parameters)
    table = group_table(add_groups(summary, roles), roles)
    assert len(table) == len(LRS) * len(WIDTHS) and (table["n"] == len(SEEDS)).all()
    kept = summary[~summary["diverged"]]
    for metric in ("final_loss", "final_val_accuracy", "convergence_epoch"):
        expected = kept.groupby(["optimizer.lr", "model.hidden"])[metric].agg(
            ["mean", "std", "min", "max"])
        got = table.set_index(["optimizer.lr", "model.hidden"])
        for stat in ("mean", "std", "min", "max"):
            pd.testing.assert_series_equal(
                got[f"{metric}_{stat}"].sort_index(), expected[stat].sort_index(),
                check_names=False, rtol=1e-12)
    fractions = summary.groupby(["optimizer.lr", "model.hidden"])[["stuck", "diverged"]].mean()
    got = table.set_index(["optimizer.lr", "model.hidden"]).sort_index()
    np.testing.assert_allclose(got["stuck_fraction"], fractions["stuck"].sort_index())
    np.testing.assert_allclose(got["diverged_fraction"], fractions["diverged"].sort_index())


def test_groups_are_numbered_in_natural_order_of_their_values():
    summary, parameters = grid(("model.hidden", "seed", "optimizer.lr"))
    roles = choose_roles(summary, parameters)
    grouped = add_groups(summary, roles)
    first = grouped.drop_duplicates("group").sort_values("group")
    assert first["model.hidden"].tolist()[::3] == WIDTHS  # model.hidden before optimizer.lr
    assert first["optimizer.lr"].tolist()[:3] == LRS
    # a job that did not set a key is one group with its like, not a group of its own
    same = summary.index[(summary["model.hidden"] == "[4]") & (summary["optimizer.lr"] == 0.1)]
    summary.loc[same, "model.hidden"] = np.nan  # jobs of seeds 0..3, one group
    assert add_groups(summary, roles).loc[same, "group"].nunique() == 1


def test_group_curves_leave_out_non_finite_values():
    summary, parameters = grid()
    roles = choose_roles(summary, parameters)
    summary = add_groups(summary, roles)
    epochs = np.arange(1, 6)
    history = pd.concat([pd.DataFrame({"job": job, "epoch": epochs,
                                       "loss": 1.0 / epochs + 0.01 * job})
                         for job in summary["job"]], ignore_index=True)
    history.loc[(history["job"] == 0) & (history["epoch"] == 5), "loss"] = np.inf
    curves = group_curves(history, summary, roles)
    merged = history.merge(summary[["job", "group"]], on="job")
    merged = merged[np.isfinite(merged["loss"])]
    expected = merged.groupby(["group", "epoch"])["loss"].agg(["count", "mean", "min", "max"])
    got = curves.set_index(["group", "epoch"]).sort_index()
    np.testing.assert_array_equal(got["n"], expected["count"])
    np.testing.assert_allclose(got["mean"], expected["mean"], rtol=1e-12)
    np.testing.assert_allclose(got["max"], expected["max"], rtol=1e-12)
    group0 = summary.loc[summary["job"] == 0, "group"].item()
    assert got.loc[(group0, 5), "n"] == len(SEEDS) - 1
