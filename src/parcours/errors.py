"""One error hierarchy. The web layer maps each class to a status code in one place."""

from __future__ import annotations

from dataclasses import dataclass


class ParcoursError(Exception):
    """Base of every error the product raises on purpose."""

    status_code = 500


class ConfigError(ParcoursError):
    status_code = 500


class NotFound(ParcoursError):
    """Also raised for objects outside the caller's scope, so that their existence does not leak."""

    status_code = 404


class Forbidden(ParcoursError):
    status_code = 403


class NotAuthenticated(ParcoursError):
    status_code = 401


class Conflict(ParcoursError):
    """A state transition or a booking that lost a race."""

    status_code = 409


@dataclass(frozen=True)
class Issue:
    """One validation problem, located as precisely as the input allows."""

    file: str
    line: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.column:
            where += f" [{self.column}]"
        # A problem with no place (a bad option, not a file's) is its reason alone.
        return f"{where}: {self.reason}" if where else self.reason


class InvalidInput(ParcoursError):
    """Input that cannot be used; carries every issue found (collect-all mode)."""

    status_code = 422

    def __init__(self, issues: list[Issue] | str) -> None:
        self.issues: list[Issue] = (
            [Issue(file="", line=None, column=None, reason=issues)]
            if isinstance(issues, str)
            else issues
        )
        super().__init__("\n".join(str(i) for i in self.issues))
