"""A book's credentials: the files of its mounted credentials Secret.

The controller mounts the instance's Secret ``<instance>-credentials`` read-only at
``SECRETS_DIR`` (``/secrets``; ``/secrets/<instance>`` per tenant of a shared workload): one file
per credential, named as the credential (``zendesk_api_key``), holding exactly its value.
Kubernetes swaps the files atomically on a rotation (the dot-entries ``..data``, ``..2024_…`` are
its bookkeeping and are not credentials); the controller also rolls the pods when a value
changes. Values are read from the file on every access and never logged or shown by ``repr``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

# A Secret key: alphanumerics, '-', '_' and '.'; we also refuse a leading '.' (Kubernetes' own
# files) so a name can never reach outside the directory.
_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")


class MissingCredential(KeyError):
    """The credential is not in the mounted Secret."""

    def __str__(self) -> str:  # KeyError quotes its argument; say it plainly
        return str(self.args[0])


class Credentials(Mapping[str, str]):
    def __init__(self, directory: str | os.PathLike[str]):
        self._dir = Path(directory)

    @property
    def directory(self) -> Path:
        return self._dir

    def _path(self, name: str) -> Path:
        if not isinstance(name, str) or not _NAME.match(name):
            raise MissingCredential(
                f"credential name {name!r} is not a valid Secret key (letters, digits, '-', '_', '.')")
        return self._dir / name

    def __getitem__(self, name: str) -> str:
        path = self._path(name)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise MissingCredential(
                f"no credential {name!r} in {self._dir} (credentials here: {', '.join(self) or 'none'})"
            ) from None
        except IsADirectoryError:
            raise MissingCredential(f"{name!r} in {self._dir} is a directory, not a credential") from None

    def read_bytes(self, name: str) -> bytes:
        """The value as bytes (a binary credential such as a key file)."""
        path = self._path(name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise MissingCredential(f"no credential {name!r} in {self._dir}") from None

    def __iter__(self) -> Iterator[str]:
        try:
            entries = sorted(os.listdir(self._dir))
        except (FileNotFoundError, NotADirectoryError):
            return iter(())
        return iter([e for e in entries if not e.startswith(".") and (self._dir / e).is_file()])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"Credentials(directory={str(self._dir)!r}, names={list(self)!r})"

    __str__ = __repr__
