"""The ``csv`` dataset: a table from a CSV file, read with pandas.

pandas is imported inside :func:`csv`, so importing this module stays cheap.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .split import DatasetError

_DELIMITERS = {",": "','", ";": "';'", "\t": "'\\t' (tab)", "|": "'|'"}

#: column names that identify rows rather than describe them: never features unless asked
_ID_NAME = re.compile(r"(?i)^(id|index|unnamed: 0)$|[ _]id$")

log = logging.getLogger("sweepnet")


def csv(path: str | os.PathLike, target: str, positive=None,
        features: Sequence[str] | None = None, delimiter: str = ","):
    """Load a classification dataset from a CSV file with a header row.

    Parameters
    ----------
    path : str or path-like
        The CSV file; a relative path is relative to the current directory.
    target : str
        The column holding the class of each row.
    positive : scalar, optional
        The value of the target column that counts as 1; the other value
        counts as 0 (tutorial 002: ``positive="M"`` makes malignant 1 and
        benign "B" 0). The target column must then hold exactly two distinct
        values, one equal to ``positive``; values are also compared as strings,
        so ``positive=1`` and ``positive="1"`` both match a numeric 1.
        When ``positive`` is None:

        - integer targets already numbered ``0 .. k-1`` are used as they are;
          other integer values (e.g. 1 and 2) are mapped in sorted order to
          ``0 .. k-1``;
        - a text target with more than two values is mapped in sorted order to
          ``0 .. k-1``;
        - a text target with exactly two values is refused: say which one is
          the positive class with ``positive=``.
    features : sequence of str, optional
        The feature columns, in this order. None (the default) means every
        column except the target, an identifier column (named ``id``,
        ``index``, ``..._id``; list it in ``features`` to use it) and an
        unnamed column that is empty in every row (what a trailing delimiter
        makes, e.g. Kaggle's ``bdiag.csv``); each one left out is logged.
        Feature columns must be numeric.
    delimiter : str, default=","
        The field separator, e.g. ``";"`` or ``"\\t"``; a tab may also be written
        ``"tab"`` or as backslash-t (what the override ``dataset.delimiter='\\t'``
        gives).

    Returns
    -------
    X : DataFrame of shape (n_rows, n_features), float64
        The feature columns, named as in the header.
    y : ndarray of shape (n_rows,), int64
        Class labels ``0 .. k-1``.

    Raises
    ------
    DatasetError
        When the file is missing, empty or not parsable as CSV, probably uses
        another delimiter, lacks the target or feature columns, has
        non-numeric features or missing values, or its target has fewer than
        two classes or does not fit ``positive``.

    Notes
    -----
    The arrays of the last file read are kept (keyed by the file's path, size
    and modification time, and the arguments), so a sweep that checks and then
    trains many jobs on one file parses it once; each call returns copies.
    """
    file = Path(path).expanduser().absolute()
    try:
        file.stat()
    except OSError as error:
        if error.errno not in (2, 20):  # not "no such file": a name too long, no permission
            raise DatasetError(f"the CSV file {_short(str(file), 120)} cannot be read: "
                               f"{error.strerror}") from None
    if not file.is_file():
        what = "is a directory, not a file" if file.is_dir() else "does not exist"
        raise DatasetError(
            f"the CSV file {file} {what}; pass the path of an existing CSV file as "
            f"path= (a relative path is taken from the current directory, {Path.cwd()})."
        )
    delimiter = _TAB_NAMES.get(delimiter, delimiter)
    if isinstance(features, str):
        features = [features]
    stat = file.stat()
    key = (str(file), stat.st_size, stat.st_mtime_ns, target, repr(positive),
           None if features is None else tuple(features), delimiter)
    if _last_read.get("key") != key:
        _last_read.clear()
        _last_read.update(key=key, data=_read(file, target, positive, features, delimiter))
    X, y = _last_read["data"]
    return X.copy(), y.copy()  # a DataFrame: its columns name the features


#: the last file read and its arrays: a sweep checks, then runs, many jobs on one file
_last_read: dict = {}

#: how a tab can be written where a real tab character is awkward (a Hydra override)
_TAB_NAMES = {"\\t": "\t", "tab": "\t"}


#: the most text a CSV may hold, as a fraction of the usable memory (parsing takes
#: several times the text), and the longest line: a table of numbers has short lines
MEMORY_FRACTION, MAX_LINE = 1 / 20, 1_000_000
#: what pandas decompresses by the file's suffix, and how to open it here
_OPENERS = {".gz": "gzip", ".bz2": "bz2", ".xz": "lzma", ".zip": "zipfile"}


def _check_size(file: Path) -> bytes:
    """Refuse a file whose text (decompressed) would not fit in memory, or whose lines are
    not a table's, before pandas parses it; reads it in chunks, never whole. Returns the
    first line (the header)."""
    from ..system import usable_memory

    memory = usable_memory() or 8 * 2**30
    limit = int(memory * MEMORY_FRACTION)
    opener = _OPENERS.get(file.suffix.lower())
    try:
        if opener is None:
            stream = open(file, "rb")
        elif opener == "zipfile":
            import zipfile

            archive = zipfile.ZipFile(file)
            stream = archive.open(archive.namelist()[0])
        else:
            stream = __import__(opener).open(file, "rb")
        with stream:
            total, line, head = 0, 0, b""
            while chunk := stream.read(1 << 20):
                if total == len(head):  # still in the first line
                    head += chunk.split(b"\n", 1)[0]
                total += len(chunk)
                if total > limit:
                    raise DatasetError(
                        f"the CSV file {file} holds more than {_size(limit)} of text"
                        f"{' once decompressed' if opener else ''}: more than 1/20 of the "
                        f"memory that can be used here, which parsing it would take several "
                        f"times over; use a smaller file")
                parts = chunk.split(b"\n")  # the line in progress goes on in the next chunk
                longest = max([line + len(parts[0]), *map(len, parts[1:])])
                line = line + len(chunk) if len(parts) == 1 else len(parts[-1])
                if longest > MAX_LINE:
                    raise DatasetError(
                        f"the CSV file {file} has a line of more than {MAX_LINE:,} "
                        f"characters: not a table of numbers")
    except OSError as error:
        raise DatasetError(f"the CSV file {file} cannot be read: {error.strerror or error}") \
            from None
    return head


def _size(n: int) -> str:
    """A number of bytes as people read it: 98 KB, 410 MB, 1.6 GB."""
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            return f"{n / scale:.2g} {unit}" if n < 10 * scale else f"{n / scale:,.0f} {unit}"
    return f"{n} bytes"


def _header(line: bytes, delimiter: str) -> list[str]:
    """The names of a header line as pandas reads them (one-character delimiters)."""
    import csv as csv_module

    if len(delimiter) != 1:
        return []
    text = line.decode("utf-8", "replace").rstrip("\r")
    return next(csv_module.reader([text], delimiter=delimiter), [])


def _read(file: Path, target, positive, features, delimiter):
    """Parse and check ``file`` (see :func:`csv`)."""
    import pandas as pd

    names = _header(_check_size(file), delimiter)
    try:
        frame = pd.read_csv(file, sep=delimiter)
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame()
    except (ValueError, UnicodeDecodeError) as error:  # pandas' ParserError is a ValueError
        raise DatasetError(
            f"the CSV file {file} could not be parsed with delimiter {delimiter!r}: "
            f"{_short(str(error).strip())}. Check that every row has the same number of "
            f"fields as the header, that quotes are closed and that the file is text."
        ) from error
    except OSError as error:
        raise DatasetError(f"the CSV file {file} cannot be read: {error.strerror or error}") \
            from None
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DatasetError(f"the CSV file {file} names column(s) {', '.join(map(repr, twice))} "
                           f"more than once in its header; give every column its own name")
    if frame.shape[1] == 0 or len(frame) == 0:
        found = ("no columns" if frame.shape[1] == 0 else
                 f"a header ({', '.join(map(str, frame.columns))}) but no rows")
        raise DatasetError(
            f"the CSV file {file} is empty: it has {found}. A dataset needs a header row "
            f"naming the columns and at least one data row."
        )
    columns = [str(c) for c in frame.columns]
    if len(columns) == 1:
        others = [d for d in _DELIMITERS if d != delimiter and d in columns[0]]
        if others:
            raise DatasetError(
                f"the CSV file {file} reads as a single column {columns[0]!r} with "
                f"delimiter {delimiter!r}, but its header contains "
                f"{_DELIMITERS[others[0]]}; the file probably uses that delimiter: pass "
                f"delimiter={others[0]!r} to read it"
            )
    if features is None:
        features = _default_features(frame, target, file)
    else:
        features = list(features)
    missing = [c for c in [target, *features] if c not in frame.columns]
    if missing:
        raise DatasetError(
            f"the CSV file {file} has no column(s) {', '.join(map(repr, missing))}; the "
            f"columns found are: {', '.join(map(repr, columns))}. target= and features= must "
            f"name columns of the header (names are case-sensitive)."
        )
    if not features or target in features:
        raise DatasetError(
            f"the CSV file {file} gives no usable feature columns: features must be one or "
            f"more columns other than the target {target!r}; the columns found are: "
            f"{', '.join(map(repr, columns))}."
        )

    table = frame[[*features, target]]
    text = [c for c in features if not pd.api.types.is_numeric_dtype(table[c])]
    if text:
        column = table[text[0]]
        bad = column[pd.to_numeric(column, errors="coerce").isna() & column.notna()]
        raise DatasetError(
            f"the CSV file {file} has non-numeric feature column(s) "
            f"{', '.join(map(repr, text))} (e.g. {bad.iloc[0]!r} in {text[0]!r}); features "
            f"must be numbers. Leave those columns out with features=, or encode them as "
            f"numbers first."
        )
    holes = table.isna()
    empty = [c for c in features if holes[c].all()]
    if empty:
        raise DatasetError(
            f"the CSV file {file} has feature column(s) {', '.join(map(repr, empty))} with no "
            f"value in any row; leave them out with features= (the columns found are: "
            f"{', '.join(map(repr, columns))})."
        )
    if holes.to_numpy().any():
        counts = holes.sum()
        per_column = ", ".join(f"{c!r} ({n})" for c, n in counts.items() if n)
        raise DatasetError(
            f"the CSV file {file} has missing values in {int(holes.any(axis=1).sum())} of "
            f"{len(table)} rows, in column(s) {per_column}; drop or fill those rows before "
            f"loading (e.g. with pandas dropna/fillna)."
        )

    X = table[features].astype(np.float64).reset_index(drop=True)
    X.columns = [str(c) for c in X.columns]
    y = _labels(table[target], target, positive, file)
    return X, y


def _short(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters (a message never echoes a whole file)."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _default_features(frame, target: str, file: Path) -> list:
    """Every column but the target, identifier columns and empty unnamed columns (logged)."""
    features = []
    for column in frame.columns:
        name = str(column)
        if column == target:
            continue
        if name.startswith("Unnamed: ") and frame[column].isna().all():
            log.info(f"{file.name}: column {name!r} is empty in every row (a trailing "
                     f"delimiter?); it is not a feature")
        elif _ID_NAME.search(name):
            log.info(f"{file.name}: column {name!r} looks like a row identifier; it is not a "
                     f"feature (to use it, list the features with features=)")
        else:
            features.append(column)
    return features


def _labels(column, target: str, positive, file: Path) -> np.ndarray:
    """Class labels 0..k-1 from the target column (see :func:`csv`)."""
    import pandas as pd

    values = sorted(column.unique().tolist(), key=lambda v: (str(type(v)), v))
    shown = ", ".join(map(repr, values[:10])) + (" ..." if len(values) > 10 else "")
    if len(values) < 2:
        raise DatasetError(
            f"the target column {target!r} of {file} has a single value ({shown}); a "
            f"classifier needs at least two classes."
        )
    if positive is not None:
        matches = [v for v in values if v == positive or str(v) == str(positive)]
        if len(values) != 2 or len(matches) != 1:
            raise DatasetError(
                f"positive={positive!r} needs a target column with exactly two values, one of "
                f"them {positive!r}, but column {target!r} of {file} holds {len(values)} "
                f"values: {shown}."
            )
        return (column == matches[0]).to_numpy().astype(np.int64)
    if pd.api.types.is_bool_dtype(column):
        return column.to_numpy().astype(np.int64)
    if pd.api.types.is_numeric_dtype(column):
        numbers = np.asarray(values, dtype=np.float64)
        if np.any(numbers != np.round(numbers)):
            raise DatasetError(
                f"the target column {target!r} of {file} holds non-integer numbers "
                f"({shown}); a classification target holds class labels (integers or text)."
            )
        if np.array_equal(numbers, np.arange(len(numbers))):
            return column.to_numpy().astype(np.int64)
    elif len(values) == 2:
        raise DatasetError(
            f"the target column {target!r} of {file} holds two text values, {shown}; say "
            f"which one is the positive class (label 1): positive={values[1]!r} makes "
            f"{values[1]!r} 1 and {values[0]!r} 0"
        )
    else:
        values = sorted(map(str, values))
        column = column.astype(str)
    return np.searchsorted(np.asarray(values), column.to_numpy()).astype(np.int64)
