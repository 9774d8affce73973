"""The project layer's records: what a function or class does with handles, by stable name.

A summary never holds syntax: it is a small frozen record keyed by a stable name,
``pkg.mod:func``, ``pkg.mod:Class.method`` or ``pkg.mod:Class`` (the constructor), so
that it can be shared between modules and written to the cache. The facts follow the
Resource Leak Checker's vocabulary, inferred instead of annotated:

* ``returns``: the function hands out a fresh handle of that rule (the caller owns it);
* ``releases`` / ``borrows``: what it does with parameter i (self is parameter 0);
* ``takes``: parameters an owning object takes over (the caller no longer owns them);
* ``context_manager``: its result is a context manager whose ``as`` target is lent;
* ``cached``: a cached opener (``functools.cache``) owns what it returns;
* ``owner``: calling it gives an object that owns handles, released by one of
  ``closers`` (a method name), by ``with`` (``exits``) or when dropped (``del``);
* ``closes_self``: calling this method releases what its object owns;
* ``raises``: every call raises (``TypeError``: the arguments do not fit the signature);
* ``stores``: fresh handles the method leaves on ``self`` (attribute, rule);
* ``cannot_raise``: no path of the function raises (see :mod:`.raising`): a call of it is
  no exception point;
* ``returns_class``: the project class (its stable name) the function is annotated to
  return: a name bound to its result has that receiver type.

:class:`SummaryLookup` is all the call resolver asks of the project: the summary a call
runs, if any. :class:`Foreign` is all summaries ask of other modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol

import libcst as cst

from handlelint.rules import AcquireRule

#: How the receiver fills the first parameter: plain functions and static methods have
#: none, methods and class methods one.
FUNCTION, METHOD, STATIC, CLASSMETHOD, CONSTRUCTOR = (
    "function", "method", "static", "classmethod", "constructor")


@dataclass(frozen=True)
class Summary:
    """What one project function (or constructor) does with handles."""

    returns: Optional[AcquireRule] = None
    releases: frozenset[int] = frozenset()
    borrows: frozenset[int] = frozenset()
    takes: frozenset[int] = frozenset()
    #: A generator: its body runs later (a context manager releases on leaving ``with``).
    deferred: bool = False
    context_manager: bool = False
    cached: bool = False
    closes_self: bool = False
    owner: bool = False
    exits: bool = False
    drops: bool = False
    #: The methods that release what an owning object holds (for messages).
    closers: tuple[str, ...] = ()
    raises: str = ""
    stores: tuple[tuple[str, AcquireRule], ...] = ()
    kind: str = FUNCTION
    #: How many positional arguments a call may pass (None: any number) and must pass.
    max_args: Optional[int] = None
    min_args: int = 0
    cannot_raise: bool = False
    returns_class: str = ""

    @property
    def known(self) -> bool:
        """Does the summary say anything a caller must act on about handles?"""
        return self != Summary(kind=self.kind, max_args=self.max_args, min_args=self.min_args,
                               cannot_raise=self.cannot_raise,
                               returns_class=self.returns_class)


@dataclass(frozen=True)
class ClassFacts:
    """A project class as other modules see it: its bases and typed attributes."""

    bases: tuple[str, ...] = ()
    #: ``self.x`` -> the key of the project class it holds.
    attr_types: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Resolved:
    """A call resolved to a project function: its stable name, summary and offset."""

    key: str
    summary: Summary
    #: Parameters the call's receiver fills (1 for ``obj.m()``, 0 for ``f()``).
    offset: int


class SummaryLookup(Protocol):
    """What the call resolver asks: which project function does ``call`` run?"""

    def of_call(self, call: cst.Call) -> Optional[Resolved]:
        """The resolved callee of ``call``, or None when it is not a project function."""


class Foreign(Protocol):
    """What a module's summaries ask of the rest of the project."""

    def module_of(self, importer: str, name: str, level: int) -> Optional[str]:
        """The module name ``from <level dots><name> import ...`` means in ``importer``."""

    def is_module(self, name: str) -> bool:
        """Is ``name`` a module of the project?"""

    def summary(self, key: str) -> Optional[Summary]:
        """The summary of ``pkg.mod:qualname``, computing that module on demand."""

    def class_facts(self, key: str) -> Optional[ClassFacts]:
        """The facts of the class ``pkg.mod:Class``."""

    def export(self, module: str, name: str) -> Optional[str]:
        """What ``name`` of ``module`` is bound to (a re-export), as a key or module."""

    def mentioned_elsewhere(self, name: str) -> bool:
        """Does some file of the project mention ``name`` other than where it is defined
        (so that something may call a function of that name)?"""


@dataclass(frozen=True)
class ModuleFacts:
    """Everything other modules need of one module: summaries, classes and imports."""

    name: str
    #: ``f`` / ``C.m`` / ``C`` (the constructor) -> summary; every function has one.
    functions: dict[str, Summary]
    classes: dict[str, ClassFacts]
    #: Names its imports bind (re-exports): ``pkg.mod`` or ``pkg.mod:member``.
    bindings: dict[str, str]
