"""The built-in datasets, the csv loader, label checks and the train/validation split."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_iris

from sweepnet import registry
from sweepnet.datasets import DatasetError, Split, check_labels, split
from sweepnet.datasets.builtin import breast_cancer, circles, digits, iris, moons, toy
from sweepnet.datasets.csv import csv

BUILTINS = ["moons", "circles", "breast_cancer", "digits", "iris", "toy"]


# -- built-ins -------------------------------------------------------------------
@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_shapes_dtypes_and_labels(name):
    X, y = registry.datasets.get(name)()
    if name == "breast_cancer":  # a frame: its columns name the features
        assert X.columns[0] == "mean radius"
    if name == "iris":
        assert X.columns[0] == "sepal length (cm)"
    X = np.asarray(X)
    assert X.ndim == 2 and X.dtype == np.float64 and np.all(np.isfinite(X))
    assert y.shape[0] == X.shape[0]
    if name == "toy":
        assert y.shape == (5, 4) and set(np.unique(y)) <= {0.0, 1.0}
        assert check_labels(y) == 4
    else:
        assert y.ndim == 1 and np.issubdtype(y.dtype, np.integer)
        assert check_labels(y) == y.max() + 1


def test_every_entry_point_resolves_to_the_function():
    expected = {"moons": moons, "circles": circles, "breast_cancer": breast_cancer,
                "digits": digits, "iris": iris, "toy": toy, "csv": csv}
    for name, function in expected.items():
        assert registry.datasets.get(name) is function


def test_moons_and_circles_follow_their_seed():
    X1, y1 = moons(200, seed=3)
    X2, y2 = moons(200, seed=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(X1, moons(200, seed=4)[0])
    assert not np.allclose(circles(200, seed=1)[0], circles(200, seed=2)[0])


def test_builtin_sizes():
    assert moons(300)[0].shape == (300, 2)
    assert circles(301)[0].shape == (301, 2)
    X, y = breast_cancer()
    assert X.shape == (569, 30) and np.bincount(y).tolist() == [212, 357]  # 0 = malignant
    assert digits()[0].shape == (1797, 64)
    X, y = iris()
    assert X.shape == (150, 4) and np.bincount(y).tolist() == [50, 50, 50]
    np.testing.assert_array_equal(X.to_numpy(), load_iris().data)


def test_digits_n_class():
    X, y = digits(n_class=2)
    assert set(np.unique(y)) == {0, 1} and X.shape == (360, 64)
    assert set(np.unique(digits(5)[1])) == set(range(5))
    for bad in (1, 11):
        with pytest.raises(DatasetError, match="n_class must be an integer from 2"):
            digits(bad)


def test_builtin_parameter_errors():
    with pytest.raises(DatasetError, match="n_samples must be an integer >= 2"):
        moons(1)
    with pytest.raises(DatasetError, match="noise must be"):
        circles(noise=-1)
    with pytest.raises(DatasetError, match="factor must satisfy"):
        circles(factor=1.5)


def test_toy_is_tutorial_000():
    X, y = toy()
    np.testing.assert_array_equal(X, [[1, 3, 5], [1, 9, 5], [1, 2, 5], [0, 9, 5], [0, 0, 5]])
    np.testing.assert_array_equal(y, [[1, 0, 0, 0]] * 3 + [[0, 0, 0, 0]] * 2)
    assert X.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(X[:, 0], y[:, 0])  # the first feature is the indicator


def test_importing_the_package_loads_neither_sklearn_nor_pandas():
    code = ("import sys, sweepnet.datasets\n"
            "print([m for m in ('sklearn', 'pandas', 'matplotlib') if m in sys.modules])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


# -- csv -------------------------------------------------------------------------
def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_reproduces_tutorial_002(tmp_path):
    data = load_breast_cancer(as_frame=True)
    frame = pd.DataFrame({
        "id": np.arange(569),
        "diagnosis": np.where(data.target == 0, "M", "B"),
        "radius_mean": data.data["mean radius"],
        "texture_mean": data.data["mean texture"],
    })
    path = tmp_path / "cancer.csv"
    frame.to_csv(path, index=False)
    X, y = csv(str(path), target="diagnosis", positive="M",
               features=["texture_mean", "radius_mean"])
    assert X.shape == (569, 2) and (X.dtypes == np.float64).all()
    assert list(X.columns) == ["texture_mean", "radius_mean"]
    np.testing.assert_allclose(X, data.data[["mean texture", "mean radius"]].to_numpy())
    np.testing.assert_array_equal(y, data.target.to_numpy() == 0)
    # without features=, every column but the target and the row identifier
    X_all, _ = registry.datasets.get("csv")(path, "diagnosis", "M")
    np.testing.assert_array_equal(X_all, data.data[["mean radius", "mean texture"]].to_numpy())


@pytest.mark.parametrize("name", ["id", "ID", "patient_id", "Unnamed: 0", "index", "row id"])
def test_csv_never_takes_a_row_identifier_as_a_feature_unless_asked(tmp_path, name, caplog):
    path = write(tmp_path, f"{name},x,label\n101,0.5,0\n102,1.5,1\n103,2.5,0\n")
    with caplog.at_level("INFO", logger="sweepnet"):
        X, y = csv(path, target="label")
    assert X.to_numpy().tolist() == [[0.5], [1.5], [2.5]] and y.tolist() == [0, 1, 0]
    assert f"column {name!r} looks like a row identifier" in caplog.text
    assert csv(path, target="label", features=[name, "x"])[0][name].tolist() == [101, 102, 103]


def test_csv_skips_an_empty_unnamed_column_and_names_an_empty_named_one(tmp_path, caplog):
    # Kaggle's bdiag.csv ends every line with a comma: pandas reads an "Unnamed: 3" column
    path = write(tmp_path, "id,diagnosis,radius_mean,texture_mean,\n"
                           "1,M,17.99,10.38,\n2,B,13.54,14.36,\n3,M,20.57,17.77,\n")
    with caplog.at_level("INFO", logger="sweepnet"):
        X, y = csv(path, target="diagnosis", positive="M")
    assert X.to_numpy().tolist() == [[17.99, 10.38], [13.54, 14.36], [20.57, 17.77]]
    assert list(X.columns) == ["radius_mean", "texture_mean"]
    assert y.tolist() == [1, 0, 1]
    assert "column 'Unnamed: 4' is empty in every row" in caplog.text
    # a named empty column is a feature the user may want: the message says what is wrong
    path = write(tmp_path, "a,b,label\n1,,0\n2,,1\n")
    with pytest.raises(DatasetError, match=r"feature column\(s\) 'b' with no value in any "
                                           r"row; leave them out with features="):
        csv(path, target="label")


def test_csv_target_coding(tmp_path):
    path = write(tmp_path, "a,b,label\n1,2,0\n3,4,1\n5,6,2\n7,8,1\n")
    X, y = csv(path, target="label")
    assert X.shape == (4, 2) and y.tolist() == [0, 1, 2, 1]
    assert csv(path, target="label", features=["b"])[0].to_numpy().tolist() == [[2], [4], [6], [8]]
    # integers that are not 0..k-1 are mapped in sorted order
    path = write(tmp_path, "a,label\n1,2\n3,1\n5,2\n")
    assert csv(path, target="label")[1].tolist() == [1, 0, 1]
    # positive matches a numeric column as a number or as text
    assert csv(path, target="label", positive=1)[1].tolist() == [0, 1, 0]
    assert csv(path, target="label", positive="2")[1].tolist() == [1, 0, 1]
    # more than two text values are mapped in sorted order
    path = write(tmp_path, "a,species\n1,setosa\n2,virginica\n3,versicolor\n4,setosa\n")
    assert csv(path, target="species")[1].tolist() == [0, 2, 1, 0]
    # another delimiter
    path = write(tmp_path, "a;b;y\n1;2;x\n3;4;z\n")
    X, y = csv(path, target="y", positive="z", delimiter=";")
    assert X.to_numpy().tolist() == [[1, 2], [3, 4]] and y.tolist() == [0, 1]


def test_csv_missing_file(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(DatasetError, match="does not exist") as info:
        csv(str(missing), target="y")
    assert str(missing.absolute()) in str(info.value)


def test_csv_relative_missing_path_is_shown_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DatasetError, match="does not exist") as info:
        csv("data/x.csv", target="y")
    assert str(tmp_path / "data" / "x.csv") in str(info.value)


@pytest.mark.parametrize("text, found", [("", "no columns"), ("a,b,y\n", "no rows")])
def test_csv_empty_file(tmp_path, text, found):
    with pytest.raises(DatasetError, match=f"is empty: it has .*{found}"):
        csv(write(tmp_path, text), target="y")


def test_csv_missing_target_column(tmp_path):
    path = write(tmp_path, "a,b,label\n1,2,0\n3,4,1\n")
    with pytest.raises(DatasetError, match="no column.*'y'.*columns found are: 'a', 'b', 'label'"):
        csv(path, target="y")


def test_csv_missing_feature_column(tmp_path):
    path = write(tmp_path, "a,b,label\n1,2,0\n3,4,1\n")
    with pytest.raises(DatasetError, match="no column.*'c'.*columns found are"):
        csv(path, target="label", features=["a", "c"])


def test_csv_non_numeric_feature(tmp_path):
    path = write(tmp_path, "a,b,label\n1,x,0\n3,4,1\n")
    with pytest.raises(DatasetError, match=r"non-numeric feature column\(s\) 'b' \(e.g. 'x'"):
        csv(path, target="label")


def test_csv_missing_values(tmp_path):
    path = write(tmp_path, "a,b,label\n1,,0\n3,4,1\n,6,\n7,8,1\n")
    with pytest.raises(DatasetError, match=r"missing values in 2 of 4 rows.*'a' \(1\), 'b' \(1\)"):
        csv(path, target="label")


def test_csv_single_class(tmp_path):
    path = write(tmp_path, "a,label\n1,0\n3,0\n")
    with pytest.raises(DatasetError, match="single value .*at least two classes"):
        csv(path, target="label")


@pytest.mark.parametrize("sep, name", [(";", "';'"), ("\t", "tab")])
def test_csv_wrong_delimiter(tmp_path, sep, name):
    path = write(tmp_path, f"a{sep}b{sep}label\n1{sep}2{sep}0\n3{sep}4{sep}1\n")
    with pytest.raises(DatasetError, match=f"single column.*{name}.*delimiter="):
        csv(path, target="label")


@pytest.mark.parametrize("text", ["a,b,y\n1,2,0\n3,4,1,5,6\n", 'a,b,y\n"1,2,0\n3,4,1\n'])
def test_csv_unparsable_file(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(DatasetError, match="could not be parsed") as info:
        csv(path, target="y")
    assert str(path) in str(info.value)


def test_csv_two_text_values_need_positive(tmp_path):
    path = write(tmp_path, "a,diagnosis\n1,M\n2,B\n")
    with pytest.raises(DatasetError, match="two text values, 'B', 'M'.*positive="):
        csv(path, target="diagnosis")


def test_csv_positive_must_match_two_values(tmp_path):
    path = write(tmp_path, "a,diagnosis\n1,M\n2,B\n")
    with pytest.raises(DatasetError, match="holds 2 values: 'B', 'M'"):
        csv(path, target="diagnosis", positive="X")
    path = write(tmp_path, "a,label\n1,0\n2,1\n3,2\n")
    with pytest.raises(DatasetError, match="exactly two values.*holds 3 values: 0, 1, 2"):
        csv(path, target="label", positive=1)


def test_csv_non_integer_target(tmp_path):
    path = write(tmp_path, "a,label\n1,0.5\n2,1.5\n")
    with pytest.raises(DatasetError, match="non-integer numbers"):
        csv(path, target="label")


# -- check_labels ----------------------------------------------------------------
def test_check_labels():
    assert check_labels(np.array([0, 1, 1, 0])) == 2
    assert check_labels(np.array([0.0, 2.0, 1.0])) == 3
    assert check_labels(np.zeros((3, 4))) == 4
    with pytest.raises(DatasetError, match="only one class"):
        check_labels(np.array([1, 1, 1]))
    with pytest.raises(DatasetError, match="10 classes but the loss 'bce' takes 2; "
                                           "use loss=cross_entropy"):
        check_labels(digits()[1], max_classes=2, loss_name="bce")
    with pytest.raises(DatasetError, match="10 classes but at most 2"):
        check_labels(digits()[1], max_classes=2)
    with pytest.raises(DatasetError, match=r"labels \[1\] .*never occur"):
        check_labels(np.array([0, 2, 2]))
    with pytest.raises(DatasetError, match="integer class labels"):
        check_labels(np.array([0, 0.5, 1]))
    with pytest.raises(DatasetError, match="integer class labels"):
        check_labels(np.array([-1, 0, 1]))
    with pytest.raises(DatasetError, match="multi-label 0/1"):
        check_labels(np.array([[0, 2], [1, 0]]))


LABEL_SETS = {  # name: (labels, number of classes, or None when refused)
    "0 and 2": ([0, 2, 2, 0, 2, 0], None),
    "1 and 2": ([1, 2, 1, 2, 2, 1], None),
    "0 and 1": ([0, 1, 1, 0, 1, 0], 2),
    "floats 0.0 and 1.0": ([0.0, 1.0, 1.0, 0.0, 0.0, 1.0], 2),
    "-1 and 1": ([-1, 1, 1, -1, 1, -1], None),
    "one class": ([1, 1, 1, 1, 1, 1], None),
    "0, 1 and 2": ([0, 1, 2, 2, 1, 0], 3),
    "multi-label 0/1": ([[0, 1], [1, 0], [1, 1], [0, 0], [1, 0], [0, 1]], 2),
}


@pytest.mark.parametrize("labels, n_classes", LABEL_SETS.values(), ids=LABEL_SETS.keys())
def test_check_dataset_and_check_labels_give_one_verdict(labels, n_classes):
    """One rule for class labels: the plugin check accepts exactly what the runner accepts."""
    from sweepnet.testing import CheckFailed, check_dataset

    y = np.array(labels)
    X = np.zeros((len(y), 2))
    try:
        by_rule = check_labels(y)
    except DatasetError:
        by_rule = None
    try:
        by_plugin_check = check_dataset(lambda: (X, y)).n_classes
    except CheckFailed:
        by_plugin_check = None
    assert by_plugin_check == by_rule == n_classes


# -- split -----------------------------------------------------------------------
def test_split_stratifies():
    X, y = breast_cancer()
    parts = split(X, y, test_size=0.25, seed=1)
    assert isinstance(parts, Split)
    assert len(parts.y_train) + len(parts.y_val) == len(y)
    assert len(parts.y_val) == int(np.ceil(0.25 * len(y)))
    full = y.mean()
    for part in (parts.y_train, parts.y_val):
        assert abs(part.mean() - full) <= 1 / len(part)
    assert parts.X_train.dtype == parts.X_val.dtype == np.float64
    assert parts.scaling == "none" and parts.offset is None and parts.scale is None


def test_split_standardizes_with_training_statistics_only():
    X, y = breast_cancer()
    parts = split(X, y, scale="standard", seed=0)
    assert parts.scaling == "standard"
    np.testing.assert_allclose(parts.X_train.mean(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(parts.X_train.std(axis=0), 1, rtol=1e-10)
    assert not np.allclose(parts.X_val.mean(axis=0), 0, atol=1e-6)
    raw = split(X, y, seed=0)
    np.testing.assert_allclose(parts.offset, raw.X_train.mean(axis=0))
    np.testing.assert_allclose(parts.scale, raw.X_train.std(axis=0))
    np.testing.assert_allclose(parts.X_val, (raw.X_val - parts.offset) / parts.scale)


def test_split_minmax_maps_the_training_range_onto_0_1():
    X, y = breast_cancer()
    parts = split(X, y, scale="minmax", seed=0)
    raw = split(X, y, seed=0)
    assert parts.scaling == "minmax"
    np.testing.assert_allclose(parts.X_train.min(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(parts.X_train.max(axis=0), 1, rtol=1e-12)
    low, high = raw.X_train.min(axis=0), raw.X_train.max(axis=0)
    np.testing.assert_allclose(parts.offset, low)
    np.testing.assert_allclose(parts.scale, high - low)
    np.testing.assert_allclose(parts.X_val, (raw.X_val - low) / (high - low), rtol=1e-12)
    assert parts.X_val.min() < 0 or parts.X_val.max() > 1  # validation is not refitted


def test_split_refuses_an_unknown_scale():
    X, y = moons(50)
    with pytest.raises(DatasetError, match="scale must be one of none, standard, minmax, "
                                           "got 'robust'"):
        split(X, y, scale="robust")


def test_split_without_validation_set():
    X, y = moons(50)
    parts = split(X, y, test_size=0, scale="standard")
    assert parts.X_val is None and parts.y_val is None
    assert parts.X_train.shape == (50, 2) and len(parts.y_train) == 50
    np.testing.assert_allclose(parts.X_train.mean(axis=0), 0, atol=1e-12)


def test_split_is_reproducible():
    X, y = moons(100)
    a, b = split(X, y, seed=5), split(X, y, seed=5)
    for name in ("X_train", "y_train", "X_val", "y_val"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.X_val, split(X, y, seed=6).X_val)


def test_split_multilabel_is_not_stratified():
    X, y = toy()
    parts = split(X, y, test_size=0.4)
    assert parts.X_train.shape == (3, 3) and parts.y_val.shape == (2, 4)


@pytest.mark.parametrize("test_size", [-0.1, 1, 1.5])
def test_split_rejects_bad_test_size(test_size):
    X, y = moons(20)
    with pytest.raises(DatasetError, match="0 <= test_size < 1"):
        split(X, y, test_size=test_size)


def test_split_refuses_an_empty_part():
    X, y = toy()
    with pytest.raises(DatasetError, match="leaves no training samples out of 5"):
        split(X, y, test_size=0.9)


def test_split_impossible_stratification_suggests_stratify_false():
    X, y = np.arange(10.0).reshape(5, 2), np.array([0, 0, 0, 1, 1])
    y_lonely = np.array([0, 0, 0, 0, 1])
    with pytest.raises(DatasetError, match=r"class\(es\) \[1\] have a single sample.*"
                                           "stratify=false"):
        split(X, y_lonely)
    with pytest.raises(DatasetError, match="fewer than the 2 classes; use stratify=false"):
        split(X, y, test_size=0.2)
    assert len(split(X, y_lonely, stratify=False).y_val) == 1


def test_split_checks_lengths():
    with pytest.raises(DatasetError, match="same n_samples"):
        split(np.zeros((4, 2)), np.zeros(3))


def test_csv_is_parsed_once_for_many_jobs_and_again_when_the_file_changes(tmp_path,
                                                                          monkeypatch):
    """A sweep checks, then trains, every job on one file: pandas parses it once; a changed
    file (or other arguments) is read again, and callers get arrays of their own."""
    import os

    import pandas as pd

    calls = []
    read_csv = pd.read_csv
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: calls.append(a) or read_csv(*a, **k))
    path = write(tmp_path, "a,b,y\n1,2,0\n3,4,1\n")
    X, y = csv(path, target="y")
    X.iloc[0, 0] = 99.0  # a caller changing its copy changes nothing for the next one
    X2, y2 = csv(str(path), target="y")
    assert len(calls) == 1 and X2.to_numpy().tolist() == [[1, 2], [3, 4]]
    assert y2.tolist() == [0, 1]
    assert csv(path, target="y", features=["b"])[0].to_numpy().tolist() == [[2], [4]]
    assert len(calls) == 2
    path.write_text("a,b,y\n5,6,1\n7,8,0\n")
    os.utime(path, ns=(0, os.stat(path).st_mtime_ns + 10**9))
    assert csv(path, target="y", features=["b"])[0].to_numpy().tolist() == [[6], [8]]
    assert len(calls) == 3


@pytest.mark.parametrize("name", ["\t", "\\t", "tab"])
def test_csv_tab_can_be_written_as_an_override_gives_it(tmp_path, name):
    path = write(tmp_path, "a\tb\ty\n1\t2\t0\n3\t4\t1\n")
    assert csv(path, target="y", delimiter=name)[0].to_numpy().tolist() == [[1, 2], [3, 4]]


def test_breast_cancer_features_by_either_name_and_tutorial_002s_labels():
    data = load_breast_cancer(as_frame=True)
    expected = data.data[["mean texture", "mean radius"]].to_numpy()
    for names in (["texture_mean", "radius_mean"], ["mean texture", "mean radius"]):
        X, y = breast_cancer(features=names, positive="malignant")
        np.testing.assert_array_equal(X, expected)
        assert list(X.columns) == names  # named as asked
        np.testing.assert_array_equal(y, (data.target == 0).to_numpy())
    X, _ = breast_cancer(features=["concave points_worst", "fractal_dimension_se"])
    np.testing.assert_array_equal(
        X, data.data[["worst concave points", "fractal dimension error"]].to_numpy())
    with pytest.raises(DatasetError, match="unknown feature.*'radius_mena'.*'mean radius'"):
        breast_cancer(features=["radius_mena"])
    with pytest.raises(DatasetError, match="positive must be 'benign'"):
        breast_cancer(positive="M")
    X, y = breast_cancer()
    X.iloc[0, 0], y[0] = -1, 7  # callers get copies
    assert breast_cancer()[0].iloc[0, 0] != -1 and breast_cancer()[1][0] != 7
