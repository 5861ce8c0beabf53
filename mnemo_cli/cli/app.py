"""The `mnemo` command tree and the one place where errors become messages and exit codes.

Importing this module must stay cheap: command modules import their heavy dependencies (numpy,
fastembed, onnxruntime, usearch) inside the command function, never at module level.
"""

from __future__ import annotations

from mnemo_cli import timings  # first: the `import` timing starts when the command line begins loading

# isort: split
import atexit
import contextlib
import gc
import importlib
import os
import sys
import threading
import traceback
from typing import Annotated, Any, TextIO, cast

import typer

from mnemo_cli import __version__, errors
from mnemo_cli.cli import exit_codes, output
from mnemo_cli.errors import MnemoError
from mnemo_cli.safe_text import first_line, internal_error

#: Every command: its name, and the module of mnemo_cli.cli and the function (or Typer group) that
#: implement it, in the order `mnemo --help` lists them. A command is imported and built only when
#: it is invoked (or listed by `--help`): building all of them cost ~35 ms of every call.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init_cmd", "init"),
    "remember": ("remember_cmd", "remember"),
    "recall": ("recall_cmd", "recall"),
    "update": ("update_cmd", "update"),
    "link": ("link_cmd", "link"),
    "unlink": ("link_cmd", "unlink"),
    "show": ("show_cmd", "show"),
    "list": ("list_cmd", "list_"),
    "export": ("export_cmd", "export"),
    "import": ("import_cmd", "import_"),
    "forget": ("forget_cmd", "forget"),
    "prune": ("prune_cmd", "prune"),
    "compact": ("compact_cmd", "compact"),
    "backup": ("backup_cmd", "backup"),
    "salvage": ("salvage_cmd", "salvage"),
    "key": ("key_cmd", "app"),
    "passwd": ("key_cmd", "passwd"),
    "rekey": ("rekey_cmd", "rekey"),
    "reindex": ("reindex_cmd", "reindex"),
    "stats": ("stats_cmd", "stats"),
    "verify": ("verify_cmd", "verify"),
    "doctor": ("doctor_cmd", "doctor"),
    "agent": ("agent_cmd", "app"),
    "serve": ("serve_cmd", "serve"),
}


class _Commands(typer.core.TyperGroup):
    """The root command group: builds each command on first use (`COMMANDS`); Ctrl-C in any
    command reaches `run` as `Interrupted`.

    Click would turn the KeyboardInterrupt into a silent exit 130 before `run` could say anything.
    """

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = _build(cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except typer.core._click.exceptions.UsageError:
            for name in COMMANDS:  # an unknown command: Typer suggests the nearest of `self.commands`
                self.get_command(ctx, name)
            return super().resolve_command(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise errors.Interrupted("") from None


def _build(name: str) -> Any:
    """The click command of `COMMANDS[name]`, as `app.command(name)` or `app.add_typer` would make it."""
    module, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(f"mnemo_cli.cli.{module}"), attribute)
    if isinstance(target, typer.Typer):
        return typer.main.get_group_from_info(
            typer.models.TyperInfo(target, name=name),
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=app.rich_markup_mode,
            suggest_commands=app.suggest_commands,
        )
    return typer.main.get_command_from_info(
        typer.models.CommandInfo(name=name, callback=target),
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
    )


app = typer.Typer(
    name="mnemo",
    cls=_Commands,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"mnemo {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", help="Print the version and exit.", callback=_show_version, is_eager=True),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback when a command fails.")] = False,
) -> None:
    """Private, local-first long-term memory for people and LLM agents.

    Memories stay on your disk, encrypted; recall finds them by meaning and by words.

    Exit codes: every command can exit 0 success; 1 internal error; 2 a command line it cannot
    parse; 8 standard output cannot be written; 130 interrupted (Ctrl-C). Each command's --help
    lists its others; docs/cli.md has the table.
    """


def run(args: list[str]) -> int:
    """Run the command line `args` and return the exit code; never raises."""
    real_stdout = sys.stdout
    sys.stdout = cast(TextIO, output.GuardedStdout(real_stdout))
    try:
        code = _run(args, debug="--debug" in args or bool(os.environ.get("MNEMO_DEBUG")))
        if code != exit_codes.OK:
            # What a failed command printed before failing (`agent status --json`) still goes out; if
            # it cannot, the command's own failure is still the one to report.
            with contextlib.suppress(MnemoError):
                sys.stdout.flush()
        return code
    finally:
        sys.stdout = real_stdout


def _run(args: list[str], *, debug: bool) -> int:
    try:
        result = typer.main.get_command(app).main(args=args, prog_name="mnemo", standalone_mode=False)
        sys.stdout.flush()  # a failure to write stdout surfaces here at the latest, while it can be reported
        return result if isinstance(result, int) else exit_codes.OK
    except errors.Interrupted as e:
        output.interrupted(str(e))
        return exit_codes.INTERRUPTED
    except MnemoError as e:
        if debug:
            traceback.print_exc()
        output.error(str(e), e.hint)
        return exit_codes.exit_code_for(e)
    except typer.TyperException as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # bare `mnemo`: the help, as a usage error
            sys.stderr.write(e.format_message().rstrip("\n") + "\n")
        else:
            output.error(_as_message(e.format_message()), _usage_hint(e))
        return exit_codes.USAGE
    except typer.Abort:
        output.error("aborted")
        return exit_codes.INTERRUPTED
    except KeyboardInterrupt:  # outside any command: while the command line is parsed
        output.interrupted()
        return exit_codes.INTERRUPTED
    except Exception as e:  # the last resort: anything unexpected is exit 1, one line
        if debug:
            traceback.print_exc()
        output.error(
            internal_error(e),
            None if debug else "run again with --debug for a traceback, and report it",
        )
        return exit_codes.INTERNAL


def main() -> None:
    """Console-script entry point."""
    timings.main_started()
    os.umask(0o077)  # nothing mnemo creates is for other users' eyes
    _no_core_dumps()
    code = run(sys.argv[1:])  # it flushed stdout, and silenced it if writing failed
    timings.report()
    _exit(code)


def _exit(code: int) -> None:
    """End the process with `code`, without the interpreter's teardown when nothing needs it.

    The teardown frees every module and every object the model's libraries allocated, one by one:
    20-30 ms after a recall, for memory the OS takes back at once. Nothing mnemo writes depends on
    it: files are closed and synced explicitly, and standard streams are flushed here. The exit
    handlers still run (the binary's temporary runtime folder is removed by one). With a thread of
    its own still running (a library's), the process exits the ordinary way, which waits for it.
    """
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if others:
        gc.freeze()  # the final collections would walk every object the model's libraries allocated
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken stream: nothing more can be said
            stream.flush()
    atexit._run_exitfuncs()
    os._exit(code)


def _no_core_dumps() -> None:
    """A crash must not write the process's memory (keys, passphrases, memories) to a core file."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):  # not POSIX, or the limit cannot be lowered
        pass


def _as_message(text: str) -> str:
    """Click's "No such option: --x." in our style: lowercase start, no final period."""
    line = first_line(text).rstrip(".")
    return line[:1].lower() + line[1:]


def _usage_hint(error: Exception) -> str:
    ctx = getattr(error, "ctx", None)
    return f"try '{ctx.command_path if ctx is not None else 'mnemo'} --help'"
