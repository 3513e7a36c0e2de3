"""The exception hierarchy of the appc module and the Diagnostic record.

The C extension (appc._appc) raises these classes: appc/__init__.py hands them
to it once at import time (_appc._set_error_classes), so every error a C call
reports is turned into exactly one of them, with the C library's last error
(code, errno, message, where, findings) copied before any Python code runs.
"""

from typing import NamedTuple, Sequence

__all__ = [
    "Diagnostic", "Error", "ValidationError", "NotFoundError", "VerificationError",
    "NetworkError", "CancelledError", "LimitError",
]


class Diagnostic(NamedTuple):
    """One finding of a validation.

    path    -- JSON path of the offending value, e.g. "app.ports[1].port" ("" for the document)
    message -- what is wrong, e.g. "70000 is outside 1..65535"
    rule    -- the item of the spec checklist (docs/checklist.md) it enforces, 0 when none
    """

    path: str
    message: str
    rule: int = 0

    def __str__(self) -> str:
        # Same text as the C library's Diagnostic::format().
        s = f"{self.path}: {self.message}" if self.path else self.message
        return f"{s} (spec {self.rule})" if self.rule > 0 else s


class Error(Exception):
    """Base class of every error reported by libappc.

    code      -- the C status (appc_status, a negative int; appc.status_name(code) names it)
    message   -- the one-line message of the C library (also str(error))
    where     -- a JSON path, file or archive entry the error is about, or ""
    sys_errno -- the errno of a failed system call, else 0
    """

    def __init__(self, message: str = "", code: int = -1, where: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code
        self.where = where
        self.sys_errno = 0

    def __reduce__(self):
        return (type(self), (self.message, self.code, self.where), self.__dict__)

    def __str__(self) -> str:
        return self.message


class ValidationError(Error):
    """A manifest (or another input) broke the spec; .errors lists every finding in document order."""

    def __init__(self, message: str = "", code: int = -2, where: str = "",
                 errors: Sequence[Diagnostic] = ()):
        super().__init__(message, code, where)
        self.errors = [e if isinstance(e, Diagnostic) else Diagnostic(*e) for e in errors]

    def __reduce__(self):
        return (type(self), (self.message, self.code, self.where, self.errors), self.__dict__)

    def __str__(self) -> str:
        if len(self.errors) <= 1:
            return self.message
        return self.message + "".join("\n  " + str(e) for e in self.errors)


class NotFoundError(Error):
    """Something named does not exist (APPC_ENOTFOUND)."""


class VerificationError(Error):
    """A hash or signature did not verify (APPC_EVERIFY)."""


class NetworkError(Error):
    """A network operation failed (APPC_ENETWORK)."""


class CancelledError(Error):
    """A callback asked to stop (APPC_ECANCELLED)."""


class LimitError(Error):
    """A configured bound (size, depth, count) was exceeded (APPC_ELIMIT)."""


# Shown (and pickled) as appc.X, where users find them.
for _cls in (Diagnostic, Error, ValidationError, NotFoundError, VerificationError, NetworkError,
             CancelledError, LimitError):
    _cls.__module__ = "appc"
del _cls
