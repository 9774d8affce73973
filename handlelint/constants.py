"""Named constants that are cheap to read, for the kinds the analysis tests per node.

Not ``enum.Enum``: on Python 3.9 to 3.11 reading an enum member (``Kind.MEMBER``) goes
through the enum metaclass's ``__getattr__`` hook, a Python-level call of about 150 ns
against 15 for a plain class attribute, and the graph builder, the solver and the
transfer function read such kinds for every node, edge and call. A subclass declares its
members as ``ClassVar`` annotations and makes them with :meth:`Constant.define`; they
compare by identity, print as ``Kind.MEMBER`` and survive pickling as the same objects.
"""

from __future__ import annotations


class Constant:
    """A named constant of its subclass, compared by identity, with a ``value``."""

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self.value = value

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __reduce__(self) -> tuple[object, tuple[object, str]]:
        return getattr, (type(self), self.name)  # the same object again

    @classmethod
    def define(cls, *members: tuple[str, str]) -> None:
        """Make the class's constants: (name, value) pairs."""
        for name, value in members:
            setattr(cls, name, cls(name, value))
