"""`python -m mnemo_cli`: the same entry point as the `mnemo` console script."""

from mnemo_cli.cli.app import main

if __name__ == "__main__":
    main()
