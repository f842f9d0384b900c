"""The ``sweepnet`` console script's entry: a Ctrl-C while it starts is a message too.

Importing the command (Hydra, pandas, scikit-learn) takes about a second; an
interrupt in that second stops it with exit status 130 and a line, not a
traceback, before anything is written.
"""

import sys


def main() -> None:
    try:
        from sweepnet.runner.app import cli
    except KeyboardInterrupt:
        print("\nsweepnet: interrupted while starting; nothing was run", file=sys.stderr)
        sys.exit(130)
    cli()
