"""`python -m mnemo_cli`: the same entry point as the `mnemo` console script, and the one-file binary's.

In the binary, `frozen_runtime.install()` first arms the import hook that unpacks the heavy runtime
(appended to the binary) into the user's cache the first time a command needs it.
"""

import sys

if getattr(sys, "frozen", False):
    from mnemo_cli import frozen_runtime

    frozen_runtime.install()

# After the hook: the CLI may import the runtime.
from mnemo_cli.cli.app import main

if __name__ == "__main__":
    main()
