"""The `hubmail` program: `deliver` starts light (an MTA runs it once per message), the rest loads the CLI."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["deliver"]:
        from gateway.deliver_cli import main as deliver

        deliver(sys.argv[2:])
    else:
        from gateway.cli import main as everything

        everything()
