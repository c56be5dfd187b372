"""``python -m kb.cli``: the ``policywatch`` command."""

import sys

from kb.cli import main

sys.exit(main())
