"""The one error base class of Advieszoeker.

Every problem a user can act on (a file that cannot be read, an index not
built yet, a bad filter value, a busy data folder) is an `AdvieszoekerError`
whose text is the message to show: one plain sentence that says what to do.
The CLI turns it into a message in one place (`app.cli.AdvieszoekerGroup`),
the web app in another (`app.errors`); anything else is a bug and is logged
with its traceback.
"""

from __future__ import annotations


class AdvieszoekerError(Exception):
    """A problem the user can act on; `str(error)` is the message to show."""
