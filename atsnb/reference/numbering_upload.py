"""The numbering registry from files uploaded in the browser (the settings page): the same load
as ``atsnb registry load`` (:func:`atsnb.reference.numbering_store.load_into_store`), from files
given as names and bytes instead of a folder."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from atsnb.errors import InputError
from atsnb.i18n import t
from atsnb.reference.numbering_plan import FILE_PATTERN
from atsnb.reference.numbering_store import LoadReport, Progress, load_into_store
from atsnb.store import Store


def load_uploaded(store: Store, files: Mapping[str, bytes], progress: Progress | None = None) -> LoadReport:
    """Make the uploaded registry files (``{"DEF-9xx.csv": b"…"}``) the store's registry; a file
    whose name is not a registry file's is refused by name before anything is read."""
    if not files:
        raise InputError(t("set_reg_no_files"))
    names = {name: Path(name).name for name in files}  # never a path the browser made up
    wrong = [name for name, base in names.items() if not FILE_PATTERN.match(base)]
    if wrong:
        raise InputError(t("set_reg_bad_name", names=", ".join(wrong)))
    with tempfile.TemporaryDirectory(prefix="atsnb-registry-") as folder:
        for name, data in files.items():
            (Path(folder) / names[name]).write_bytes(data)
        return load_into_store(store, folder, progress)
