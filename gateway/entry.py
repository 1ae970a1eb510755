"""The `hubmail` program: `deliver` starts light (an MTA runs it once per message), the rest loads the CLI."""

from __future__ import annotations

import signal
import sys


def main() -> None:
    if sys.argv[1:2] == ["deliver"]:
        from gateway.deliver_cli import main as deliver

        deliver(sys.argv[2:])
    else:
        if sys.argv[1:2] == ["serve"]:
            # A SIGTERM while serve is still starting (imports, configuration, migrations) ends it
            # with status 0, as one later does: nothing has been accepted yet, no child started.
            # serve installs its own handlers before it starts anything.
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        from gateway.cli import main as everything

        everything()
