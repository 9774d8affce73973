#!/usr/bin/env python3
"""Small Windows Failover Cluster maintenance tool.

    cluster_maintenance.py [--cluster NAME] list
    cluster_maintenance.py [--cluster NAME] move GROUP [--node NODE]
    cluster_maintenance.py [--cluster NAME] owner GROUP
    cluster_maintenance.py [--cluster NAME] drain NODE
    cluster_maintenance.py [--cluster NAME] resume NODE

Talks to clusapi.dll through ctypes, so it runs on a cluster node or a machine
with the Failover Cluster management tools installed.
"""
import argparse
import ctypes
import logging
import sys
import time
from ctypes import wintypes

log = logging.getLogger("cluster_maintenance")

clusapi = ctypes.WinDLL("clusapi.dll", use_last_error=True)

HCLUSTER = wintypes.HANDLE
HGROUP = wintypes.HANDLE
HNODE = wintypes.HANDLE
HCLUSENUM = wintypes.HANDLE
LPDWORD = ctypes.POINTER(wintypes.DWORD)

# Functions that hand out handles: a pointer restype, or 64-bit handles get truncated.
clusapi.OpenCluster.restype = HCLUSTER
clusapi.OpenCluster.argtypes = [wintypes.LPCWSTR]
clusapi.OpenClusterGroup.restype = HGROUP
clusapi.OpenClusterGroup.argtypes = [HCLUSTER, wintypes.LPCWSTR]
clusapi.OpenClusterNode.restype = HNODE
clusapi.OpenClusterNode.argtypes = [HCLUSTER, wintypes.LPCWSTR]
clusapi.GetClusterFromGroup.restype = HCLUSTER
clusapi.GetClusterFromGroup.argtypes = [HGROUP]
clusapi.ClusterOpenEnum.restype = HCLUSENUM
clusapi.ClusterOpenEnum.argtypes = [HCLUSTER, wintypes.DWORD]

clusapi.CloseCluster.restype = wintypes.BOOL
clusapi.CloseCluster.argtypes = [HCLUSTER]
clusapi.CloseClusterGroup.restype = wintypes.BOOL
clusapi.CloseClusterGroup.argtypes = [HGROUP]
clusapi.CloseClusterNode.restype = wintypes.BOOL
clusapi.CloseClusterNode.argtypes = [HNODE]
clusapi.ClusterEnum.restype = wintypes.DWORD
clusapi.ClusterEnum.argtypes = [HCLUSENUM, wintypes.DWORD, LPDWORD, wintypes.LPWSTR, LPDWORD]
clusapi.ClusterCloseEnum.restype = wintypes.DWORD
clusapi.ClusterCloseEnum.argtypes = [HCLUSENUM]
clusapi.GetClusterInformation.restype = wintypes.DWORD
clusapi.GetClusterInformation.argtypes = [HCLUSTER, wintypes.LPWSTR, LPDWORD, ctypes.c_void_p]
clusapi.GetClusterGroupState.restype = ctypes.c_int
clusapi.GetClusterGroupState.argtypes = [HGROUP, wintypes.LPWSTR, LPDWORD]
clusapi.MoveClusterGroup.restype = wintypes.DWORD
clusapi.MoveClusterGroup.argtypes = [HGROUP, HNODE]
clusapi.GetClusterNodeState.restype = ctypes.c_int
clusapi.GetClusterNodeState.argtypes = [HNODE]
clusapi.PauseClusterNodeEx.restype = wintypes.DWORD
clusapi.PauseClusterNodeEx.argtypes = [HNODE, wintypes.BOOL, wintypes.DWORD, HNODE]
clusapi.ResumeClusterNodeEx.restype = wintypes.DWORD
clusapi.ResumeClusterNodeEx.argtypes = [HNODE, ctypes.c_int, wintypes.DWORD]

CLUSTER_ENUM_GROUP = 0x8
ERROR_SUCCESS = 0
ERROR_MORE_DATA = 234
ERROR_NO_MORE_ITEMS = 259
ERROR_IO_PENDING = 997
CLUSTER_GROUP_ONLINE = 0
CLUSTER_NODE_PAUSED = 2
CLUSTER_RESUME_IMMEDIATE_FAILBACK = 1
GROUP_STATES = {0: "Online", 1: "Offline", 2: "Failed", 3: "PartialOnline", 4: "Pending"}


def _last_error(what):
    """The calling thread's last Win32 error as an OSError that names the call."""
    code = ctypes.get_last_error()
    return ctypes.WinError(code, "%s failed: %s" % (what, ctypes.FormatError(code).strip()))


def open_cluster(name=None):
    """Open the named cluster (None: the cluster of this node). The caller closes it."""
    hc = clusapi.OpenCluster(name)
    if not hc:
        raise _last_error("OpenCluster(%s)" % (name or "<local>"))
    return hc


def _enum_names(hc, kind):
    """Names of the cluster objects of one CLUSTER_ENUM_* kind."""
    he = clusapi.ClusterOpenEnum(hc, kind)
    if not he:
        raise _last_error("ClusterOpenEnum")
    names = []
    try:
        index = 0
        while True:
            obj_type = wintypes.DWORD(0)
            size = wintypes.DWORD(256)
            buf = ctypes.create_unicode_buffer(size.value)
            rc = clusapi.ClusterEnum(he, index, ctypes.byref(obj_type), buf, ctypes.byref(size))
            if rc == ERROR_MORE_DATA:
                size.value += 1
                buf = ctypes.create_unicode_buffer(size.value)
                rc = clusapi.ClusterEnum(he, index, ctypes.byref(obj_type), buf, ctypes.byref(size))
            if rc == ERROR_NO_MORE_ITEMS:
                break
            if rc != ERROR_SUCCESS:
                raise ctypes.WinError(rc)
            names.append(buf.value)
            index += 1
    finally:
        clusapi.ClusterCloseEnum(he)
    return names


def list_groups(hc):
    """(name, state, owner node) for every group of the cluster."""
    groups = []
    for name in _enum_names(hc, CLUSTER_ENUM_GROUP):
        hg = clusapi.OpenClusterGroup(hc, name)
        if not hg:
            log.warning("cannot open group %s (error %d)", name, ctypes.get_last_error())
            continue
        try:
            size = wintypes.DWORD(256)
            owner = ctypes.create_unicode_buffer(size.value)
            state = clusapi.GetClusterGroupState(hg, owner, ctypes.byref(size))
        finally:
            clusapi.CloseClusterGroup(hg)
        groups.append((name, GROUP_STATES.get(state, "Unknown"), owner.value))
    return groups


def cluster_name_of_group(hg):
    """Name of the cluster that owns the group behind hg."""
    hc = clusapi.GetClusterFromGroup(hg)  # error: HDL001
    if not hc:
        raise _last_error("GetClusterFromGroup")
    size = wintypes.DWORD(0)
    rc = clusapi.GetClusterInformation(hc, None, ctypes.byref(size), None)
    if rc not in (ERROR_SUCCESS, ERROR_MORE_DATA):
        log.error("GetClusterInformation failed with error %d", rc)
        return None
    size.value += 1
    name = ctypes.create_unicode_buffer(size.value)
    rc = clusapi.GetClusterInformation(hc, name, ctypes.byref(size), None)
    clusapi.CloseCluster(hc)
    if rc != ERROR_SUCCESS:
        raise ctypes.WinError(rc)
    return name.value


def move_group(hc, group_name, node_name=None, timeout=120.0):
    """Move a group to node_name (None: the best node) and wait until it is online."""
    hg = clusapi.OpenClusterGroup(hc, group_name)
    if not hg:
        raise _last_error("OpenClusterGroup(%s)" % group_name)
    try:
        hn = None
        if node_name:
            hn = clusapi.OpenClusterNode(hc, node_name)
            if not hn:
                raise _last_error("OpenClusterNode(%s)" % node_name)
        try:
            rc = clusapi.MoveClusterGroup(hg, hn)
        finally:
            if hn:
                clusapi.CloseClusterNode(hn)
        if rc not in (ERROR_SUCCESS, ERROR_IO_PENDING):
            raise ctypes.WinError(rc)
        deadline = time.monotonic() + timeout
        while clusapi.GetClusterGroupState(hg, None, None) != CLUSTER_GROUP_ONLINE:
            if time.monotonic() > deadline:
                raise TimeoutError("group %s is not online after %.0f s" % (group_name, timeout))
            time.sleep(2)
    finally:
        clusapi.CloseClusterGroup(hg)
    log.info("group %s is online", group_name)


def drain_node(hc, node_name, timeout=600.0):
    """Pause node_name, moving its groups to other nodes, and wait until it is paused."""
    hn = clusapi.OpenClusterNode(hc, node_name)  # error: HDL002
    if not hn:
        raise _last_error("OpenClusterNode(%s)" % node_name)
    rc = clusapi.PauseClusterNodeEx(hn, True, 0, None)
    if rc != ERROR_SUCCESS:
        clusapi.CloseClusterNode(hn)
        raise ctypes.WinError(rc)
    log.info("draining %s", node_name)
    deadline = time.monotonic() + timeout
    while clusapi.GetClusterNodeState(hn) != CLUSTER_NODE_PAUSED:
        if time.monotonic() > deadline:
            clusapi.CloseClusterNode(hn)
            raise TimeoutError("node %s is not drained after %.0f s" % (node_name, timeout))
        time.sleep(5)
    clusapi.CloseClusterNode(hn)
    log.info("node %s is drained and paused", node_name)


def resume_node(hc, node_name):
    """Resume a paused node and fail its groups back to it."""
    hn = clusapi.OpenClusterNode(hc, node_name)  # error: HDL001
    if not hn:
        raise _last_error("OpenClusterNode(%s)" % node_name)
    if clusapi.GetClusterNodeState(hn) != CLUSTER_NODE_PAUSED:
        log.info("node %s is not paused; nothing to do", node_name)
        return False
    rc = clusapi.ResumeClusterNodeEx(hn, CLUSTER_RESUME_IMMEDIATE_FAILBACK, 0)
    clusapi.CloseClusterNode(hn)
    if rc != ERROR_SUCCESS:
        raise ctypes.WinError(rc)
    log.info("node %s resumed", node_name)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description="Failover Cluster maintenance")
    parser.add_argument("--cluster", help="cluster name (default: the cluster of this node)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the groups with their state and owner")
    move = commands.add_parser("move", help="move a group to another node")
    move.add_argument("group")
    move.add_argument("--node", help="target node (default: the best possible node)")
    owner = commands.add_parser("owner", help="print the cluster that owns a group")
    owner.add_argument("group")
    drain = commands.add_parser("drain", help="drain and pause a node")
    drain.add_argument("node")
    resume = commands.add_parser("resume", help="resume a paused node")
    resume.add_argument("node")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")

    hc = open_cluster(args.cluster)
    try:
        if args.command == "list":
            for name, state, node in list_groups(hc):
                print(f"{name:40} {state:14} {node}")
        elif args.command == "move":
            move_group(hc, args.group, args.node)
        elif args.command == "owner":
            hg = clusapi.OpenClusterGroup(hc, args.group)
            if not hg:
                raise _last_error("OpenClusterGroup(%s)" % args.group)
            try:
                print(cluster_name_of_group(hg))
            finally:
                clusapi.CloseClusterGroup(hg)
        elif args.command == "drain":
            drain_node(hc, args.node)
        else:
            resume_node(hc, args.node)
    except OSError as exc:
        log.error("%s", exc)
        return 1
    finally:
        clusapi.CloseCluster(hc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
