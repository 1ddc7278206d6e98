"""``python -m skyvern_core`` runs the command line."""

import sys

from skyvern_core.cli import main

sys.exit(main())
