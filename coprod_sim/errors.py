"""The errors that mean bad input: the command line prints their message and exits with code 2.

Every one derives from :class:`InputError`, so that an interface catches bad input once,
whichever layer found it. The message names the input, the value and what is allowed.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from the user (a value, a file, a folder, an address): exit code 2."""


class PortUnavailableError(InputError):
    """The dashboard cannot listen on the address and port asked for (taken, or not an
    address of this machine). Not a parameter error: the same value may work a minute later."""
