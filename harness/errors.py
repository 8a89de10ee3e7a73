"""Error types that map to the CLI's exit codes.

Anything the user can fix (a scenario file, a flag, a busy port) is an `InputError`; the CLI prints its
message as one line and exits 2 without a traceback. Exit 1 is reserved for failed expectations.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_EXPECTATION_FAILED = 1
EXIT_BAD_INPUT = 2


class HarnessError(Exception):
    """A run could not be carried out; reported as one line, exit code 2."""


class InputError(HarnessError):
    """Bad user input: the message names the file and field at fault."""
