"""Persistent maps for the handle states: copies share structure, writes copy a path.

A state of the data flow is copied at every node and stored for every node, so a
plain ``dict`` makes a function that keeps ``n`` handles open cost ``n`` per node:
``n`` squared in time and memory. A :class:`Table` is a dict-like handle on an
immutable map: :meth:`Table.copy` is O(1), a write replaces the path to its key.

Small maps (the common case) are one plain dict, copied on write. Past
:data:`FLAT_MAX` keys a table becomes a hash trie (as in Clojure's and CPython's own
``contextvars`` HAMT): nodes are dicts of at most 32 entries keyed by five bits of the
key's hash; an entry is a leaf tuple ``(key, value)`` or a child node. The trie is kept
canonical (a child node always holds at least two keys), so two equal maps have equal
node dicts and ``==`` compares them in C, skipping shared nodes by identity; a join
(:meth:`Table.merged`) likewise only walks where the two tables differ.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, Iterator, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")

#: Largest table kept as one flat dict.
FLAT_MAX = 32
_BITS = 5
_MASK = 31
_HASH = 0xFFFFFFFFFFFFFFFF
_DEEP = 64  # from this shift on, nodes are keyed by the key itself (full hash collisions)
_MISSING: Any = object()
_new = object.__new__


def _chunk(key: Any, h: int, shift: int) -> Any:
    return key if shift >= _DEEP else (h >> shift) & _MASK


def _find(node: dict[Any, Any], shift: int, h: int, key: Any) -> Any:
    while True:
        entry = node.get(key if shift >= _DEEP else (h >> shift) & _MASK)
        if entry is None:
            return _MISSING
        if type(entry) is tuple:
            return entry[1] if entry[0] == key else _MISSING
        node = entry
        shift += _BITS


def _pair(shift: int, a: tuple[Any, Any], b: tuple[Any, Any]) -> dict[Any, Any]:
    ha, hb = hash(a[0]) & _HASH, hash(b[0]) & _HASH
    ca, cb = _chunk(a[0], ha, shift), _chunk(b[0], hb, shift)
    if ca != cb:
        return {ca: a, cb: b}
    return {ca: _pair(shift + _BITS, a, b)}


def _put(node: dict[Any, Any], shift: int, h: int, leaf: tuple[Any, Any]
         ) -> tuple[dict[Any, Any], bool]:
    """``node`` with ``leaf`` stored; and whether its key is new."""
    chunk = _chunk(leaf[0], h, shift)
    entry = node.get(chunk)
    new = dict(node)
    if entry is None:
        new[chunk] = leaf
        return new, True
    if type(entry) is tuple:
        if entry[0] == leaf[0]:
            new[chunk] = leaf
            return new, False
        new[chunk] = _pair(shift + _BITS, entry, leaf)
        return new, True
    child, added = _put(entry, shift + _BITS, h, leaf)
    new[chunk] = child
    return new, added


def _drop(node: dict[Any, Any], shift: int, h: int, key: Any) -> dict[Any, Any]:
    """``node`` without ``key`` (the same object when it was absent)."""
    chunk = _chunk(key, h, shift)
    entry = node.get(chunk)
    if entry is None:
        return node
    if type(entry) is tuple:
        if entry[0] != key:
            return node
        new = dict(node)
        del new[chunk]
        return new
    child = _drop(entry, shift + _BITS, h, key)
    if child is entry:
        return node
    new = dict(node)
    if len(child) == 1:
        (only,) = child.values()
        if type(only) is tuple:
            new[chunk] = only  # keep the trie canonical: no child with one key
            return new
    new[chunk] = child
    return new


def _leaves(node: dict[Any, Any]) -> Iterator[tuple[Any, Any]]:
    stack = [node]
    while stack:
        for entry in stack.pop().values():
            if type(entry) is tuple:
                yield entry
            else:
                stack.append(entry)


def _merge(a: dict[Any, Any], b: dict[Any, Any], shift: int,
           fn: Callable[[Any, Any], Any]) -> dict[Any, Any]:
    """The union of two nodes, ``fn(a_value, b_value)`` where both hold a key."""
    if a is b:
        return a
    out = dict(a)
    for chunk, eb in b.items():
        ea = out.get(chunk)
        if ea is None:
            out[chunk] = eb
        elif ea is eb:
            continue
        elif type(ea) is tuple and type(eb) is tuple:
            if ea[0] == eb[0]:
                value = fn(ea[1], eb[1])
                if value is not ea[1]:
                    out[chunk] = eb if value is eb[1] else (ea[0], value)
            else:
                out[chunk] = _pair(shift + _BITS, ea, eb)
        elif type(ea) is tuple:
            out[chunk] = _merge_leaf(eb, shift + _BITS, ea, fn, leaf_first=True)
        elif type(eb) is tuple:
            out[chunk] = _merge_leaf(ea, shift + _BITS, eb, fn, leaf_first=False)
        else:
            out[chunk] = _merge(ea, eb, shift + _BITS, fn)
    return out


def _merge_leaf(node: dict[Any, Any], shift: int, leaf: tuple[Any, Any],
                fn: Callable[[Any, Any], Any], leaf_first: bool) -> dict[Any, Any]:
    h = hash(leaf[0]) & _HASH
    old = _find(node, shift, h, leaf[0])
    if old is not _MISSING:
        value = fn(leaf[1], old) if leaf_first else fn(old, leaf[1])
        if value is old:
            return node
        leaf = (leaf[0], value)
    return _put(node, shift, h, leaf)[0]


class Table(Generic[K, V]):
    """A dict-like handle on a persistent map (see the module docstring)."""

    __slots__ = ("_root", "_flat")

    def __init__(self, items: dict[K, V] | None = None) -> None:
        self._root: dict[Any, Any] = dict(items) if items else {}
        self._flat = True
        if len(self._root) > FLAT_MAX:
            self._to_trie()

    def _to_trie(self) -> None:
        flat, self._root, self._flat = self._root, {}, False
        for key, value in flat.items():
            self._root = _put(self._root, 0, hash(key) & _HASH, (key, value))[0]

    def copy(self) -> Table[K, V]:
        """A handle on the same map: O(1) for a trie, a small dict copy when flat."""
        out: Table[K, V] = _new(self.__class__)
        flat = out._flat = self._flat
        out._root = dict(self._root) if flat else self._root
        return out

    # -- reading ---------------------------------------------------------------------

    @overload
    def get(self, key: K) -> V | None: ...

    @overload
    def get(self, key: K, default: V) -> V: ...

    @overload
    def get(self, key: K, default: D) -> V | D: ...

    def get(self, key: K, default: Any = None) -> Any:
        if self._flat:
            return self._root.get(key, default)
        found = _find(self._root, 0, hash(key) & _HASH, key)
        return default if found is _MISSING else found

    def __getitem__(self, key: K) -> V:
        found = self.get(key, _MISSING)
        if found is _MISSING:
            raise KeyError(key)
        return found  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        return self.get(key, _MISSING) is not _MISSING  # type: ignore[arg-type]

    def items(self) -> Iterator[tuple[K, V]]:
        if self._flat:
            return iter(list(self._root.items()))
        return _leaves(self._root)

    def keys(self) -> Iterator[K]:
        return (k for k, _ in self.items())

    def values(self) -> Iterator[V]:
        return (v for _, v in self.items())

    def __iter__(self) -> Iterator[K]:
        return self.keys()

    def __len__(self) -> int:
        return len(self._root) if self._flat else sum(1 for _ in _leaves(self._root))

    def __bool__(self) -> bool:
        return bool(self._root)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return isinstance(other, dict) and dict(self.items()) == other
        if self._flat == other._flat:
            return self._root == other._root
        return dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self.items())!r})"

    # -- writing (this handle only) -----------------------------------------------------

    def __setitem__(self, key: K, value: V) -> None:
        if self._flat:
            self._root[key] = value
            if len(self._root) > FLAT_MAX:
                self._to_trie()
        else:
            self._root = _put(self._root, 0, hash(key) & _HASH, (key, value))[0]

    def update(self, items: dict[K, V]) -> None:
        for key, value in items.items():
            self[key] = value

    def __delitem__(self, key: K) -> None:
        if self.pop(key, _MISSING) is _MISSING:
            raise KeyError(key)

    def pop(self, key: K, default: Any = None) -> Any:
        if self._flat:
            return self._root.pop(key, default)
        h = hash(key) & _HASH
        found = _find(self._root, 0, h, key)
        if found is _MISSING:
            return default
        self._root = _drop(self._root, 0, h, key)
        return found

    # -- joining ----------------------------------------------------------------------------

    def merged(self, other: Table[K, V], fn: Callable[[V, V], V]) -> Table[K, V]:
        """A new table with the keys of both; ``fn(mine, theirs)`` where both have one."""
        out = self.copy()
        if self._flat and other._flat:
            root = out._root
            for key, value in other._root.items():
                mine = root.get(key, _MISSING)
                root[key] = value if mine is _MISSING else fn(mine, value)
            if len(root) > FLAT_MAX:
                out._to_trie()
            return out
        if out._flat:
            out._to_trie()
        theirs = other
        if other._flat:
            theirs = other.copy()
            theirs._to_trie()
        out._root = _merge(out._root, theirs._root, 0, fn)
        return out
