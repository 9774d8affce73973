"""Generated inputs for the scaling table: one source text per shape and size ``n``.

Each shape is a kind of code that real projects have (a long function calling many
helpers, a generated module, a chain of aliases, ...), made ``n`` units long. The
scaling table (``bench/scaling.py``) analyses each at ``n`` and ``8 n``: linear work
grows by 8.
"""

from __future__ import annotations

from typing import Callable

PRELUDE = (  # five lines: the tests count lines from the first def
    "import ctypes\n"
    'clusapi = ctypes.WinDLL("clusapi.dll")\n'
    "clusapi.OpenCluster.restype = ctypes.c_void_p\n"
    "clusapi.CloseCluster.argtypes = [ctypes.c_void_p]\n"
    "clusapi.GetClusterInformation.argtypes = [ctypes.c_void_p] * 4\n"
)


def helper_calls(n: int) -> str:
    """One function of ``n`` lines, each calling a different helper while a handle is open."""
    body = "".join(f"        helper_{i}(x, {i})\n" for i in range(n))
    return (PRELUDE + "def long_calls(name, x):\n    h = clusapi.OpenCluster(name)\n"
            "    if not h:\n        return\n    try:\n" + body
            + "    finally:\n        clusapi.CloseCluster(h)\n")


def module_functions(n: int) -> str:
    """A module of ``n`` small functions and one module-level acquire."""
    defs = "".join(f"def function_{i}(x):\n    return x + {i}\n\n\n" for i in range(n))
    return (PRELUDE + "CLUSTER = clusapi.OpenCluster(None)\n\n\n" + defs
            + "clusapi.CloseCluster(CLUSTER)\n")


def aliases(n: int) -> str:
    """``n`` names aliasing one handle: ``a1 = a0``, ``a2 = a1``, ..."""
    chain = "".join(f"    a{i + 1} = a{i}\n" for i in range(n))
    return (PRELUDE + "def alias_chain(name):\n    a0 = clusapi.OpenCluster(name)\n" + chain
            + f"    clusapi.CloseCluster(a{n})\n")


def open_handles(n: int) -> str:
    """``n`` handles open at once, then all closed."""
    opens = "".join(f"    h{i} = clusapi.OpenCluster(names[{i}])\n" for i in range(n))
    closes = "".join(f"    clusapi.CloseCluster(h{i})\n" for i in range(n))
    return PRELUDE + "def many_open(names):\n" + opens + closes


def nested_finally(n: int) -> str:
    """``try``/``finally`` nested ``n`` deep inside ``finally`` bodies, a handle open."""
    lines = ["def nested(name):\n", "    h = clusapi.OpenCluster(name)\n"]
    indent = "    "
    for i in range(n):
        lines.append(f"{indent}try:\n{indent}    work_{i}(h)\n{indent}finally:\n")
        indent += "    "
    lines.append(f"{indent}clusapi.CloseCluster(h)\n")
    return PRELUDE + "".join(lines)


def generated_module(n: int) -> str:
    """A generated module: ``n`` blocks of constants, a class with methods, a function."""
    blocks = []
    for i in range(n):
        blocks.append(
            f"CONST_{i} = {i}\nNAME_{i} = 'name-{i}'\n"
            f"TABLE_{i} = {{'a': {i}, 'b': [{i}, {i + 1}]}}\n\n\n"
            f"class Record{i}:\n    def __init__(self, value):\n        self.value = value\n\n"
            f"    def get(self):\n        return self.value + CONST_{i}\n\n\n"
            f"def build_{i}(x):\n    if x > {i}:\n        return Record{i}(x)\n"
            f"    return None\n\n\n")
    return PRELUDE + "".join(blocks)


def branches(n: int) -> str:
    """One function with ``n`` sequential branches, each acquiring and releasing."""
    out = [PRELUDE, "def many_branches(x, name):\n    total = 0\n"]
    for i in range(n):
        out.append(f"    if x == {i}:\n        h{i} = clusapi.OpenCluster(name)\n"
                   f"        if h{i}:\n            try:\n"
                   f"                total += clusapi.GetClusterInformation(h{i}, None, None,"
                   f" None)\n"
                   f"            finally:\n                clusapi.CloseCluster(h{i})\n")
    out.append("    return total\n")
    return "".join(out)


def long_function(n: int) -> str:
    """One function acquiring and releasing ``n`` handles one after the other."""
    body = "".join(f"    h = clusapi.OpenCluster(names[{i}])\n    if h:\n"
                   f"        use(h)\n        clusapi.CloseCluster(h)\n" for i in range(n))
    return PRELUDE + "def sequential(names):\n" + body


def many_methods(n: int) -> str:
    """One class of ``n`` methods, each acquiring and releasing a handle."""
    methods = "".join(f"    def method_{i}(self, name):\n        h = clusapi.OpenCluster(name)\n"
                      f"        if not h:\n            return None\n        try:\n"
                      f"            return self.work(h, {i})\n        finally:\n"
                      f"            clusapi.CloseCluster(h)\n\n" for i in range(n))
    return PRELUDE + "class Many:\n" + methods


def long_line(n: int) -> str:
    """One statement of ``n`` operands on one line while a handle is open."""
    expr = " + ".join(f"f{i}(h)" for i in range(n))
    return (PRELUDE + "def long_line(name):\n    h = clusapi.OpenCluster(name)\n"
            f"    total = {expr}\n    clusapi.CloseCluster(h)\n    return total\n")


#: name -> (generator, n, whether to pass --force)
SHAPES: dict[str, tuple[Callable[[int], str], int, bool]] = {
    "helper calls while a handle is open": (helper_calls, 1000, False),
    "module of small functions + module acquire": (module_functions, 1000, False),
    "names aliasing one handle": (aliases, 1000, False),
    "handles open at once": (open_handles, 1000, False),
    "try/finally nested in finally": (nested_finally, 3, False),
    "generated module, --force": (generated_module, 300, True),
    "branches": (branches, 250, False),
    "long function": (long_function, 1000, False),
    "many methods": (many_methods, 500, False),
    "long line": (long_line, 60, False),
}
