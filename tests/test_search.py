"""hydra/sweeper=search: the space, seeded trials, pruning inside stacks, replicates, resume;
and Hydra's own Optuna sweeper driving sweepnet."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

optuna = pytest.importorskip("optuna", reason="the search extra: pip install 'sweepnet[search]'")

from sweepnet import rundir  # noqa: E402
from sweepnet.runner.app import main  # noqa: E402
from sweepnet.runner.build import ConfigError  # noqa: E402
from sweepnet.runner.search_space import search_space  # noqa: E402

LR = "optimizer.lr=tag(log, interval(0.05, 4))"


def search(*args: str, into: str = "s") -> int:
    return main(["-m", "hydra/sweeper=search", *args, f"hydra.sweep.dir={into}"])


def trials(path: Path) -> list:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    storage = JournalStorage(JournalFileBackend(str(path / rundir.SEARCH_STUDY)))
    return optuna.load_study(study_name="sweepnet", storage=storage).get_trials()


# --------------------------------------------------------------------------- the space


def test_the_search_space_takes_the_syntax_of_hydras_optuna_sweeper():
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    space = search_space([LR, "optimizer.momentum=interval(0, 0.99)",
                          "model.activation=choice(relu,tanh)",
                          "model.hidden=choice([8],[16],[32])", "trainer.epochs=50",
                          "trainer.batch_size=range(16,65,16)", "seed=range(0,5)",
                          "model.depth=int(interval(1, 3))"],
                         params={"optimizer.lr": "interval(1, 2)", "trainer.epochs": "10"})
    assert space.distributions == {
        "optimizer.lr": FloatDistribution(0.05, 4.0, log=True),  # the command line wins
        "optimizer.momentum": FloatDistribution(0.0, 0.99),
        "model.activation": CategoricalDistribution(("relu", "tanh")),
        "model.hidden": CategoricalDistribution(("[8]", "[16]", "[32]")),
        "trainer.batch_size": IntDistribution(16, 64, step=16),
        "model.depth": IntDistribution(1, 3)}
    assert space.fixed == ["trainer.epochs=50"]
    assert space.replicates() == [[f"seed={s}"] for s in range(5)]
    assert space.overrides({"optimizer.lr": 0.1, "model.hidden": "[8]"}) == [
        "optimizer.lr=0.1", "model.hidden=[8]", "trainer.epochs=50"]
    same = search_space([LR], replicates="seed:5")
    assert same.replicates() == space.replicates()


@pytest.mark.parametrize("overrides, replicates, message", [
    (["trainer.epochs=5"], None, "the search has nothing to search"),
    (["optimizer.lr=interval(3, 1)"], None, "low <= high"),
    (["optimizer.lr=choice(1,1)"], None, "lists a value twice"),
    (["optimizer.lr=range(0.1, 1, 0.1)"], None, "a searched range takes integers"),
    (["optimizer=glob(*)"], None, "the search takes interval(a, b)"),
    ([LR, "seed=0,1"], "seed:3", "one replicate key at a time"),
    ([LR], "seeds:3", "hydra.sweeper.replicates must be KEY:COUNT"),
])
def test_a_space_the_search_cannot_use_is_refused(overrides, replicates, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        search_space(overrides, replicates=replicates)


@pytest.mark.parametrize("option, message", [
    ("hydra.sweeper.sampler=bayes", "hydra.sweeper.sampler must be one of tpe, random"),
    ("hydra.sweeper.pruner=fast", "hydra.sweeper.pruner must be one of none, median"),
    ("hydra.sweeper.objective=final_acc", "hydra.sweeper.objective must be a metric"),
    ("hydra.sweeper.n_trials=0", "hydra.sweeper.n_trials must be a positive integer"),
    ("hydra.sweeper.sampler=grid", "sampler=grid takes choice(...) and range(...)"),
    ("trainer.epochz=3", "epochz"),
    ("objective=final_acc", "hydra.sweeper.objective must be a metric"),  # its default
])
def test_bad_options_are_refused_before_anything_runs(workdir, capsys, option, message):
    assert search(LR, option) == 2
    assert message in capsys.readouterr().err
    assert not (workdir / "s").exists()


def test_a_search_without_optuna_says_which_extra_to_install(workdir, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)  # import optuna raises ImportError
    assert search(LR) == 2
    assert "needs Optuna, which is not installed: pip install 'sweepnet[search]'" in \
        capsys.readouterr().err
    assert not (workdir / "s").exists()


# --------------------------------------------------------------------------- the trials


def test_a_seeded_search_reproduces_its_trials(workdir):
    args = (LR, "trainer.epochs=30", "hydra.sweeper.n_trials=6", "hydra.sweeper.batch=3")
    assert search(*args, into="a") == 0 and search(*args, into="b") == 0
    a, b = trials(workdir / "a"), trials(workdir / "b")
    assert [t.params for t in a] == [t.params for t in b]
    assert [t.value for t in a] == [t.value for t in b]
    assert len({t.params["optimizer.lr"] for t in a}) == 6
    summary = pd.read_csv(workdir / "a" / "sweep_summary.csv")
    assert summary["trial"].tolist() == list(range(6))
    assert (summary["state"] == "complete").all()
    assert summary["final_val_loss"].tolist() == [t.value for t in a]


def test_the_root_objective_is_the_searchs_default(workdir):
    assert search(LR, "trainer.epochs=10", "hydra.sweeper.n_trials=2",
                  "objective=best_val_loss") == 0
    summary = pd.read_csv(workdir / "s" / "sweep_summary.csv")
    assert [t.value for t in trials(workdir / "s")] == summary["best_val_loss"].tolist()
    table = pd.read_csv(workdir / "s" / rundir.SEARCH_TRIALS)
    assert table["best_val_loss"].tolist() == summary["best_val_loss"].tolist()


def test_pruned_members_leave_the_stack_and_the_others_keep_their_numbers(workdir):
    """Batches of four trials, each a stack, ASHA pruning (from the second batch on, once
    trials have finished): every run equals the same run trained alone (one by one,
    unpruned), bit for bit, up to the epoch where it left the stack."""
    assert search(LR, "trainer.epochs=60", "trainer.batch_size=64", "hydra.sweeper.n_trials=8",
                  "hydra.sweeper.batch=4", "hydra.sweeper.pruner=asha") == 0
    summary = pd.read_csv(workdir / "s" / "sweep_summary.csv")
    states = dict(zip(summary["trial"], summary["state"]))
    assert "pruned" in states.values() and "complete" in states.values()
    for trial in trials(workdir / "s"):
        assert trial.state.name.lower() == states[trial.number]
    for row in summary.itertuples():
        record = rundir.read_result(workdir / "s" / str(row.job))
        history = rundir.read_history(workdir / "s" / str(row.job)).drop(columns="time")
        assert main([*record["overrides"], f"hydra.run.dir=alone{row.job}"]) == 0
        alone = rundir.read_history(workdir / f"alone{row.job}").drop(columns="time")
        if row.state == "pruned":
            assert record["stopped"]["reason"] == "pruned"
            assert record["stopped"]["epoch"] == len(history) < 60
        pd.testing.assert_frame_equal(history, alone.iloc[:len(history)], check_exact=True)
    table = pd.read_csv(workdir / "s" / rundir.SEARCH_TRIALS).set_index("trial")
    pruned = summary[summary["state"] == "pruned"]
    assert table.loc[pruned["trial"], "pruned_epoch"].tolist() == pruned["epochs"].tolist()
    assert table.loc[pruned["trial"], "final_val_loss"].isna().all()


def test_a_trial_is_the_mean_of_its_replicates_trained_in_one_stack(workdir):
    assert search(LR, "trainer.epochs=20", "hydra.sweeper.n_trials=2",
                  "hydra.sweeper.replicates=seed:3") == 0
    summary = pd.read_csv(workdir / "s" / "sweep_summary.csv")
    assert len(summary) == 6 and sorted(summary["seed"].unique()) == [0, 1, 2]
    table = pd.read_csv(workdir / "s" / rundir.SEARCH_TRIALS).set_index("trial")
    for trial in trials(workdir / "s"):
        runs = summary[summary["trial"] == trial.number]
        assert len(runs) == 3 and runs["optimizer.lr"].nunique() == 1
        assert trial.value == pytest.approx(runs["final_val_loss"].mean(), rel=1e-12)
        row = table.loc[trial.number]  # search_trials.csv: one row per trial
        assert row["runs"] == 3 and row["state"] == "complete"
        assert row["final_val_loss"] == pytest.approx(trial.value, rel=1e-12)
        assert row["optimizer.lr"] == runs["optimizer.lr"].iloc[0]
    assert table["best_so_far"].tolist() == table["final_val_loss"].cummin().tolist()
    assert (workdir / "s" / "search.png").is_file()


def test_an_interrupted_search_resumes_to_its_n_trials(workdir):
    """SIGINT while the second batch trains: the same command continues its trials from
    their checkpoints and completes the study to n_trials, not n_trials more."""
    script = Path(sys.executable).parent / "sweepnet"
    args = ["-m", "hydra/sweeper=search", LR, "trainer.epochs=4000", "hydra.sweeper.n_trials=4",
            "hydra.sweeper.batch=2", "hydra.sweep.dir=s"]
    process = subprocess.Popen([str(script), *args], cwd=workdir, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in process.stdout:
        seen.append(line)
        if "search: trials 2, 3" in line:
            break
    else:
        raise AssertionError("".join(seen))
    time.sleep(1.0)  # into the batch's 4000 epochs (about 3 s)
    process.send_signal(signal.SIGINT)
    rest = process.communicate(timeout=120)[0]
    assert process.returncode == 130, rest
    states = [t.state.name for t in trials(workdir / "s")]
    assert states == ["COMPLETE", "COMPLETE", "RUNNING", "RUNNING"]
    done = subprocess.run([str(script), *args], cwd=workdir, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "continues from epoch" in done.stdout
    assert "already done, skipped" not in done.stdout  # finished trials are not even asked
    assert [t.state.name for t in trials(workdir / "s")] == ["COMPLETE"] * 4
    summary = pd.read_csv(workdir / "s" / "sweep_summary.csv")
    assert sorted(summary["trial"]) == [0, 1, 2, 3] and (summary["epochs"] == 4000).all()


# --------------------------------------------------------------------------- Hydra's sweeper

OPTUNA_ENV = os.environ.get("SWEEPNET_OPTUNA_SWEEPER_ENV")


@pytest.mark.skipif(OPTUNA_ENV is None, reason="needs SWEEPNET_OPTUNA_SWEEPER_ENV: a virtual "
                    "environment with sweepnet and hydra-optuna-sweeper (it pins optuna<3), "
                    "as .ci/run makes one")
def test_hydras_own_optuna_sweeper_drives_sweepnet(tmp_path):
    """hydra/sweeper=optuna (hydra-optuna-sweeper, in its own environment): every trial runs
    through sweepnet's pipeline and returns the objective as a float, so the sweeper's best
    value is the best run's final validation loss."""
    import yaml

    done = subprocess.run(
        [str(Path(OPTUNA_ENV) / "bin" / "sweepnet"), "-m", "hydra/sweeper=optuna", LR,
         "hydra.sweeper.n_trials=4", "hydra.sweeper.n_jobs=2", "trainer.epochs=20",
         "hydra.sweep.dir=s"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = pd.read_csv(tmp_path / "s" / "sweep_summary.csv")
    assert len(summary) == 4 and (summary["status"] == "ok").all()
    best = yaml.safe_load((tmp_path / "s" / "optimization_results.yaml").read_text())
    assert best["best_value"] == summary["final_val_loss"].min()
    assert best["best_params"]["optimizer.lr"] == pytest.approx(
        summary.loc[summary["final_val_loss"].idxmin(), "optimizer.lr"], rel=1e-12)
