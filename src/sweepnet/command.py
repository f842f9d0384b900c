"""The ``sweepnet`` console script's entry: a Ctrl-C while it starts is a message too.

Importing the command (Hydra, pandas, scikit-learn) takes about a second. An
interrupt in that second is held until the imports finish (raised inside an
import it can surface wrapped in another error, e.g. by a class's
``__set_name__``), then stops the command with exit status 130 and a line, not
a traceback, before anything is written.
"""

import signal
import sys


def main() -> None:
    interrupted = []
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    try:
        from sweepnet.runner.app import cli
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        print("\nsweepnet: interrupted while starting; nothing was run", file=sys.stderr)
        sys.exit(130)
    cli()
