"""`python -m harness` runs the `g2a-harness` command line."""

import sys

from harness.cli import main

sys.exit(main())
