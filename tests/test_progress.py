"""The progress line shown while a sweep's jobs are checked (and other long work)."""

import io

from sweepnet.runner.progress import Progress


def test_short_work_prints_nothing():
    stream = io.StringIO()
    progress = Progress("checking", 10, delay=60, stream=stream)
    for i in range(10):
        progress.update(i)
    progress.close()
    assert stream.getvalue() == ""


def test_long_work_in_a_log_prints_lines_with_count_and_time_left():
    stream = io.StringIO()
    progress = Progress("checking", 4, delay=0, every=0, stream=stream)
    for i in range(4):
        progress.update(i)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 5 and "\r" not in stream.getvalue()
    assert lines[1].startswith("sweepnet: checking 1/4 (") and "s left)" in lines[1]
    assert lines[-1].startswith("sweepnet: checking 4/4 (") and "left" not in lines[-1]


def test_a_log_gets_at_most_one_line_per_interval():
    stream = io.StringIO()
    progress = Progress("checking", 1000, delay=0, every=3600, stream=stream)
    for i in range(1000):
        progress.update(i)
    progress.close()
    assert len(stream.getvalue().splitlines()) == 2  # the first, and the closing line
