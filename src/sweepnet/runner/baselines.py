"""scikit-learn baselines trained beside a run (``baseline=sklearn`` or ``sklearn_stopping``).

Tutorials 001 and 003 compare their numpy networks with scikit-learn's
``LogisticRegression`` and an ``MLPClassifier`` of the same architecture and
optimizer settings; this trains both on the run's own split. With
``baseline=sklearn`` the ``MLPClassifier`` trains every epoch (``tol=0``), so
its loss curve compares with the run's; with ``baseline=sklearn_stopping`` it
keeps scikit-learn's own stopping rule (``tol=1e-4``, ``n_iter_no_change=10``,
its defaults), as tutorial 003's study does, and records where it stopped
(``n_iter``): a learning rate whose loss sits on a plateau stops early.
"""

from __future__ import annotations

import warnings
from typing import Any

from .build import Experiment

# sweepnet activation name -> MLPClassifier's
SKLEARN_ACTIVATIONS = {"relu": "relu", "sigmoid": "logistic", "tanh": "tanh",
                       "identity": "identity"}


def mlp_classifier_settings(cfg: Any, experiment: Experiment) -> dict | str:
    """``MLPClassifier`` keyword arguments matching the run, or why there are none."""
    model, opt, trainer = cfg.model, cfg.optimizer, cfg.trainer
    if model.name != "mlp":
        return "MLPClassifier only builds mlp models"
    if model.activation not in SKLEARN_ACTIVATIONS:
        return f"MLPClassifier has no {model.activation!r} activation"
    n = len(experiment.X_train)
    batch_size = trainer.batch_size or n
    settings = dict(hidden_layer_sizes=tuple(model.hidden),
                    activation=SKLEARN_ACTIVATIONS[model.activation], batch_size=batch_size,
                    max_iter=experiment.epochs, shuffle=bool(trainer.shuffle),
                    alpha=float(trainer.get("alpha", 0.0)), random_state=cfg.seed)
    if cfg.get("baseline") != "sklearn_stopping":
        settings.update(tol=0.0, n_iter_no_change=experiment.epochs + 1)
    if opt.name == "sgd":
        settings.update(solver="sgd", learning_rate_init=opt.lr, momentum=opt.momentum,
                        nesterovs_momentum=opt.nesterov,
                        learning_rate=trainer.get("schedule", "constant"),
                        power_t=float(trainer.get("power_t", 0.5)))
    elif opt.name == "adam":
        settings.update(solver="adam", learning_rate_init=opt.lr, beta_1=opt.betas[0],
                        beta_2=opt.betas[1], epsilon=opt.eps)
    else:
        return f"MLPClassifier has no {opt.name!r} solver"
    return settings


def sklearn_baselines(cfg: Any, experiment: Experiment) -> dict:
    """Fit the two baselines on the run's training data; score them on its validation data."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    X, y = experiment.X_train, experiment.y_train
    X_val, y_val = experiment.X_val, experiment.y_val
    if y.ndim != 1:
        return {"skipped": "the baselines need one label per sample"}

    def scores(estimator) -> dict:
        result = {"train_accuracy": float(estimator.score(X, y))}
        if X_val is not None:
            result["val_accuracy"] = float(estimator.score(X_val, y_val))
        return result

    out: dict[str, Any] = {}
    logreg = LogisticRegression(max_iter=1000, random_state=cfg.seed).fit(X, y)
    out["logreg"] = scores(logreg)
    settings = mlp_classifier_settings(cfg, experiment)
    if isinstance(settings, str):
        out["mlp"] = {"skipped": settings}
        return out
    mlp = MLPClassifier(**settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y)
    out["mlp"] = {"final_loss": float(mlp.loss_curve_[-1]), "n_iter": int(mlp.n_iter_),
                  **scores(mlp)}
    return out
