"""`mnemo sync` and `mnemo clone`: one store across a user's devices through a remote (docs/sync.md).

`sync` puts the store's header and this device's key slot table on the remote (`remote_keys`),
pulls and applies the other devices' new files (`sync_pull`), then pushes this device's new
records as the next file of its chain (`sync_push`), holding `sync.lock` so one sync of a device
runs at a time (local commands go on meanwhile). The remote is remembered (beside the device id,
`store/device.py`) for the next `sync` without one. `clone` makes a new device's store from a
remote: the header and the newest key slot table, opened with any of the user's secrets, then a
sync. Nothing readable ever comes down unencrypted.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mnemo_cli.crypto import keyslots, secrets
from mnemo_cli.errors import UsageError
from mnemo_cli.log import layout
from mnemo_cli.log.lock import StoreLock
from mnemo_cli.log.remotes import RCLONE_PREFIX, Remote, parse
from mnemo_cli.store import creating, device, remote_keys
from mnemo_cli.store.sync_pull import Pulled, chains, pull
from mnemo_cli.store.sync_push import Pushed, push

if TYPE_CHECKING:
    from mnemo_cli.store.store import Store


@dataclass
class SyncReport:
    remote: str
    device: str
    pulled: Pulled
    pushed: Pushed
    #: Every device with files on the remote (this one included once it pushed).
    devices: list[str]

    @property
    def problems(self) -> list[str]:
        return [*self.pulled.problems, *self.pushed.problems]

    def to_json(self) -> dict[str, Any]:
        return {
            "remote": self.remote,
            "device": self.device,
            "pulled": {"files": self.pulled.files, "records": self.pulled.records, "bytes": self.pulled.bytes},
            "pushed": {
                "files": self.pushed.files,
                "records": self.pushed.records,
                "bytes": self.pushed.bytes,
                "removed": self.pushed.removed,
            },
            "conflicts": self.pulled.conflicts,
            "devices": self.devices,
            "problems": self.problems,
        }


def remote_spec(spec: str) -> str:
    """`spec` as it is remembered: a folder as an absolute path (cron runs elsewhere)."""
    if spec.startswith(RCLONE_PREFIX):
        return spec
    return os.path.abspath(os.path.expanduser(spec))


def sync(store: Store, spec: str | None = None, *, lock_wait: float | None = None) -> SyncReport:
    """Pull the other devices' new records from the remote `spec` (default: the one last used),
    then push this device's."""
    remembered = device.remembered_remote(store.store_id, store.path)
    if spec is None and remembered is None:
        raise UsageError("give a remote (a folder, or rclone:NAME:path): this store has not synced before")
    spec = remote_spec(spec or remembered or "")
    remote = parse(spec)
    me = device.device_id(store.store_id, store.path)
    assert me is not None
    _refuse_after_full_rekey(store, me.hex())
    with StoreLock(store.path / layout.SYNC_LOCK).acquire(exclusive=True, wait=lock_wait):
        report = _sync(store, remote, me)
    if spec != remembered:
        device.remember_remote(store.store_id, store.path, spec)
    store._maybe_snapshot(store.head())  # a fold of the whole log (records from before the last)
    return report


def _sync(store: Store, remote: Remote, me: bytes) -> SyncReport:
    with tempfile.TemporaryDirectory(prefix="mnemo-sync-") as folder:
        staging = Path(folder)
        remote_keys.publish(remote, store.path, me, staging / "keys")
        found = chains(remote.listing())
        pulled = pull(store, remote, found, me.hex(), staging / "in")
        pushed = push(store, remote, found.get(me.hex(), []), me, staging / "out")
    state = store.state()
    for conflict in pulled.conflicts:
        conflict["current"] = state.catalog.head_of(str(conflict["memory"]))
    devices = sorted({*found, *([me.hex()] if pushed.files else [])})
    return SyncReport(remote.description, me.hex(), pulled, pushed, devices)


def _refuse_after_full_rekey(store: Store, me: str) -> None:
    mark = store.state().catalog.chain_marks().get(me)
    if mark is None:
        return
    key_id = json.loads(mark.detail).get("key_id")
    if key_id is not None and key_id != store.head().key_id:
        raise UsageError(
            "this store's data key was replaced (`rekey --full`) since it last synced: the remote's files "
            "are under the old key",
            hint="make a new remote: `mnemo sync NEW-REMOTE` here, then `mnemo clone NEW-REMOTE` on the other devices",
        )


def clone(cls: type[Store], path: Path, spec: str, secret: secrets.Secret) -> tuple[Store, SyncReport]:
    """Make the store at `path` (missing or an empty folder) a new device of the store on the remote
    `spec`, opened with `secret`, and sync it."""
    creating.check_free(path)
    spec = remote_spec(spec)
    remote = parse(spec)
    with tempfile.TemporaryDirectory(prefix="mnemo-clone-") as folder:
        keys = remote_keys.newest(remote, Path(folder))
    data_key, slot = keyslots.unlock(keys.table, secret)
    creating.build(path, keys.header_bytes, keys.table, data_key, slot.key_id)
    store = cls(path, keys.header.store_id, data_key, keys.table, slot)
    store.notes.extend(keys.notes)
    try:
        report = sync(store, spec)
    except BaseException:
        store.close()
        raise
    return store, report
