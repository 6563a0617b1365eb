"""ECS scheduled tasks (EventBridge Scheduler): `cron()`, `rate()`, `at()` and when they fire.

Pure: no kopf, kubernetes or prometheus_client, and no clock — every function takes the instant it
reasons about, so the operator's handler and the tests get the same, exact answers.

    expressions.py   which expression it is; the rate() and at() grammars; the parse cache
    cron_parser.py   the AWS cron() grammar (EBNF in its docstring), errors with field and column
    cron.py          a parsed cron expression and its next wall-clock time
    days.py          the day rules: L, W, LW, nL, x#n, lists of days or weekdays
    schedule.py      Schedule: time zone and DST, startDate/endDate, next_after, occurrences_between
    firing.py        flexible-window offset, retry backoff, the per-occurrence idempotency key
    due.py           plan_due: which occurrences to launch or skip after a wait or an outage
    errors.py        ScheduleExpressionError, the one error type

Why not croniter. The project pins croniter 7.0.0 for this job, and the plan was to translate AWS
expressions to croniter's form (weekdays 1 = SUN → 0, `?` → `*`, `6L` → `L5`, `3#2` → `2#2`, `L`
→ `l`) and add what it lacks. Measured against AWS's semantics it would have had to be bypassed at
almost every point, so it is not used at run time; the tests use it, through exactly that
translation, as an independent oracle for the syntax both share (`test_croniter_oracle.py`):

- Parsing: croniter's errors carry no position, and it accepts what AWS refuses (5- and 7-field
  forms with seconds, `H` hashes, `@daily`, 0 and 7 for Sunday), so a parser of our own is needed
  regardless — and once it has expanded every field to explicit values, the "next match" search
  is a 25-line nested walk with `bisect` (`cron.py`).
- Year field: croniter's stops at 2099 (AWS: 2199) and only exists in its 7-field form with seconds.
- DOM/DOW: croniter ORs the two fields like Vixie cron; AWS has exactly one of them.
- `W`: croniter moves `31W` in a 30-day month to the 30th (the month's last day); we skip such
  months, as plain `31` does. `LW` (last weekday of the month) croniter does not support.
- DST, the decisive point: with an aware start time croniter runs a repeated fall-back hour twice
  (01:30 EDT and 01:30 EST) and moves a spring-forward 02:30 to 03:00; AWS skips the missing time
  and runs the repeated hour once. Both rules are implemented in `schedule.py` on wall-clock time.
- Cost and safety: constructing a croniter and asking for one time costs ~350 µs here; a cached
  instance (~40 µs a call) is mutable, so unsafe to share across Kopf's executor threads. Our
  `next_after` costs a few microseconds and everything it touches is immutable.
"""

from __future__ import annotations

from .cron import CronExpression
from .due import EXPIRED_LISTED, DuePlan, plan_due
from .errors import ScheduleExpressionError
from .expressions import AtExpression, Expression, RateExpression, parse_expression
from .firing import RETRY_BASE, RETRY_CAP, flexible_offset, occurrence_key, retry_delay, should_retry
from .schedule import Schedule, time_zone

__all__ = [
    "EXPIRED_LISTED",
    "RETRY_BASE",
    "RETRY_CAP",
    "AtExpression",
    "CronExpression",
    "DuePlan",
    "Expression",
    "RateExpression",
    "Schedule",
    "ScheduleExpressionError",
    "flexible_offset",
    "occurrence_key",
    "parse_expression",
    "plan_due",
    "retry_delay",
    "should_retry",
    "time_zone",
]
