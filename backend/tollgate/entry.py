"""Console entry point. `serve` patches the standard library for gevent before anything imports ssl or
sockets, as gevent requires; every other command runs unpatched."""

from __future__ import annotations

import sys


def main() -> None:
    if len(sys.argv) > 1 and "serve" in sys.argv[1:]:
        from gevent import monkey

        monkey.patch_all()
    from .cli import main as cli_main

    cli_main()
