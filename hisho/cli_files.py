"""Reading a file an operator names on the command line: a regular file, of a bounded
size. `/dev/zero`, a FIFO or a terminal would otherwise be read for ever, growing memory
without limit (found by a probe of the commands)."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class NotADocument(ValueError):
    """The path names something other than a regular file of at most the size allowed."""


def read_document(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of the regular file at `path`; OSError if it cannot be opened, NotADocument
    if it is no regular file or holds more than `max_bytes`."""
    # Non-blocking, so that opening a FIFO does not wait for a writer; fstat then says
    # what was opened (no race with a path swapped between a check and the open).
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise NotADocument("not a regular file")
        os.set_blocking(descriptor, True)
        data = handle.read(max_bytes + 1)  # a file that grows while read stays bounded too
    if len(data) > max_bytes:
        raise NotADocument(f"larger than {max_bytes // (1024 * 1024)} MiB")
    return data
