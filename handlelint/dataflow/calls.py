"""What a call does to handles: acquire, release, use, lend, or let escape.

:class:`CallEffects` is the part of the transfer function that interprets one call,
classified by the resolver (SPEC section 2):

* an acquire creates its site in state maybe-null. An out-parameter acquire
  (``status = ClusterRegOpenKey(..., byref(hkey))``) binds the site to ``hkey`` and
  links it to the status variable: the handle is owned where the status means success
  (0, or nonzero for a BOOL function such as ``OpenProcessToken``). One with several
  out-parameters (``CreatePipe``) or handle members (``CreateProcessW``'s
  ``PROCESS_INFORMATION``: ``pi.hProcess`` and ``pi.hThread``) makes one site per
  handle, bound to the variable or ``variable.member``, decided together by the status;
  a paired call with no handle (``OpenClipboard``) makes a site held by the name of its
  partner (``<CloseClipboard>``), which the partner releases;
  ``CreateClusterNotifyPort(port, ...)`` given an existing port returns that port;
* a release marks its argument released: with the release function of another
  handle type it is HDL003, on a handle that may already be released HDL004;
* any clusapi function given a handle that may be released, or a child handle whose
  cluster handle may be closed, is a use after release (HDL005);
* an unknown call lets its handle arguments escape and may raise.

Leaks and findings at calls (HDL003-HDL005) are recorded per node visit (see
:class:`Record`): when the solver stops, each node's last visit saw its final input
state, so the records of last visits are the results and no second pass is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Optional

import libcst as cst

from handlelint.dataflow.lattice import (
    ESCAPED, H, MAYBE_NULL, OPEN, RELEASED, Env, Origin, join, leak_origin,
)
from handlelint.findings import Finding
from handlelint.positions import Positions
from handlelint.resolve import CallInfo, CallKind, Resolver
from handlelint.syntax import dotted, final_name
from handlelint.rules import AcquireRule


@dataclass(frozen=True)
class Site:
    """An acquiring call of the scope (or, in a summary, a parameter).

    The call's exact position is looked up when it is first asked for (a finding, an
    explanation): most sites are never reported, and positions of calls cost a parse
    of the file with Python's ``ast`` (see :mod:`handlelint.positions`).
    """

    index: int
    call: cst.Call | None
    rule: AcquireRule
    #: The line of the statement the call is in (0 for a parameter's pseudo-site).
    statement_line: int
    #: The function the message names: the table's function or the file's wrapper.
    source: str = ""
    positions: Positions | None = field(default=None, compare=False, repr=False)

    @property
    def where(self) -> tuple[int, int]:
        """(line, column) of the call, or the statement's line."""
        if self.call is not None and self.positions is not None:
            found = self.positions.get(self.call)
            if found is not None:
                return found
        return self.statement_line, 0

    @property
    def line(self) -> int:
        return self.where[0]

    @property
    def col(self) -> int:
        return self.where[1]


@dataclass(frozen=True)
class LeakEvent:
    """A site lost while it may be open: ``kind`` says how, ``line`` where."""

    site: int
    kind: str  # return | end | raise | rebind | reacquire | del | discard
    line: int
    origin: Optional[Origin]
    #: The CFG node where the handle was lost (for ``--explain``).
    node: int = -1


EMPTY: frozenset[int] = frozenset()
#: How plausible a raise point is, as the rank of its :class:`Origin` (0 is an explicit
#: ``raise``; lower ranks win where paths meet, so HDL002 names the most plausible one).
RAISES_LIKELY = 1    # a call of project or third-party code, a sleep, I/O
RAISES_SOMETIMES = 2  # await, yield, assert
RAISES_RARELY = 3    # clocks, container and string methods, pure builtins
NOTIFY_PORTS = frozenset({"CreateClusterNotifyPort", "CreateClusterNotifyPortV2"})
_INVALID_HANDLE = frozenset({"INVALID_HANDLE_VALUE"})
_POINTER_HELPERS = frozenset({"byref", "pointer", "addressof"})


@dataclass
class Record:
    """What one visit of a node found (replaced at each visit of the node)."""

    events: list[LeakEvent] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    returns: list[AcquireRule] = field(default_factory=list)


class Work:
    """The mutable state of one node's evaluation."""

    def __init__(self, env: Env) -> None:
        self.env = env.copy()
        self.exc: Env | None = None
        self.fresh: set[int] = set()
        #: Shadow sites made by this node (see ``CallEffects._shadow``).
        self.shadowed: set[int] = set()
        self.dead = False
        #: id(call) -> site of an out-parameter acquire made by that call.
        self.status_of: dict[int, int] = {}
        #: A call that always raises (an exception of a normal path: HDL001).
        self.raising: Optional[Origin] = None


class CallEffects:
    """The call-interpreting half of the transfer function."""

    resolver: Resolver
    pos: Positions
    sites: list[Site]
    site_names: dict[int, str]
    records: dict[int, Record]
    recording: bool
    borrow_unknown: bool
    #: ``self.x = h`` keeps ``h`` under the name ``self.x`` (constructors, summaries).
    owner_stores: bool = False
    #: Attributes no method of the class releases: stored there, a handle escapes (HDL006).
    unowned_attrs: frozenset[str] = frozenset()
    #: Constructors: method name -> the ``self`` attributes that method of the class
    #: releases (``except BaseException: self.close(); raise``).
    self_releases: dict[str, frozenset[str]] = {}
    _site_of: dict[int, int]
    _parents: dict[int, set[int]]
    _parent_names: dict[int, set[str]]
    _node: int
    #: Site -> the CFG nodes whose element acquires it.
    acquired_at: dict[int, set[int]]
    #: Site -> its shadow (the previous handle of the same call), and back.
    shadows: dict[int, int]
    shadow_of: dict[int, int]
    #: (id(call), slot) -> the site of a call's second, third... handle.
    _slots: dict[tuple[int, int], int]
    #: Site -> every site its call acquires with it (status decides them together).
    together: dict[int, tuple[int, ...]]
    #: Names whose members hold handles (``pi`` of ``pi.hProcess``).
    structs: set[str]
    _line: int

    def eval(self, expr: cst.CSTNode, work: Work) -> frozenset[int]:
        raise NotImplementedError

    def _bind_name(self, name: str, value: frozenset[int], work: Work) -> None:
        raise NotImplementedError

    def _escape(self, sites: frozenset[int], work: Work) -> None:
        for site in sites:
            if site in work.env.sites:
                work.env.sites[site] = {ESCAPED: None}

    def _call(self, call: cst.Call, work: Work) -> frozenset[int]:
        info = self.resolver.classify(call)
        kind = info.kind
        if info.always_raises:
            for arg in call.args:
                self.eval(arg.value, work)
            work.raising = Origin(0, self._line, info.always_raises)
            return EMPTY
        if self.self_releases and type(call.func) is cst.Attribute:
            self._release_by_method(call.func, work)
        if kind is CallKind.UNKNOWN and type(call.func) is cst.Attribute:
            handled = self._object_method(call, info, work)
            if handled is not None:
                return handled
        if kind is CallKind.UNKNOWN:
            receiver = call.func.value if type(call.func) is cst.Attribute else call.func
            self._escape(self.eval(receiver, work), work)
            position = 0
            for arg in call.args:
                value = self.eval(arg.value, work)
                lent = arg.keyword is None and position in info.borrowed
                position += arg.keyword is None
                if not (self.borrow_unknown or lent):
                    self._escape(value, work)
            if info.raises and info.name not in QUIET_CALLS:
                self._may_raise(work, f"{info.name}()", raise_rank(call, info))
            if info.stores and self.owner_stores:
                for attr, rule in info.stores:  # left on ``self`` by the called method
                    if attr in self.unowned_attrs:
                        continue
                    made = CallInfo(CallKind.ACQUIRE, info.name, acquire=rule)
                    self._bind_name(f"self.{attr}", frozenset({self._acquire(call, made, work)}),
                                    work)
            return EMPTY
        values = [self.eval(arg.value, work) for arg in call.args]
        if info.errcheck:  # the errcheck hook runs after the call: no handle yet
            self._may_raise(work, f"{info.name}()")
        positional = [v for v, a in zip(values, call.args) if a.keyword is None]
        shift = info.shift if info.through else 0
        if kind in (CallKind.API, CallKind.ACQUIRE, CallKind.RELEASE) and not info.through:
            skip = info.release.arg_index if kind is CallKind.RELEASE and info.release else -1
            self._check_uses(call, info, positional, skip, work)
        if ((info.through or info.summary) and kind is CallKind.ACQUIRE and not info.takes
                and info.raises):
            self._may_raise(work, f"{dotted(call.func) or 'call'}()")
        if info.takes and not any(positional[i] for i in info.takes if i < len(positional)):
            return EMPTY  # an owning class given no tracked handle: nothing to own here
        for index in info.takes:
            if index < len(positional):
                self._escape(positional[index], work)  # an owning object takes it over
        if kind is CallKind.ACQUIRE and info.acquire is not None:
            return self._acquire_call(call, info, positional, shift, work)
        if kind is CallKind.RELEASE and info.release is not None and info.release.keyed:
            # ``GlobalUnlock(hmem)``: ends the state ``GlobalLock(hmem)`` opened.
            index = info.release.arg_index + shift
            key = _key(call_args(call)[index]) if index < len(positional) else None
            if key is not None:
                name = paired_name(f"{info.name} {key}")
                self._release(call, info, work.env.names.get(name, EMPTY), work)
            return EMPTY
        if kind is CallKind.RELEASE and info.release is not None and info.release.takes_no_handle:
            # ``CloseClipboard()``: ends the state its paired call opened.
            self._release(call, info, work.env.names.get(paired_name(info.name), EMPTY), work)
            return EMPTY
        if kind is CallKind.RELEASE and info.release is not None and info.release.arg_index < 0:
            if type(call.func) is cst.Attribute:  # a method that closes its object
                self._release(call, info, self.eval(call.func.value, work), work)
            return EMPTY
        if kind is CallKind.RELEASE:
            index = (info.release.arg_index if info.release is not None else 0) + shift
            if index < len(positional):
                self._release(call, info, positional[index], work)
                target = [a.value for a in call.args if a.keyword is None][index]
                if (not positional[index] and type(target) is cst.Name
                        and info.release is not None and "HCLUSTER" in info.release.handle_types):
                    work.env.closed = work.env.closed | {target.value}
            return EMPTY
        if kind is CallKind.DEFER:
            # ``closer = partial(CloseCluster, hc)`` holds ``hc`` until it is called or
            # registered (both end the tracking): nothing is released yet.
            out = EMPTY
            for value in positional[1:]:
                out |= value
            return out
        if kind is CallKind.REGISTER:
            for value in values:
                self._escape(value, work)  # released later: no longer this path's duty
            return EMPTY
        if kind is CallKind.WRAP:
            return values[0] if values else EMPTY
        if kind is CallKind.SINK:
            work.dead = True
        return EMPTY

    def _acquire_call(self, call: cst.Call, info: CallInfo, positional: list[frozenset[int]],
                      shift: int, work: Work) -> frozenset[int]:
        rule = info.acquire
        assert rule is not None
        args = [a.value for a in call.args if a.keyword is None]
        if rule.consumes_arg_index is not None and rule.consumes_arg_index + shift < len(args):
            # ``CertEnumCertificatesInStore(store, prev)`` frees ``prev``, always.
            for site in positional[rule.consumes_arg_index + shift]:
                if site in work.env.sites:
                    work.env.sites[site] = {RELEASED: None}
        also = rule.also_releases_if_flag
        if (also is not None and also.releases_arg_index is not None
                and also.arg_index + shift < len(args)
                and flag_set(args[also.arg_index + shift], also.flag, also.name)
                and also.releases_arg_index + shift < len(positional)):
            # ``DuplicateHandle(..., DUPLICATE_CLOSE_SOURCE)`` closes its source, always.
            released = replace(info, release=None)
            self._release(call, released, positional[also.releases_arg_index + shift], work)
        if not _acquires_with_flags(rule, args[shift:], self.resolver.member_values):
            return EMPTY
        if also is not None and not self._current_process(args[shift:]):
            return EMPTY  # the duplicate belongs to another process
        index = rule.new_handle_only_if_null_arg_index
        if index is not None and index + shift < len(args) and not _null(args[index + shift]):
            return positional[index + shift]  # an existing port: the same port comes back
        if rule.returns_via == "paired":
            partner = rule.release[0].rpartition(".")[2]  # ``win32clipboard.CloseClipboard``
            state = paired_name(partner)
            if rule.pair_key_arg_index is not None:  # the state of one argument
                index = rule.pair_key_arg_index + shift
                key = _key(args[index]) if index < len(args) else None
                if key is None:
                    return EMPTY
                state = paired_name(f"{partner} {key}")
            site = self._acquire(call, info, work)
            work.env.names[state] = frozenset({site})
            work.status_of[id(call)] = site
            return EMPTY
        if rule.returns_via == "out_param":
            if rule.out_param_indexes or rule.out_fields:
                return self._acquire_slots(call, info, args, shift, work)
            index = (rule.out_param_index or 0) + shift
            name = _out_name(args[index]) if index < len(args) else None
            if info.name in self.resolver.table.releases and shift < len(positional):
                self._release(call, info, positional[shift], work)
            if name is None:
                return EMPTY
            site = self._acquire(call, info, work)
            self._inherit_parents(site, rule, positional[shift:shift + 1], args[shift:shift + 1])
            self._bind_name(name, frozenset({site}), work)
            if not rule.release_even_on_failure:
                work.status_of[id(call)] = site
            return EMPTY
        if info.name in NOTIFY_PORTS and shift < len(args) and not invalid_handle(args[shift]):
            return positional[shift]  # an existing port: the same port comes back
        # (a Win32 rule says the same with ``new_handle_only_if_null_arg_index``)
        site = self._acquire(call, info, work)
        self._inherit_parents(site, rule, positional[shift:shift + 2], args[shift:shift + 2])
        return frozenset({site})

    def _current_process(self, args: list[cst.BaseExpression]) -> bool:
        """Is ``DuplicateHandle``'s target process (argument 2) this process?"""
        if len(args) < 3:
            return False
        target = args[2]
        if type(target) is cst.Call:
            return final_name(target.func) == "GetCurrentProcess"
        return bool(dotted(target)) and dotted(target) in self.resolver.current_process

    def _acquire_slots(self, call: cst.Call, info: CallInfo, args: list[cst.BaseExpression],
                       shift: int, work: Work) -> frozenset[int]:
        """An out-parameter acquire of several handles: one site per out-parameter
        (``out_param_indexes``) or per handle member of the structure (``out_fields``)."""
        rule = info.acquire
        assert rule is not None
        names: list[str] = []
        for i in rule.out_param_indexes or (rule.out_param_index or 0,):
            name = _out_name(args[i + shift]) if i + shift < len(args) else None
            if name is None:
                continue
            if rule.out_fields and i == (rule.out_param_index or 0):  # the structure
                self.structs.add(name)
                names += [f"{name}.{field}" for field in rule.out_fields]
            else:
                names.append(name)
        sites = [self._acquire(call, info, work, slot) for slot in range(len(names))]
        for name, site in zip(names, sites):
            self._bind_name(name, frozenset({site}), work)
        for site in sites:
            self.together[site] = tuple(sites)
        if sites and not rule.release_even_on_failure:
            work.status_of[id(call)] = sites[0]
        return EMPTY

    def _inherit_parents(self, site: int, rule: AcquireRule,
                         values: list[frozenset[int]], args: list[cst.BaseExpression]) -> None:
        """The cluster handles ``site`` depends on: closing one invalidates it.

        A handle opened from a cluster handle depends on it; one opened from such a
        child (an enumerator of a group, a key of a resource, a subkey of that key)
        depends on the same cluster handles, at any depth. Handles from
        ``GetClusterFrom*`` are new cluster handles, never children.
        """
        if not rule.parent_arg or rule.name.startswith("GetClusterFrom"):
            return
        for value, expr in zip(values, args):
            for parent in value:
                if self.sites[parent].rule.handle_type == "HCLUSTER":
                    if rule.parent_arg == "hCluster":
                        self._parents.setdefault(site, set()).add(parent)
                    continue
                inherited = self._parents.get(parent)
                if inherited:
                    self._parents.setdefault(site, set()).update(inherited)
                names = self._parent_names.get(parent)
                if names:
                    self._parent_names.setdefault(site, set()).update(names)
            if not value and type(expr) is cst.Name and rule.parent_arg == "hCluster":
                self._parent_names.setdefault(site, set()).add(expr.value)

    def _acquire(self, call: cst.Call, info: CallInfo, work: Work, slot: int = 0) -> int:
        site = self._site_of.get(id(call)) if not slot else self._slots.get((id(call), slot))
        if site is None:
            assert info.acquire is not None
            site = len(self.sites)
            self.sites.append(Site(site, call, info.acquire, self._line, info.name, self.pos))
            if slot:
                self._slots[(id(call), slot)] = site
            else:
                self._site_of[id(call)] = site
        rule = self.sites[site].rule
        old = work.env.sites.get(site)
        if old is not None:
            leaky, origin = leak_origin(old)
            holders = [n for n, v in work.env.names.items() if site in v] if leaky else []
            if holders:
                self._shadow(site, holders, old, work)
            elif leaky:
                self._record_leak(LeakEvent(site, "reacquire", self._line, origin, self._node))
        work.env.sites[site] = {first_state(rule): None}
        work.fresh.add(site)
        self.acquired_at.setdefault(site, set()).add(self._node)
        return site

    def _object_method(self, call: cst.Call, info: CallInfo, work: Work
                       ) -> frozenset[int] | None:
        """``h.m(...)`` on a handle object: what it does, or None for an unknown call
        (see :mod:`~handlelint.dataflow.objects`)."""
        return None

    def _shadow(self, site: int, holders: list[str], old: dict[H, Optional[Origin]],
                work: Work) -> None:
        """The call acquires again while names still hold its previous handle.

        ``prev, cur = cur, Open(...)`` evaluates the call before ``cur`` is rebound: the
        previous handle moves to a *shadow* site of the same call (one per call), held
        by the same names, so the new handle and the old one are tracked apart. A shadow
        lost in the node that made it is reported as an acquire-again leak, at the call.
        """
        shadow = self.shadows.get(site)
        if shadow is None:
            shadow = len(self.sites)
            self.sites.append(replace(self.sites[site], index=shadow))
            self.shadows[site] = shadow
            self.shadow_of[shadow] = site
            if site in self._parents:
                self._parents[shadow] = set(self._parents[site])
            if site in self._parent_names:
                self._parent_names[shadow] = set(self._parent_names[site])
        prior = work.env.sites.get(shadow)
        if prior is not None:
            leaky, origin = leak_origin(prior)
            if leaky:
                self._record_leak(LeakEvent(shadow, "reacquire", self._line, origin, self._node))
            for name in [n for n, v in work.env.names.items() if shadow in v]:
                rest = work.env.names[name] - {shadow}
                if rest:
                    work.env.names[name] = rest
                else:
                    del work.env.names[name]
        work.env.sites[shadow] = dict(old)
        for name in holders:
            work.env.names[name] = (work.env.names[name] - {site}) | {shadow}
        if work.env.derived:
            work.env.derived = frozenset(d for d in work.env.derived if d[1] != site)
        work.shadowed.add(shadow)

    def _release_by_method(self, func: cst.Attribute, work: Work) -> None:
        """``self.close()`` in a constructor: the attributes ``close`` releases are
        released here (one site each; several possible sites escape)."""
        if type(func.value) is not cst.Name or func.value.value != "self":
            return
        for attr in sorted(self.self_releases.get(func.attr.value, ())):
            held = work.env.names.get(f"self.{attr}", frozenset())
            if len(held) > 1:
                self._escape(held, work)
                continue
            for site in held:
                if site in work.env.sites:
                    work.env.sites[site] = {RELEASED: None}

    def _release(self, call: cst.Call, info: CallInfo, target: frozenset[int],
                 work: Work) -> None:
        """Release the one site ``target`` holds; several possible sites all escape.

        Only a definite release (one site) can be wrong, double or make a later use
        a use after release; an ambiguous one ends tracking without a finding.
        """
        if len(target) > 1:
            self._escape(target, work)
            return
        for site in target:
            val = work.env.sites.get(site)
            if val is None:
                continue
            rule = self.sites[site].rule
            types = info.release.handle_types if info.release is not None else ()
            if types and rule.handle_type not in types:
                right = " or ".join(f"{r}()" for r in rule.release)
                self._call_finding(call, "HDL003", site,
                                   f"is released with {info.name}() instead of {right}")
            elif RELEASED in val:
                self._call_finding(call, "HDL004", site,
                                   f"is released again by {info.name}() after an earlier release")
            work.env.sites[site] = {RELEASED: None}

    def _check_uses(self, call: cst.Call, info: CallInfo, positional: list[frozenset[int]],
                    skip: int, work: Work) -> None:
        sites = work.env.sites
        for i, value in enumerate(positional):
            for site in value:
                val = sites.get(site)
                if val is None:
                    continue
                if i != skip and RELEASED in val:
                    self._call_finding(call, "HDL005", site,
                                       f"is used by {info.name}() after it was released")
                    continue
                closed = self._parent_names.get(site, set()) & work.env.closed
                if closed:
                    self._call_finding(call, "HDL005", site,
                                       f"is used by {info.name}() after its cluster handle "
                                       f"'{min(closed)}' was closed")
                    continue
                for parent in self._parents.get(site, ()):
                    parent_val = sites.get(parent)
                    if parent_val is not None and RELEASED in parent_val:
                        who = self.site_names.get(parent)
                        cluster = f"cluster handle '{who}'" if who else "cluster handle"
                        self._call_finding(call, "HDL005", site,
                                           f"is used by {info.name}() after its {cluster} "
                                           f"was closed")
                        break

    def begin(self, node: int) -> None:
        """A new visit of ``node``: forget what its earlier visits recorded."""
        self.records.pop(node, None)

    def _record(self) -> Record:
        """What this visit of the current node records (made at its first entry: most
        visits record nothing)."""
        found = self.records.get(self._node)
        if found is None:
            found = self.records[self._node] = Record()
        return found

    def _record_leak(self, event: LeakEvent) -> None:
        if self.recording:
            original = self.shadow_of.get(event.site)
            if original is not None:  # a shadow is reported as its call's site
                event = replace(event, site=original)
            self._record().events.append(event)

    @property
    def events(self) -> list[LeakEvent]:
        """The leaks of the last visit of every node, in node order."""
        return [e for n in sorted(self.records) for e in self.records[n].events]

    @property
    def call_findings(self) -> list[Finding]:
        """HDL003-HDL005 of the last visit of every node, in node order."""
        return [f for n in sorted(self.records) for f in self.records[n].findings]

    def _call_finding(self, call: cst.Call, code: str, site: int, text: str) -> None:
        if not self.recording:
            return
        rule = self.sites[site].rule
        name = self.site_names.get(site)
        var = f" '{name}'" if name else ""
        line, col = self.pos.get(call) or (self._line, 0)
        message = f"{rule.words}{var} from {self.sites[site].source}() {text}"
        self._record().findings.append(Finding(line, col, code, message))

    def pseudo_site(self, index: int, rule: AcquireRule) -> int:
        """A site standing for parameter ``index`` while a function is summarised."""
        assert len(self.sites) == index
        self.sites.append(Site(index, None, rule, 0, rule.name))
        return index

    def _may_raise(self, work: Work, what: str, rank: int = RAISES_LIKELY,
                   without: frozenset[int] | set[int] = EMPTY) -> None:
        here = work.env.with_origin(Origin(rank, self._line, what))
        for site in without:
            here.sites.pop(site, None)
        work.exc = here if work.exc is None else join(work.exc, here)


#: Calls that practically never raise: named by HDL002 only when nothing likelier is on
#: the path (``time.monotonic()`` before ``notify_operator()`` is not the culprit).
_RARELY_RAISING = frozenset({
    "time.monotonic", "time.time", "time.perf_counter", "time.process_time",
    "time.monotonic_ns", "time.time_ns", "time.perf_counter_ns", "datetime.now",
    "datetime.utcnow", "datetime.datetime.now", "datetime.datetime.utcnow", "monotonic",
    "perf_counter", "os.getpid", "threading.get_ident", "threading.current_thread",
    "uuid.uuid4", "uuid4", "logging.getLogger", "getLogger",
    "min", "max", "sorted", "list", "dict", "set", "tuple", "frozenset", "range",
    "enumerate", "zip", "reversed", "abs", "round", "float", "any", "all", "sum", "iter",
    "hasattr", "type", "callable", "divmod", "ord", "chr",
})
_RARELY_RAISING_METHODS = frozenset({
    "append", "extend", "add", "items", "keys", "values", "copy", "setdefault", "get",
    "join", "strip", "lstrip", "rstrip", "lower", "upper", "startswith", "endswith",
    "split", "rsplit", "replace", "splitlines", "isoformat", "monotonic", "perf_counter",
})


#: Clock reads: they cannot raise at all.
QUIET_CALLS = frozenset({
    "time.monotonic", "time.time", "time.perf_counter", "time.process_time",
    "time.monotonic_ns", "time.time_ns", "time.perf_counter_ns", "time.thread_time",
})


def raise_rank(call: cst.Call, info: CallInfo) -> int:
    """The plausibility rank of ``call`` raising (see :data:`RAISES_LIKELY`)."""
    if info.summary or info.through:
        return RAISES_LIKELY
    if dotted(call.func) in _RARELY_RAISING:
        return RAISES_RARELY
    if type(call.func) is cst.Attribute and call.func.attr.value in _RARELY_RAISING_METHODS:
        return RAISES_RARELY
    return RAISES_LIKELY


def _acquires_with_flags(rule: AcquireRule, args: list[cst.BaseExpression],
                         members: dict[str, list[cst.BaseExpression]]) -> bool:
    """Does this call hand out a handle, given its flag arguments? With
    ``acquire_if_flag`` only when the flag is set, with ``no_release_if_flag`` only when
    it is clear; a flag argument that cannot be read (a variable) acquires nothing. A flag
    in a member of a structure argument (``sei.fMask``) is read from the values the file
    gives that member of that variable: set by any of them counts."""
    for condition, wanted in ((rule.acquire_if_flag, True), (rule.no_release_if_flag, False)):
        if condition is None:
            continue
        if condition.arg_index >= len(args):
            return False
        arg = args[condition.arg_index]
        if condition.field is not None:
            name = _out_name(arg)
            values = members.get(f"{name}.{condition.field}", []) if name else []
            found = any(flag_set(v, condition.flag, condition.name) for v in values)
            if found is not wanted:
                return False
        elif flag_set(arg, condition.flag, condition.name) is not wanted:
            return False
    return True


def flag_set(expr: cst.BaseExpression, flag: int, name: str) -> bool | None:
    """Is the bit ``flag`` (constant ``name``) set in ``expr``: True, False, or None
    when a part of it is not a constant (``LR_SHARED | LR_DEFAULTSIZE``: True;
    ``0``, ``None``, ``LR_LOADFROMFILE``: False; ``flags``: None)."""
    if type(expr) is cst.BinaryOperation and (type(expr.operator) is cst.BitOr
                                              or type(expr.operator) is cst.Add):
        left, right = flag_set(expr.left, flag, name), flag_set(expr.right, flag, name)
        if left or right:
            return True
        return None if left is None or right is None else False
    if type(expr) is cst.Integer:
        try:
            return bool(int(expr.value.replace("_", ""), 0) & flag)
        except ValueError:
            return None
    if type(expr) is cst.Name and expr.value in ("None", "False"):
        return False
    last = final_name(expr)
    if last == name:
        return True
    if last.isupper() and "_" in last:  # another named constant
        return False
    return None


def _null(expr: cst.BaseExpression) -> bool:
    """``None``, ``0``, ``NULL``: no argument."""
    return (type(expr) is cst.Name and expr.value in ("None", "NULL")
            or type(expr) is cst.Integer and expr.value == "0")


def call_args(call: cst.Call) -> list[cst.BaseExpression]:
    """The positional arguments of ``call``."""
    return [a.value for a in call.args if a.keyword is None]


def _key(expr: cst.BaseExpression) -> str | None:
    """The key a paired call is opened for: ``hmem``, ``self.hwnd``, ``byref(ps)``."""
    if type(expr) is cst.Call and final_name(expr.func) in _POINTER_HELPERS and expr.args:
        expr = expr.args[0].value
    return dotted(expr) or None


def paired_name(release: str) -> str:
    """The name that holds the state of a paired call ended by ``release`` (never a
    Python name, so no code can read or rebind it)."""
    return f"<{release}>"


def _out_name(expr: cst.BaseExpression) -> str | None:
    """The variable an out-parameter writes: ``x`` in ``byref(x)``, ``pointer(x)``, ``x``."""
    if type(expr) is cst.Call and final_name(expr.func) in _POINTER_HELPERS and expr.args:
        expr = expr.args[0].value
    return expr.value if type(expr) is cst.Name else None


def first_state(rule: AcquireRule) -> H:
    """The state of a fresh handle: maybe-null, or open when the call raises instead of
    failing; an object that closes itself when collected is no duty of the scope
    (escaped), though its explicit closes still count (HDL004, HDL005)."""
    if rule.self_closing:
        return ESCAPED
    return OPEN if rule.raises else MAYBE_NULL


def invalid_handle(expr: cst.BaseExpression) -> bool:
    """Is ``expr`` INVALID_HANDLE_VALUE (``-1``, ``c_void_p(-1)``, the constant)?"""
    if type(expr) is cst.Call and len(expr.args) == 1:
        return invalid_handle(expr.args[0].value)
    if type(expr) is cst.UnaryOperation and type(expr.operator) is cst.Minus:
        return type(expr.expression) is cst.Integer and expr.expression.value == "1"
    return final_name(expr) in _INVALID_HANDLE
