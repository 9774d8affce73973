"""``python -m handlelint``: the command line."""

from handlelint.cli import run

run()
