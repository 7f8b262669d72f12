"""The exceptions a user can meet, each carrying one sentence the user understands.

Every error raised on purpose by atsnb derives from :class:`AtsnbError`; the CLI prints its
message without a traceback.  Messages never contain a password or a token: build them from
:func:`atsnb.config.mask_secrets` output or from names, never from raw connection strings.
"""


class AtsnbError(Exception):
    """Base class: ``str(err)`` is a complete sentence for the user."""


class ConfigError(AtsnbError):
    """The configuration file or an ``ATSNB_*`` variable is wrong."""


class PBXConnectionError(AtsnbError):
    """The PBX database cannot be reached or refuses the credentials."""


class SchemaError(AtsnbError):
    """A PBX table lacks what atsnb needs, or the column mapping points at nothing."""


class StoreError(AtsnbError):
    """The local store is locked by another writer or is damaged."""


class InputError(AtsnbError):
    """A user-supplied file (CSV import, registry) has a bad row; the message names file, line, field."""
