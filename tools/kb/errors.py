"""The one kind of error the user fixes: settings, a missing runtime, a file kb will not touch.

`kb` prints such an error on one line and exits 3; anything else is a bug and gets a trace.
"""

from __future__ import annotations


class UserError(Exception):
    """An error whose message names what to fix (the file, the key, the command)."""
