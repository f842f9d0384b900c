"""The progress line shown while a sweep's jobs are checked and trained."""

import io

from sweepnet.progress import Progress


def shown(total: int, **timing) -> list[str]:
    """The lines a Progress over ``total`` steps prints, counted one step at a time."""
    stream = io.StringIO()
    progress = Progress("checking", total, stream=stream, **timing)
    for i in range(total):
        progress.update(i)
    progress.close()
    assert "\r" not in stream.getvalue()  # not a terminal: whole lines only
    return stream.getvalue().splitlines()


def test_short_work_prints_nothing():
    assert shown(10, delay=60) == []


def test_long_work_in_a_log_prints_lines_with_count_and_time_left():
    lines = shown(4, delay=0, every=0)
    assert len(lines) == 5
    assert lines[1].startswith("sweepnet: checking 1/4 (") and "s left)" in lines[1]
    assert lines[-1].startswith("sweepnet: checking 4/4 (") and "left" not in lines[-1]


def test_a_log_gets_at_most_one_line_per_interval():
    assert len(shown(1000, delay=0, every=3600)) == 2  # the first, and the closing line


def test_a_duration_is_shown_in_the_unit_that_reads_best():
    from sweepnet.progress import duration

    cases = {0.04: "0.0 s", 4.25: "4.2 s", 45: "45 s", 119: "119 s", 130: "2.2 minutes",
             59 * 60: "59 minutes", 2.5 * 3600: "2.5 hours", 30 * 3600: "30 hours",
             3.25 * 86400: "3.2 days", 400 * 86400: "400 days"}
    assert {seconds: duration(seconds) for seconds in cases} == cases
