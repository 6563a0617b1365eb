"""The one error type of the schedules package.

Every piece of user input this package refuses — a malformed `cron()`, `rate()` or `at()`
expression, an unknown `scheduleExpressionTimezone`, an `endDate` that is not after `startDate` —
raises `ScheduleExpressionError`. It subclasses `ValueError` so generic validation code catches it,
and it carries the position of the problem so that admission, status and the CLI can point at it.

Positions: `column` is the 0-based offset of the offending character in the expression exactly as
given (as jmespath reports it); `field_number` is the 1-based number of the cron field (1 =
minutes … 6 = year) and `field_name` its AWS name. The one-line message looks like

    cron(0 10 * * * *): day-of-month and day-of-week cannot both be specified; use ? in one of
    them (field 5, column 14)

and `display()` adds the expression with a caret under the bad character, for terminals.
"""

from __future__ import annotations

#: AWS's names of the six cron fields, in order (field number = index + 1).
CRON_FIELD_NAMES: tuple[str, ...] = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")


class ScheduleExpressionError(ValueError):
    """A schedule the operator refuses, with the position of the problem when there is one."""

    def __init__(
        self,
        text: str,
        reason: str,
        *,
        column: int | None = None,
        field_number: int | None = None,
    ) -> None:
        self.text = text
        self.reason = reason
        self.column = column
        self.field_number = field_number
        self.field_name = CRON_FIELD_NAMES[field_number - 1] if field_number is not None else None
        super().__init__(self._one_line())

    def _one_line(self) -> str:
        where: list[str] = []
        if self.field_number is not None:
            where.append(f"field {self.field_number}")
        if self.column is not None:
            where.append(f"column {self.column}")
        suffix = f" ({', '.join(where)})" if where else ""
        return f"{self.text or repr(self.text)}: {self.reason}{suffix}"

    def display(self) -> str:
        """The message, then the input with a caret under the bad character (when known)."""
        if self.column is None:
            return str(self)
        return f"{self}\n  {self.text}\n  {' ' * self.column}^"
