"""The ECS cluster query language (CQL): parse once, evaluate per container instance.

    from ecs_operator.query import parse
    expr = parse("attribute:ecs.instance-type =~ t2.* and not(task:group == database)")
    expr.evaluate(instance)   # instance implements Subjects

A pure package: it imports neither kopf, kubernetes nor prometheus_client. The grammar and the
precedence table are in :mod:`.parser`, the lexical rules (quoting, reserved words) in
:mod:`.lexer`. Decisions where ECS documents nothing (ecs-semantics 2.2 marks the grammar [I]):

- **Missing subjects.** A condition on something the instance lacks (an absent attribute, no
  agent version, no registration time) is false for ``==``, ``>``, ``>=``, ``<``, ``<=``, ``in``
  and ``=~``; the negative operators ``!=``, ``!in``, ``!~`` and ``!exists`` are the exact
  negations of their positive forms, hence true. ``exists``/``!exists`` test presence; an
  attribute with no value is present, with the value ``""``.
- **Regular expressions** (``=~``, ``!~``) use Java syntax and match the **whole** value, as Java's
  ``String.matches`` does (``t2.*`` matches ``t2.small``, not ``xt2.small``). Constructs are
  translated to Python's ``re`` only where the meaning is identical; others are syntax errors
  naming the column (:mod:`.regex`).
- **Ordered comparison** of attributes and task groups is numeric when both sides are decimal
  numbers, otherwise by string (code point order); agentVersion compares as a semantic version;
  registeredAt as a UTC instant, or as a UTC day for a date-only value (:mod:`.values`).
- **task:group** holds when *any* task on the instance satisfies the condition; negatives when none
  does (:mod:`.evaluate`).
- **Strictness.** Operators a subject does not allow, values a subject can never have
  (``runningTasksCount == many``, ``agentConnected == yes``), unsupported regular expressions,
  expressions over :data:`MAX_EXPRESSION_LENGTH` characters and nesting deeper than 50 are
  refused at parse time with :class:`QuerySyntaxError`, the only exception ``parse`` raises.
"""

from .errors import QuerySyntaxError
from .expression import Expression
from .parser import MAX_EXPRESSION_LENGTH, parse
from .subjects import StaticSubjects, Subjects

__all__ = ["MAX_EXPRESSION_LENGTH", "Expression", "QuerySyntaxError", "StaticSubjects", "Subjects", "parse"]
