"""HDL008 and HDL007 beyond clusapi: DLL objects of any library set up in the file."""

from __future__ import annotations

from handlelint.config import Config
from handlelint.engine import check_source

#: A handle API of kernel32, configured as a shorthand pair (matched by name anywhere).
KERNEL32 = Config(acquire={"CreateEventW": ("CloseHandle",)})


def _codes(source: str, config: Config | None = None) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_source(source, "m.py", config)]


def test_hdl007_for_a_dll_object_of_any_library() -> None:
    source = ("import ctypes\n"
              "kernel32 = ctypes.WinDLL('kernel32', use_last_error=True)\n"
              "def f():\n"
              "    h = kernel32.CreateEventW(None, 1, 0, None)\n"
              "    kernel32.CloseHandle(h)\n")
    assert _codes(source, KERNEL32) == [(4, "HDL007")]
    typed = source.replace("def f", "kernel32.CreateEventW.restype = ctypes.c_void_p\ndef f")
    assert _codes(typed, KERNEL32) == []
    cached = source.replace("ctypes.WinDLL('kernel32', use_last_error=True)",
                            "ctypes.windll.kernel32")
    assert _codes(cached, KERNEL32) == [(4, "HDL007")]


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


def test_hdl008_not_for_untyped_or_imported_dll_objects() -> None:
    untyped = ("import ctypes\n"
               "kernel32 = ctypes.WinDLL('kernel32')\n"
               "kernel32.CreateEventW.restype = ctypes.c_void_p\n"
               "def f():\n"
               "    h = kernel32.CreateEventW(None, 1, 0, None)\n"
               "    kernel32.CloseHandle(h)\n")
    assert _codes(untyped, KERNEL32) == []
    imported = ("from libs import kernel32\n"
                "kernel32.SetEvent.argtypes = []\n"
                "def f():\n"
                "    h = kernel32.CreateEventW(None, 1, 0, None)\n"
                "    kernel32.CloseHandle(h)\n")
    assert _codes(imported, KERNEL32) == []
