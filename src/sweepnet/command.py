"""The ``sweepnet`` console script's entry: a Ctrl-C while it starts is a message too.

Importing the command (Hydra, pandas, scikit-learn) takes about a second. An
interrupt in that second is held until the imports finish (raised inside an
import it can surface wrapped in another error, e.g. by a class's
``__set_name__``), then stops the command with exit status 130 and a line, not
a traceback, before anything is written. A second Ctrl-C stops the imports at once.
"""

import signal
import sys


def main() -> None:
    interrupted = []

    def hold(*_) -> None:  # a second Ctrl-C (an import that hangs) stops at once
        interrupted.append(True)
        if len(interrupted) > 1:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, hold)
    try:
        from sweepnet.runner.app import cli
    except BaseException:
        if not interrupted:
            raise
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        print("\nsweepnet: interrupted while starting; nothing was run", file=sys.stderr)
        sys.exit(130)
    cli()
