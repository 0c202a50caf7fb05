"""Finding and declaring libwiretag (ctypes).

ctypes rather than a CPython extension: nothing to compile at install time
(no Python headers or compiler needed, one pure-Python package for every
Python 3), and a ctypes.CDLL releases the GIL for the length of every
foreign call, so classify_many's one call per batch, train and evaluate let
other Python threads run. The per-call overhead of ctypes is paid once per
batch, not once per document.
"""
import ctypes
import os
import subprocess
from ctypes import (POINTER, Structure, c_char, c_char_p, c_float, c_int,
                    c_size_t, c_uint32, c_ubyte, c_void_p)

SOVERSION = 0
SONAME = f"libwiretag.so.{SOVERSION}"


class wt_eval_opts_t(Structure):
    _fields_ = [("only", c_char_p), ("ignore_unknown", c_int),
                ("group_by", c_char_p)]


def _candidates():
    """Where libwiretag may be, in the order tried."""
    env = os.environ.get("WIRETAG_LIBRARY")
    if env:
        yield env, "WIRETAG_LIBRARY"
        return
    try:
        libdir = subprocess.run(
            ["pkg-config", "--variable=libdir", "wiretag"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            check=True, timeout=10).stdout.strip()
        if libdir:
            yield os.path.join(libdir, SONAME), "pkg-config"
    except (OSError, subprocess.SubprocessError):
        pass
    yield SONAME, "the dynamic linker's search path"
    # Imported from a source checkout (pipeline/python/wiretag/): the
    # tree's build/.
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.abspath(os.path.join(here, "..", "..", ".."))
    if os.path.exists(os.path.join(root, "pipeline", "lib", "wt_api.h")):
        yield os.path.join(root, "build", SONAME), "the source tree's build/"


def load():
    tried = []
    for path, how in _candidates():
        try:
            return _declare(ctypes.CDLL(path)), path
        except OSError as e:
            tried.append(f"{path} ({how}): {e}")
    raise ImportError("wiretag: cannot load libwiretag; set WIRETAG_LIBRARY "
                      "to its path. Tried:\n  " + "\n  ".join(tried))


def _fn(lib, name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)


def _declare(lib):
    err = c_int  # wt_err_t
    _fn(lib, "wt_api_version", c_char_p)
    _fn(lib, "wt_err_name", c_char_p, c_int)
    _fn(lib, "wt_model_load", err, c_char_p, POINTER(c_void_p), c_char_p,
        c_size_t)
    _fn(lib, "wt_model_destroy", None, c_void_p)
    _fn(lib, "wt_model_name", c_char_p, c_void_p)
    _fn(lib, "wt_model_id", c_char_p, c_void_p)
    _fn(lib, "wt_model_nlabels", c_size_t, c_void_p)
    _fn(lib, "wt_model_label", c_char_p, c_void_p, c_size_t)
    _fn(lib, "wt_model_threshold", c_float, c_void_p, c_size_t)
    _fn(lib, "wt_model_is_multilabel", c_int, c_void_p)
    _fn(lib, "wt_api_classify_batch", err, c_void_p, c_size_t,
        POINTER(c_char_p), POINTER(c_size_t), POINTER(c_ubyte),
        POINTER(c_uint32), POINTER(c_float), POINTER(c_uint32), c_char_p,
        c_size_t)
    _fn(lib, "wt_api_train", err, c_char_p, c_char_p, c_char_p, c_size_t)
    _fn(lib, "wt_api_eval", err, c_void_p, c_char_p, POINTER(wt_eval_opts_t),
        POINTER(POINTER(c_char)), c_char_p, c_size_t)
    _fn(lib, "wt_api_free", None, c_void_p)
    return lib
