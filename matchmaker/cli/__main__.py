"""`python -m matchmaker.cli`: the console script without installing it."""

import sys

from matchmaker.cli import cli

sys.exit(cli())
