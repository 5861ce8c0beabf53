"""cli: the `mnemo` command line, a thin adapter over `mnemo_cli.store`.

One module per command (`<name>_cmd.py`), the Typer app and the one error handler in `app.py`, the
error → exit-code table in `exit_codes.py`, output helpers in `output.py`.
"""
