"""The pre-commit hook, end to end: the real ``pre-commit try-repo`` against this repository.

``try-repo`` clones the repository at HEAD (plus uncommitted changes to tracked files,
through a temporary commit), builds a fresh virtual environment with ``pip install .``
from the configured package index, and runs the hook of ``.pre-commit-hooks.yaml`` on the
named files of a throwaway git repository. It takes tens of seconds (the environment
is built for each call). Without pre-commit or git the test is skipped; when pip cannot
reach a package index it is skipped with the reason, any other failure fails it.
``.ci/run`` runs it on one Python only (``HANDLELINT_SLOW_TESTS=0`` on the others).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.fixture_marks import ROOT

pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install pre-commit)")

LEAK = textwrap.dedent("""\
    import ctypes

    clusapi = ctypes.windll.clusapi
    clusapi.GetClusterFromGroup.restype = ctypes.c_void_p
    clusapi.GetClusterInformation.argtypes = [ctypes.c_void_p, ctypes.c_wchar_p,
                                              ctypes.c_void_p, ctypes.c_void_p]
    clusapi.CloseCluster.argtypes = [ctypes.c_void_p]


    def owning_cluster_name(hgroup):
        hc = clusapi.GetClusterFromGroup(hgroup)
        if not hc:
            raise ctypes.WinError()
        name = ctypes.create_unicode_buffer(256)
        size = ctypes.c_ulong(256)
        if clusapi.GetClusterInformation(hc, name, ctypes.byref(size), None) != 0:
            return None
        clusapi.CloseCluster(hc)
        return name.value
""")
FIXED = LEAK.replace(
    "        return None\n    clusapi.CloseCluster(hc)\n    return name.value\n",
    "        clusapi.CloseCluster(hc)\n        return None\n"
    "    clusapi.CloseCluster(hc)\n    return name.value\n")

#: pip's words when it cannot reach a package index (no network, no mirror).
_OFFLINE = ("No matching distribution found", "Could not find a version",
            "NewConnectionError", "Temporary failure in name resolution",
            "Network is unreachable", "ProxyError")


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def try_repo(project: Path, filename: str, env: dict[str, str]
             ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "handlelint",
         "--files", filename, "--color", "never"],
        cwd=project, env=env, capture_output=True, text=True, timeout=900)
    output = proc.stdout + proc.stderr
    if proc.returncode not in (0, 1) or "An unexpected error has occurred" in output:
        log = Path(env["PRE_COMMIT_HOME"]) / "pre-commit.log"
        details = output + (log.read_text(errors="replace") if log.exists() else "")
        offline = next((words for words in _OFFLINE if words in details), None)
        if offline is not None:
            pytest.skip(f"pre-commit could not install the hook from the package index "
                        f"({offline!r}): no network or mirror here")
        pytest.fail(f"pre-commit try-repo failed:\n{details}")
    return proc


@pytest.mark.slow
def test_try_repo_hook(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if not (ROOT / ".git").exists():
        pytest.skip("the handlelint sources are not a git repository")
    assert "CloseCluster(hc)\n        return None" in FIXED
    project = tmp_path / "project"
    project.mkdir()
    git("init", "-q", cwd=project)
    (project / "leak.py").write_text(LEAK)
    (project / "fixed.py").write_text(FIXED)
    git("add", "leak.py", "fixed.py", cwd=project)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           # try-repo commits uncommitted changes of the handlelint checkout in a copy.
           "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
           "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.invalid"}
    env.pop("PRE_COMMIT", None)

    leaking = try_repo(project, "leak.py", env)
    assert leaking.returncode == 1, leaking.stdout + leaking.stderr
    assert "leak.py:11:10: HDL001 cluster handle 'hc' from GetClusterFromGroup()" in \
        leaking.stdout, leaking.stdout

    fixed = try_repo(project, "fixed.py", env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "HDL" not in fixed.stdout.replace("handlelint", "")
    assert "Passed" in fixed.stdout
