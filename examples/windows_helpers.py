"""Everyday Windows helpers written with ctypes, pywin32 and winreg.

Each function is an idiom of real programs, and the marks say what handlelint reports:
a size check that raises before the file is closed, a token left open by an early
return, the clipboard left open when reading it raises, a module loaded as data and
not freed on an early return; and their correct forms, which are silent.
"""
import ctypes
import winreg
from ctypes import wintypes

import win32api
import win32clipboard
import win32con

kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)

kernel32.CreateFileW.restype = wintypes.HANDLE
kernel32.CreateFileW.argtypes = [
    wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, ctypes.c_void_p,
    wintypes.DWORD, wintypes.DWORD, wintypes.HANDLE]
kernel32.GetFileSizeEx.argtypes = [wintypes.HANDLE, ctypes.POINTER(ctypes.c_longlong)]
kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
kernel32.GetCurrentProcess.restype = wintypes.HANDLE
advapi32.OpenProcessToken.argtypes = [
    wintypes.HANDLE, wintypes.DWORD, ctypes.POINTER(wintypes.HANDLE)]
advapi32.GetTokenInformation.argtypes = [
    wintypes.HANDLE, ctypes.c_int, ctypes.c_void_p, wintypes.DWORD,
    ctypes.POINTER(wintypes.DWORD)]

INVALID_HANDLE_VALUE = wintypes.HANDLE(-1).value
GENERIC_READ = 0x80000000
FILE_SHARE_READ = 0x1
OPEN_EXISTING = 3
TOKEN_QUERY = 0x8
TOKEN_ELEVATION = 20
LOAD_LIBRARY_AS_DATAFILE = 0x2
RT_VERSION = 16
MAX_CONFIG_SIZE = 1 << 20


def config_size(path):
    """The size check raises with the file still open."""
    handle = kernel32.CreateFileW(  # error: HDL001
        path, GENERIC_READ, FILE_SHARE_READ, None, OPEN_EXISTING, 0, None)
    if handle == INVALID_HANDLE_VALUE:
        raise ctypes.WinError(ctypes.get_last_error())
    size = ctypes.c_longlong()
    if not kernel32.GetFileSizeEx(handle, ctypes.byref(size)):
        kernel32.CloseHandle(handle)
        raise ctypes.WinError(ctypes.get_last_error())
    if size.value > MAX_CONFIG_SIZE:
        raise ValueError(f"{path} is larger than {MAX_CONFIG_SIZE} bytes")
    kernel32.CloseHandle(handle)
    return size.value


def config_size_checked(path):
    """The failure value tested, every path closes the file: silent."""
    handle = kernel32.CreateFileW(
        path, GENERIC_READ, FILE_SHARE_READ, None, OPEN_EXISTING, 0, None)
    if handle == INVALID_HANDLE_VALUE:
        raise ctypes.WinError(ctypes.get_last_error())
    try:
        size = ctypes.c_longlong()
        if not kernel32.GetFileSizeEx(handle, ctypes.byref(size)):
            raise ctypes.WinError(ctypes.get_last_error())
        if size.value > MAX_CONFIG_SIZE:
            raise ValueError(f"{path} is larger than {MAX_CONFIG_SIZE} bytes")
        return size.value
    finally:
        kernel32.CloseHandle(handle)


def is_elevated():
    """The token comes through an out-parameter; the early return leaves it open."""
    token = wintypes.HANDLE()
    if not advapi32.OpenProcessToken(  # error: HDL001
            kernel32.GetCurrentProcess(), TOKEN_QUERY, ctypes.byref(token)):
        raise ctypes.WinError(ctypes.get_last_error())
    elevation = wintypes.DWORD()
    size = wintypes.DWORD()
    if not advapi32.GetTokenInformation(token, TOKEN_ELEVATION, ctypes.byref(elevation),
                                        ctypes.sizeof(elevation), ctypes.byref(size)):
        return False
    kernel32.CloseHandle(token)
    return bool(elevation.value)


def clipboard_text():
    """GetClipboardData raises when the clipboard holds no text: it stays open."""
    win32clipboard.OpenClipboard()  # error: HDL002
    text = win32clipboard.GetClipboardData(win32con.CF_UNICODETEXT)
    win32clipboard.CloseClipboard()
    return text


def clipboard_text_safe():
    """The partner call in finally: silent."""
    win32clipboard.OpenClipboard()
    try:
        return win32clipboard.GetClipboardData(win32con.CF_UNICODETEXT)
    finally:
        win32clipboard.CloseClipboard()


def has_version_resource(path):
    """A module loaded as data, not freed on the early return."""
    module = win32api.LoadLibraryEx(path, 0, LOAD_LIBRARY_AS_DATAFILE)  # error: HDL001
    if not win32api.EnumResourceTypes(module):
        return False
    found = RT_VERSION in win32api.EnumResourceTypes(module)
    win32api.FreeLibrary(module)
    return found


def theme_is_light():
    """winreg's keys close themselves, and `with` closes this one at once: silent."""
    path = r"Software\Microsoft\Windows\CurrentVersion\Themes\Personalize"
    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, path) as key:
        value, _ = winreg.QueryValueEx(key, "AppsUseLightTheme")
    return bool(value)
