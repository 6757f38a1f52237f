"""One module per `g2a-harness` subcommand.

Each module defines `NAME`, `HELP`, `add_arguments(parser)` and `run(args) -> int`, and keeps
heavy imports inside `run` so `g2a-harness --help` stays fast.
"""
