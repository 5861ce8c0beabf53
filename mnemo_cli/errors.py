"""The kinds of failure mnemo reports, shared by every layer.

This is a leaf module: it imports nothing of mnemo. Each layer raises (or subclasses) the kind that
names the condition it detected; only `cli/exit_codes.py` knows which exit code a kind maps to, so
lower layers never think about processes or exit statuses. Keep kinds apart: a file that fails to
parse is an `IntegrityError`, never an `AuthenticationError`.
"""


class MnemoError(Exception):
    """Base of every error mnemo raises on purpose; its message is one line for the user.

    `hint`, when set, is one more line telling the user what to do about it.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class UsageError(MnemoError):
    """The command line or an input value is invalid."""


class AuthenticationError(MnemoError):
    """No secret was given, or no key slot opens with the secret given."""


class StoreNotFound(MnemoError):
    """There is no store where one was expected."""


class StoreExists(MnemoError):
    """A store already exists where a new one was to be created."""


class IntegrityError(MnemoError):
    """Data on disk failed a checksum, a tag or a structural check."""


class UnsupportedFormat(IntegrityError):
    """A file was written in a format version (or cipher suite) this mnemo cannot read."""


class StoreBusy(MnemoError):
    """Another process held the store's lock for longer than the wait limit."""


class MemoryNotFound(MnemoError):
    """No memory has the id (or id prefix) given."""


class StorageIOError(MnemoError):
    """The operating system refused an I/O operation (disk full, permissions, ...)."""


class RemoteUnavailable(StorageIOError):
    """A sync remote cannot be read or written: rclone is missing, the remote is unknown or
    unreachable, or it refused the credentials."""


class Interrupted(MnemoError):
    """The user interrupted the command (Ctrl-C); the message, when there is one, says what was
    done before."""


class AgentNotRunning(MnemoError):
    """No agent is running for the store."""


class AgentLost(MnemoError):
    """A write went to the agent whole and no answer came back: it may or may not have been applied."""


class StartFailed(MnemoError):
    """The detached agent exited before it was ready."""


class ModelError(MnemoError):
    """The embedded embedding model is missing or cannot be loaded."""


class ModelIntegrityError(IntegrityError, ModelError):
    """A file of the embedded model, or of a model folder a store was indexed with, does not have
    the checksum it must have."""
