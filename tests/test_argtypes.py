"""HDL008 and HDL007 beyond clusapi: DLL objects of any library set up in the file."""

from __future__ import annotations

from dataclasses import replace

from handlelint.config import Config
from handlelint.engine import check_source
from tests.fixture_marks import FIXTURES, expected_marks

#: A handle API of kernel32, configured as a shorthand pair (matched by name anywhere).
KERNEL32 = Config(acquire={"CreateEventW": ("CloseHandle",)})


def _codes(source: str, config: Config | None = None) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_source(source, "m.py", config)]


def test_hdl007_for_a_dll_object_of_any_library() -> None:
    source = ("import ctypes\n"
              "kernel32 = ctypes.WinDLL('kernel32', use_last_error=True)\n"
              "kernel32.CloseHandle.argtypes = [ctypes.c_void_p]\n"
              "def f():\n"
              "    h = kernel32.CreateEventW(None, 1, 0, None)\n"
              "    kernel32.CloseHandle(h)\n")
    assert _codes(source, KERNEL32) == [(5, "HDL007")]
    typed = source.replace("def f", "kernel32.CreateEventW.restype = ctypes.c_void_p\ndef f")
    assert _codes(typed, KERNEL32) == []
    cached = source.replace("ctypes.WinDLL('kernel32', use_last_error=True)",
                            "ctypes.windll.kernel32")
    assert _codes(cached, KERNEL32) == [(5, "HDL007")]


def test_hdl008_for_a_dll_object_of_any_library() -> None:
    source = ("import ctypes\n"
              "kernel32 = ctypes.WinDLL('kernel32', use_last_error=True)\n"
              "kernel32.CreateEventW.restype = ctypes.c_void_p\n"
              "kernel32.CreateEventW.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,\n"
              "                                  ctypes.c_wchar_p]\n"
              "def f():\n"
              "    h = kernel32.CreateEventW(None, 1, 0, None)\n"
              "    kernel32.SetEvent(h)\n"
              "    kernel32.CloseHandle(h)\n")
    assert _codes(source, KERNEL32) == [(8, "HDL008"), (9, "HDL008")]
    typed = source.replace("def f", "for fn in (kernel32.SetEvent, kernel32.CloseHandle):\n"
                                    "    fn.argtypes = [ctypes.c_void_p]\ndef f")
    assert _codes(typed, KERNEL32) == []  # a loop over the functions, as for restype
    loop = source.replace("def f", "for name in ('SetEvent', 'CloseHandle'):\n"
                                   "    getattr(kernel32, name).argtypes = [ctypes.c_void_p]\n"
                                   "def f")
    assert _codes(loop, KERNEL32) == []
    wrapped = source.replace("(h)", "(ctypes.c_void_p(h))")
    assert _codes(wrapped, KERNEL32) == []
    short = source.replace("def f", "kernel32.SetEvent.argtypes = []\n"
                                    "kernel32.CloseHandle.argtypes = ARGTYPES\ndef f")
    assert _codes(short, KERNEL32) == [(10, "HDL008")]  # an empty list covers nothing


def test_hdl008_for_untyped_dll_objects_unless_declared_only() -> None:
    """By default every DLL object made in the file is checked; ``argtypes-check =
    "declared"`` leaves alone those none of whose functions get argtypes."""
    untyped = ("import ctypes\n"
               "kernel32 = ctypes.WinDLL('kernel32')\n"
               "kernel32.CreateEventW.restype = ctypes.c_void_p\n"
               "def f():\n"
               "    h = kernel32.CreateEventW(None, 1, 0, None)\n"
               "    kernel32.CloseHandle(h)\n")
    assert _codes(untyped, KERNEL32) == [(6, "HDL008")]
    declared = replace(KERNEL32, argtypes_check="declared")
    assert _codes(untyped, declared) == []
    partly = untyped.replace("def f", "kernel32.SetEvent.argtypes = [ctypes.c_void_p]\ndef f")
    assert _codes(partly, declared) == [(7, "HDL008")]  # a typed setup with a gap


def test_declared_only_on_the_fixture() -> None:
    """The argtypes fixtures in the narrowed mode: the untyped DLL objects drop out."""
    path = FIXTURES / "argtypes" / "argtypes.py"
    marks = expected_marks(path)
    untyped = {(line, code) for line, code in marks
               if "untyped." in path.read_text("utf-8").splitlines()[line - 1]}
    assert untyped
    found = {(f.line, f.code) for f in check_source(
        path.read_bytes(), str(path), Config(argtypes_check="declared"), strict=True)}
    assert found == marks - untyped
    path = FIXTURES / "argtypes" / "untyped.py"
    assert expected_marks(path) and check_source(
        path.read_bytes(), str(path), Config(argtypes_check="declared"), strict=True) == []


def test_hdl008_not_for_imported_dll_objects() -> None:
    imported = ("from libs import kernel32\n"
                "kernel32.SetEvent.argtypes = []\n"
                "def f():\n"
                "    h = kernel32.CreateEventW(None, 1, 0, None)\n"
                "    kernel32.CloseHandle(h)\n")
    assert _codes(imported, KERNEL32) == []
