"""`python -m channelsim.cli ...` is the `channelsim` command."""

import sys

from channelsim.cli import main

sys.exit(main())
