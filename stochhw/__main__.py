"""``python -m stochhw``: the ``stochhw`` command."""

import sys

from stochhw.sim.cli import main

sys.exit(main())
