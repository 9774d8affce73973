"""Generated corpora for the benchmarks: written by the bench scripts, never checked in.

``dense_corpus`` writes files dense with handle code: every function acquires and
releases cluster handles correctly, with branches, loops, try/finally and ``match``.
The engine should report nothing on them (run.py checks and says so if it does).
``branches_function`` makes one function with N sequential ``if`` branches, each
acquiring and releasing a handle.
"""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

HEADER = '''"""Generated benchmark module {index}: cluster handle code, all handles released."""
import ctypes
from ctypes import c_void_p, wintypes
from ctypes.wintypes import DWORD, HANDLE, LPCWSTR

clusapi = ctypes.WinDLL("clusapi.dll", use_last_error=True)
clusapi.OpenCluster.restype = wintypes.HANDLE
clusapi.OpenClusterGroup.restype = wintypes.HANDLE
clusapi.OpenClusterNode.restype = wintypes.HANDLE
clusapi.OpenClusterResource.restype = wintypes.HANDLE
clusapi.ClusterOpenEnum.restype = wintypes.HANDLE
clusapi.GetClusterKey.restype = wintypes.HANDLE
clusapi.OpenCluster.argtypes = [LPCWSTR]
clusapi.OpenClusterGroup.argtypes = [HANDLE, LPCWSTR]
clusapi.OpenClusterNode.argtypes = [HANDLE, LPCWSTR]
clusapi.OpenClusterResource.argtypes = [HANDLE, LPCWSTR]
clusapi.ClusterOpenEnum.argtypes = [HANDLE, DWORD]
clusapi.GetClusterKey.argtypes = [HANDLE, DWORD]
clusapi.CloseCluster.argtypes = [HANDLE]
clusapi.CloseClusterGroup.argtypes = [HANDLE]
clusapi.CloseClusterNode.argtypes = [HANDLE]
clusapi.CloseClusterResource.argtypes = [HANDLE]
clusapi.ClusterCloseEnum.argtypes = [HANDLE]
clusapi.ClusterEnum.argtypes = [HANDLE, DWORD, c_void_p, c_void_p, c_void_p]
clusapi.ClusterRegCloseKey.argtypes = [HANDLE]
clusapi.ClusterRegQueryValue.argtypes = [HANDLE, LPCWSTR, c_void_p, c_void_p, c_void_p]
clusapi.GetClusterGroupState.argtypes = [HANDLE, c_void_p, c_void_p]
clusapi.GetClusterNodeState.argtypes = [HANDLE]
clusapi.GetClusterResourceState.argtypes = [HANDLE, c_void_p, c_void_p, c_void_p, c_void_p]
clusapi.PauseClusterNode.argtypes = [HANDLE]
clusapi.ResumeClusterNode.argtypes = [HANDLE]

ERROR_SUCCESS = 0
ERROR_NO_MORE_ITEMS = 259
CLUSTER_ENUM_GROUP = 0x8
KEY_READ = 0x20019


def _win_error():
    return ctypes.WinError(ctypes.get_last_error())
'''

TEMPLATES = [
    # nested try/finally, NULL checks that raise, if/elif/else
    '''

def group_state_{n}(cluster_name, group_name):
    hc = clusapi.OpenCluster(cluster_name)
    if not hc:
        raise _win_error()
    try:
        hg = clusapi.OpenClusterGroup(hc, group_name)
        if not hg:
            raise _win_error()
        try:
            state = clusapi.GetClusterGroupState(hg, None, None)
            if state == {n}:
                return "online"
            elif state < 0:
                return "unknown"
            else:
                label = "state-%d" % state
            return label
        finally:
            clusapi.CloseClusterGroup(hg)
    finally:
        clusapi.CloseCluster(hc)
''',
    # while loop over an enumeration, break and continue
    '''

def list_groups_{n}(cluster_name):
    names = []
    hc = clusapi.OpenCluster(cluster_name)
    if not hc:
        raise _win_error()
    try:
        he = clusapi.ClusterOpenEnum(hc, CLUSTER_ENUM_GROUP)
        if not he:
            raise _win_error()
        try:
            index = 0
            while True:
                rc = clusapi.ClusterEnum(he, index, None, None, None)
                index += 1
                if rc == ERROR_NO_MORE_ITEMS:
                    break
                if rc != ERROR_SUCCESS:
                    continue
                names.append(index + {n})
        finally:
            clusapi.ClusterCloseEnum(he)
    finally:
        clusapi.CloseCluster(hc)
    return names
''',
    # match statement inside try/finally, a for loop with break
    '''

def node_action_{n}(cluster_name, node_name, action):
    hc = clusapi.OpenCluster(cluster_name)
    if not hc:
        return None
    try:
        hn = clusapi.OpenClusterNode(hc, node_name)
        if not hn:
            return None
        try:
            match action:
                case "pause":
                    result = clusapi.PauseClusterNode(hn)
                case "resume":
                    result = clusapi.ResumeClusterNode(hn)
                case {{"retry": count}}:
                    result = -1
                    for _ in range(count + {n}):
                        result = clusapi.GetClusterNodeState(hn)
                        if result == 0:
                            break
                case _:
                    result = -1
            return result
        finally:
            clusapi.CloseClusterNode(hn)
    finally:
        clusapi.CloseCluster(hc)
''',
    # acquire and release on every iteration of a for loop
    '''

def resource_states_{n}(hc, names):
    states = {{}}
    for name in names:
        hr = clusapi.OpenClusterResource(hc, name)
        if not hr:
            continue
        try:
            state = clusapi.GetClusterResourceState(hr, None, None, None, None)
            if state > {n}:
                states[name] = state
        finally:
            clusapi.CloseClusterResource(hr)
    return states
''',
    # pre-initialised handles, released in finally after NULL checks
    '''

def cluster_name_{n}(cluster_name):
    hc = hk = None
    try:
        hc = clusapi.OpenCluster(cluster_name)
        if not hc:
            raise _win_error()
        hk = clusapi.GetClusterKey(hc, KEY_READ)
        if not hk:
            raise _win_error()
        size = ctypes.c_ulong({n})
        rc = clusapi.ClusterRegQueryValue(hk, "ClusterName", None, None, ctypes.byref(size))
        if rc != ERROR_SUCCESS:
            raise ctypes.WinError(rc)
        return size.value
    finally:
        if hk:
            clusapi.ClusterRegCloseKey(hk)
        if hc:
            clusapi.CloseCluster(hc)
''',
]


def dense_module(index: int, lines: int = 500) -> str:
    parts = [HEADER.format(index=index)]
    total = parts[0].count("\n")
    n = 0
    while total < lines:
        part = TEMPLATES[(index + n) % len(TEMPLATES)].format(n=n)
        parts.append(part)
        total += part.count("\n")
        n += 1
    return "".join(parts)


def dense_corpus(directory: Path, files: int = 40, lines: int = 500) -> list[str]:
    """Write ``files`` modules of about ``lines`` lines into ``directory``; their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(files):
        path = directory / f"dense_{index:03d}.py"
        path.write_text(dense_module(index, lines), encoding="utf-8")
        paths.append(str(path))
    return paths


def branches_function(branches: int) -> str:
    """One function with ``branches`` sequential ``if`` branches, each acquiring and releasing."""
    out = [
        "import ctypes\n",
        'clusapi = ctypes.WinDLL("clusapi.dll")\n',
        "clusapi.OpenCluster.restype = ctypes.c_void_p\n",
        "clusapi.GetClusterInformation.argtypes = [ctypes.c_void_p] * 4\n",
        "clusapi.CloseCluster.argtypes = [ctypes.c_void_p]\n",
        "\n\n",
        "def many_branches(x, name):\n",
        "    total = 0\n",
    ]
    for i in range(branches):
        out.append(
            f"    if x == {i}:\n"
            f"        h{i} = clusapi.OpenCluster(name)\n"
            f"        if h{i}:\n"
            f"            try:\n"
            f"                total += clusapi.GetClusterInformation(h{i}, None, None, None)\n"
            f"            finally:\n"
            f"                clusapi.CloseCluster(h{i})\n"
        )
    out.append("    return total\n")
    return "".join(out)


SKIP_DIRS = {"test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__",
             "turtledemo"}


def stdlib_modules() -> list[str]:
    """Every ``.py`` file of the standard library outside test folders, sorted."""
    root = sysconfig.get_paths()["stdlib"]
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS
                             and not d.startswith("test"))
        for name in filenames:
            if name.endswith(".py") and not name.startswith("test_"):
                found.append(os.path.join(dirpath, name))
    return sorted(found, key=lambda p: os.path.relpath(p, root))


def stdlib_sample(count: int) -> list[str]:
    """``count`` standard-library modules, evenly spaced in sorted order (deterministic)."""
    modules = stdlib_modules()
    if count >= len(modules):
        return modules
    return [modules[i * len(modules) // count] for i in range(count)]


def largest_stdlib_module() -> str:
    """The standard-library module (outside tests) with the most lines of code.

    ``pydoc_data/topics.py`` is left out: it is one dict of string literals (data, not
    code); without it this is ``_pydecimal.py`` (6.4k lines) on CPython 3.11.
    """
    def lines(path: str) -> int:
        with open(path, "rb") as fh:
            return fh.read().count(b"\n")
    code = [p for p in stdlib_modules() if os.path.basename(os.path.dirname(p)) != "pydoc_data"]
    return max(code, key=lines)
