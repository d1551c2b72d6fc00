"""infercost: what it costs per day to serve LLM traffic, from Python.

Calls libinfercost.so through ctypes (no compiled extension). The library is
found through $INFERCOST_LIB (a path to libinfercost.so), else the system's
library path (after `cmake --install`), else a build/ directory next to this
package's source tree. See docs/python.md.

    >>> import infercost
    >>> r = infercost.run("scenarios/chatgpt-2023.ini", **{"run.duration_s": 600})
    >>> r["metrics"]["usd_per_million_output_tokens"]
"""
import csv
import ctypes
import ctypes.util
import io
import json
import os

__all__ = ["run", "sweep", "search", "InfercostError", "BadInput", "library_path", "api_version"]

API_VERSION = 1


class InfercostError(RuntimeError):
    """A call failed; `status` is the library's ic_status code, the message
    holds what it reported (one problem per line)."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


class BadInput(InfercostError, ValueError):
    """The scenario, an override, an axis or a target was wrong (ic_status IC_EINVAL)."""


_IC_EINVAL = 1
_lib = None
_lib_path = None


def _candidates():
    env = os.environ.get("INFERCOST_LIB")
    if env:
        yield env
    found = ctypes.util.find_library("infercost")
    if found:
        yield found
    here = os.path.dirname(os.path.abspath(__file__))
    for rel in ("../../build", "../build", "../../lib", "."):
        yield os.path.normpath(os.path.join(here, rel, "libinfercost.so"))


def _load():
    global _lib, _lib_path
    if _lib is not None:
        return _lib
    tried = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
            continue
        _bind(lib)
        if lib.ic_api_version() != API_VERSION:
            raise InfercostError("%s has API version %d, this package wants %d"
                                 % (path, lib.ic_api_version(), API_VERSION), -1)
        _lib, _lib_path = lib, path
        return lib
    raise InfercostError("libinfercost.so not found; set INFERCOST_LIB to its path (tried: %s)"
                         % "; ".join(tried), -1)


def _bind(lib):
    c_char_pp = ctypes.POINTER(ctypes.c_char_p)
    size, long_, int_p = ctypes.c_size_t, ctypes.c_long, ctypes.POINTER(ctypes.c_int)
    text = ctypes.c_void_p  # freed with ic_api_free, so not converted on return
    lib.ic_api_version.restype = ctypes.c_int
    lib.ic_api_version.argtypes = []
    lib.ic_api_last_error.restype = ctypes.c_char_p
    lib.ic_api_last_error.argtypes = []
    lib.ic_api_free.restype = None
    lib.ic_api_free.argtypes = [ctypes.c_void_p]
    lib.ic_api_run_json.restype = text
    lib.ic_api_run_json.argtypes = [ctypes.c_char_p, c_char_pp, size, int_p]
    lib.ic_api_sweep_csv.restype = text
    lib.ic_api_sweep_csv.argtypes = [ctypes.c_char_p, c_char_pp, size, c_char_pp, size, c_char_pp, size,
                                     long_, long_, int_p]
    lib.ic_api_search_json.restype = text
    lib.ic_api_search_json.argtypes = [ctypes.c_char_p, c_char_pp, size, c_char_pp, size, c_char_pp, size,
                                       ctypes.c_char_p, long_, long_, long_, ctypes.c_int, int_p]


def library_path():
    """The path of the libinfercost.so in use (loading it if needed)."""
    _load()
    return _lib_path


def api_version():
    """IC_API_VERSION of the loaded library."""
    return _load().ic_api_version()


def _texts(items):
    """A list of str as a (char **, count) pair; keeps the buffers alive."""
    items = [str(x).encode() for x in items]
    arr = (ctypes.c_char_p * max(len(items), 1))(*items)
    return arr, len(items)


def _value_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return repr(v)
    return str(v)


def _overrides(overrides):
    return ["%s=%s" % (k, _value_text(v)) for k, v in overrides.items()]


def _key(name):
    # run(serving__max_batch=8) is run(**{"serving.max_batch": 8})
    return name.replace("__", ".")


def _call(fn, *args):
    lib = _load()
    status = ctypes.c_int(0)
    ptr = fn(*args, ctypes.byref(status))
    if not ptr:
        message = (lib.ic_api_last_error() or b"").decode(errors="replace").strip()
        cls = BadInput if status.value == _IC_EINVAL else InfercostError
        raise cls(message or "infercost call failed", status.value)
    try:
        return ctypes.string_at(ptr).decode()
    finally:
        lib.ic_api_free(ptr)


def _scenario(path):
    return None if path is None else os.fspath(path).encode()


def run(scenario=None, **overrides):
    """Runs one scenario (a file path, or None for the built-in default) with
    overrides given as keyword arguments: run("s.ini", **{"serving.max_batch":
    8}) or run("s.ini", serving__max_batch=8). Returns summary.json as a dict:
    "metrics" (every headline figure by name), "ledger_usd_per_day",
    "energy_kwh_per_day", "classes", "provenance". Raises BadInput for a bad
    scenario or override."""
    sets, n = _texts(_overrides({_key(k): v for k, v in overrides.items()}))
    lib = _load()
    return json.loads(_call(lib.ic_api_run_json, _scenario(scenario), sets, n))


def _number(text):
    """A CSV field as int, float (nan, inf too) or the text itself."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _axes(vary):
    out = []
    for key, values in (vary or {}).items():
        if isinstance(values, (list, tuple, range)):
            values = ",".join(_value_text(v) for v in values)
        out.append("%s=%s" % (_key(key), values))
    return out


def sweep(scenario=None, vary=None, targets=(), seeds=1, workers=1, as_frame=False, **overrides):
    """Runs the Cartesian product of `vary` ({"serving.max_batch": [1, 8, 32],
    "fleet.nodes": "100:1000:100"}; the first key is the outermost loop).
    `targets` ("e2e_p99_s<=60", ...) add a meets_targets column. Returns one
    dict per point with the columns of `infercost sweep` (numbers as int or
    float, "nan" as float('nan'); status as text), or a pandas DataFrame
    when as_frame is true (pandas is needed only then)."""
    if not vary:
        raise BadInput("sweep: nothing to vary: give vary={'section.key': [values]}", _IC_EINVAL)
    lib = _load()
    sets, ns = _texts(_overrides({_key(k): v for k, v in overrides.items()}))
    axes, na = _texts(_axes(vary))
    tg, nt = _texts(list(targets))
    text = _call(lib.ic_api_sweep_csv, _scenario(scenario), sets, ns, axes, na, tg, nt, int(seeds), int(workers))
    if as_frame:
        import pandas  # optional dependency
        return pandas.read_csv(io.StringIO(text))
    rows = csv.DictReader(io.StringIO(text))
    return [{k: (v if k == "status" else _number(v)) for k, v in row.items()} for row in rows]


def search(scenario=None, targets=(), vary=None, nodes=None, top=1, seeds=1, workers=1, allow_unstable=False,
           **overrides):
    """The cheapest configuration per day meeting every target
    ("ttft_p99_s<=2", ...) over the discrete `vary` axes and fleet sizes
    `nodes` ("100:4000:100"; None: 1 to the scenario's fleet.nodes). Returns
    the dict of `infercost search --format json`: "found", "ranked" (up to
    `top` configurations, cheapest first, each with "config" and "metrics"),
    "simulations" and counts."""
    lib = _load()
    sets, ns = _texts(_overrides({_key(k): v for k, v in overrides.items()}))
    axes, na = _texts(_axes(vary))
    tg, nt = _texts(list(targets))
    nodes_text = None if nodes is None else str(nodes).encode()
    text = _call(lib.ic_api_search_json, _scenario(scenario), sets, ns, axes, na, tg, nt, nodes_text,
                 int(seeds), int(workers), int(top), 1 if allow_unstable else 0)
    return json.loads(text)
