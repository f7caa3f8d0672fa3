"""The binding against the C header and the status table: one source of truth.

These tests read ``include/etna_auth.h`` (or the file named by
``ETNA_AUTH_HEADER``) and check that the binding's status codes, log levels,
default timeout and ctypes prototypes say exactly what the header says, and
read ``bindings/status_codes.json`` (the library's status table; or the file
named by ``ETNA_STATUS_CODES``) and check every column of it that Python
follows: the ``Status`` names and codes, the exception class names, their
families, ``retry_can_help``, the description and the docstrings. Nothing
here repeats the header's lists or the table: a code, a column or a function
added there without its binding counterpart fails a test.
"""

import ctypes
import inspect
import json
import os
import re
from pathlib import Path

import pytest

import etna_auth
from etna_auth import Status, _errors, _ffi, _log, _session

REPO = Path(__file__).resolve().parents[3]
HEADER = Path(os.environ.get("ETNA_AUTH_HEADER") or REPO / "include" / "etna_auth.h")
STATUS_TABLE = Path(os.environ.get("ETNA_STATUS_CODES") or REPO / "bindings" / "status_codes.json")


def _source() -> str:
    assert HEADER.is_file(), f"no C header at {HEADER} (set ETNA_AUTH_HEADER)"
    return HEADER.read_text(encoding="utf-8")


def _code(text: str) -> str:
    """The header without comments and preprocessor lines."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def _defines() -> dict:
    """Every ``#define ETNA_NAME <integer>`` of the header, name -> value."""
    found = re.findall(r"^\s*#define\s+(ETNA_\w+)\s+(-?\d+)\s*$", _source(), flags=re.M)
    return {name: int(value) for name, value in found}


#: The integer constants of the header that are not status codes.
_NOT_STATUSES = ("ETNA_AUTH_VERSION_", "ETNA_LOG_", "ETNA_DEFAULT_TIMEOUT_MS", "ETNA_DEFAULT_LOCK_TIMEOUT_MS", "ETNA_ANSWER_BUFFER_SIZE")


def _statuses() -> dict:
    """The status codes: every integer ETNA_* constant that is not a version,
    a log level or a size (so that a new status code cannot go unnoticed)."""
    return {name[len("ETNA_"):]: value for name, value in _defines().items() if not name.startswith(_NOT_STATUSES)}


def _table() -> list:
    """The rows of bindings/status_codes.json."""
    assert STATUS_TABLE.is_file(), f"no status table at {STATUS_TABLE} (set ETNA_STATUS_CODES)"
    return json.loads(STATUS_TABLE.read_text(encoding="utf-8"))


# -- C declarations -> ctypes --------------------------------------------

_SCALARS = {
    "int": ctypes.c_int,
    # etna_get_token's output buffer (a ctypes string buffer); in a callback,
    # EtnaAskCallback's answer buffer as its address (written in place)
    "char *": (ctypes.c_char_p, ctypes.c_void_p),
    "const char *": ctypes.c_char_p,
    "int64_t": ctypes.c_int64,
    "uint32_t": ctypes.c_uint32,
    "uint64_t": ctypes.c_uint64,
    "size_t": ctypes.c_size_t,
    "void *": ctypes.c_void_p,
    "void": None,
}


def _normalize(ctype: str) -> str:
    """One spelling per C type: ``"const char*"`` -> ``"const char *"``."""
    return " ".join(ctype.replace("*", " * ").split()).replace("* *", "**")


def _param_type(param: str) -> str:
    """``"const EtnaSession *session"`` -> ``"const EtnaSession *"`` (the
    header names every parameter)."""
    tokens = _normalize(param).split(" ")
    assert len(tokens) > 1 and re.fullmatch(r"[A-Za-z_]\w*", tokens[-1]), f"unnamed parameter {param!r}"
    return " ".join(tokens[:-1])


class Declarations:
    """The header's typedefs and function prototypes, parsed."""

    def __init__(self) -> None:
        code = _code(_source())
        code = code.replace('extern "C" {', " ").replace("}", " ")
        self.structs = set()
        self.callbacks = {}  # typedef name -> (return type, [param types])
        self.functions = {}  # name -> (return type, [param types])
        for statement in (" ".join(s.split()) for s in code.split(";")):
            if not statement:
                continue
            struct = re.fullmatch(r"typedef struct (\w+) \w+", statement)
            callback = re.fullmatch(r"typedef ([\w\s\*]+?) ?\( ?\* ?(\w+) ?\) ?\(([^()]*)\)", statement)
            function = re.fullmatch(r"([A-Za-z_][\w\s\*]*?) ?\b(etna_\w+) ?\(([^()]*)\)", statement)
            if struct:
                self.structs.add(struct.group(1))
            elif callback:
                ret, name, params = callback.groups()
                self.callbacks[name] = (_normalize(ret), self._params(params))
            elif function:
                ret, name, params = function.groups()
                self.functions[name] = (_normalize(ret), self._params(params))
            else:
                pytest.fail(f"{HEADER}: a declaration the test does not understand: {statement!r}")

    @staticmethod
    def _params(params: str) -> list:
        params = " ".join(params.split())
        if params in ("", "void"):
            return []
        return [_param_type(p) for p in params.split(",")]

    def ctype(self, ctype: str, where: str):
        """What the binding must declare for the C type ``ctype``: a ctypes
        type, or ``("struct pointer", name)`` / ``("callback", name)``."""
        if ctype in _SCALARS:
            return _SCALARS[ctype]
        match = re.fullmatch(r"(?:const )?(\w+) \*", ctype)
        if match and match.group(1) in self.structs:
            return ("struct pointer", match.group(1))
        if ctype in self.callbacks:
            return ("callback", ctype)
        pytest.fail(f"{where}: the test does not know how to map the C type {ctype!r}: extend _SCALARS")

    def matches(self, binding_type, ctype: str, where: str) -> bool:
        expected = self.ctype(ctype, where)
        if isinstance(expected, tuple) and expected[0] == "struct pointer":
            # The binding's own pointer type to its opaque class for that struct.
            return (
                isinstance(binding_type, type)
                and issubclass(binding_type, ctypes._Pointer)
                and binding_type._type_.__name__ == "_" + expected[1]
            )
        if isinstance(expected, tuple) and expected[0] == "callback":
            ret, params = self.callbacks[expected[1]]
            return (
                isinstance(binding_type, type)
                and issubclass(binding_type, ctypes._CFuncPtr)
                and self.matches(binding_type._restype_, ret, f"{where} -> {expected[1]} result")
                and len(binding_type._argtypes_) == len(params)
                and all(self.matches(b, c, f"{where} -> {expected[1]}") for b, c in zip(binding_type._argtypes_, params))
                # A C function pointer: the cdecl calling convention, no errno games.
                and binding_type._flags_ == ctypes.CFUNCTYPE(None)._flags_
            )
        if isinstance(expected, tuple):
            return binding_type in expected
        return binding_type is expected


@pytest.fixture(scope="module")
def decls() -> Declarations:
    return Declarations()


# -- the tests -------------------------------------------------------------

def test_the_header_parses_into_something_plausible(decls):
    # Guards the parser: an empty parse would make the tests below vacuous.
    assert len(decls.functions) >= 20 and "etna_new" in decls.functions
    assert decls.functions["etna_new"] == ("EtnaSession *", ["const char *", "const char *"])
    assert decls.functions["etna_load_token"][1] == ["EtnaSession *", "const char *", "const char *", "uint32_t"]
    assert decls.structs >= {"EtnaSession", "EtnaSandbox"}
    assert len(_statuses()) >= 10 and _statuses()["OK"] == 0


def test_status_codes_match_the_header():
    header = _statuses()
    binding = {s.name: int(s) for s in Status}
    assert binding == header


def test_every_status_has_its_meaning_in_the_binding():
    for name, value in _statuses().items():
        status = Status(value)
        # The library's own description names the constant.
        assert status.describe().startswith(f"ETNA_{name}:") or status.describe().startswith(f"ETNA_{name} ")
        if value > 0:
            assert etna_auth.Step(value).name == name  # NEED_PIN / NEED_CODE
        elif value < 0:
            cls = _errors._CLASS_FOR_STATUS[status]
            assert issubclass(cls, etna_auth.EtnaError) and cls.default_status is status
            assert cls.__name__ in etna_auth.__all__
    error_classes = [_errors._CLASS_FOR_STATUS[Status(v)] for v in _statuses().values() if v < 0]
    assert len(set(error_classes)) == len(error_classes), "two statuses share an exception class"
    assert set(_errors._CLASS_FOR_STATUS) == {Status(v) for v in _statuses().values() if v < 0}


def test_log_levels_match_the_header():
    header = {name[len("ETNA_LOG_"):]: v for name, v in _defines().items() if name.startswith("ETNA_LOG_")}
    assert header, "no ETNA_LOG_* level in the header"
    assert {level.name: int(level) for level in _log.NativeLevel} == header


def test_version_macros_match_the_library():
    defines = _defines()
    major, minor, patch = (defines[f"ETNA_AUTH_VERSION_{p}"] for p in ("MAJOR", "MINOR", "PATCH"))
    assert defines["ETNA_AUTH_VERSION_NUMBER"] == major * 10000 + minor * 100 + patch
    text = re.search(r'#define\s+ETNA_AUTH_VERSION\s+"([^"]+)"', _source()).group(1)
    assert text == f"{major}.{minor}.{patch}"
    # The library the tests load is the one this header describes.
    assert etna_auth.library_version() == text
    assert etna_auth.library_version_number() == defines["ETNA_AUTH_VERSION_NUMBER"]


def test_every_declared_prototype_matches_the_header(decls):
    mismatches = []
    for name, (restype, argtypes) in _ffi._PROTOTYPES.items():
        if name not in decls.functions:
            mismatches.append(f"{name}: declared by the binding, not in the header")
            continue
        ret, params = decls.functions[name]
        if not decls.matches(restype, ret, f"{name} result"):
            mismatches.append(f"{name}: result {restype} for C {ret!r}")
        if len(argtypes) != len(params):
            mismatches.append(f"{name}: {len(argtypes)} argtypes for {len(params)} C parameters")
            continue
        for i, (binding_type, ctype) in enumerate(zip(argtypes, params)):
            if not decls.matches(binding_type, ctype, f"{name} parameter {i + 1}"):
                mismatches.append(f"{name}: parameter {i + 1} is {binding_type} for C {ctype!r}")
    assert not mismatches, "prototypes that differ from the header:\n" + "\n".join(mismatches)


def test_the_binding_declares_every_function_of_the_header(decls):
    assert sorted(set(decls.functions) - set(_ffi._PROTOTYPES)) == []


def test_the_loaded_library_has_the_declared_prototypes():
    lib = _ffi.lib()
    for name, (restype, argtypes) in _ffi._PROTOTYPES.items():
        func = getattr(lib, name)
        assert func.restype is restype and list(func.argtypes) == list(argtypes), name


def test_the_checker_catches_a_wrong_prototype(decls, monkeypatch):
    # A deliberately wrong declaration must be reported, so the check above
    # is not vacuous.
    wrong = dict(_ffi._PROTOTYPES)
    wrong["etna_set_timeout_ms"] = (ctypes.c_int, [_ffi.SessionPtr, ctypes.c_int])
    wrong["etna_sandbox_url"] = (ctypes.c_char_p, [_ffi.SessionPtr])
    wrong["etna_set_log_callback"] = (
        ctypes.c_int,
        [_ffi.SessionPtr, ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p), ctypes.c_void_p, ctypes.c_int],
    )
    monkeypatch.setattr(_ffi, "_PROTOTYPES", wrong)
    with pytest.raises(AssertionError) as info:
        test_every_declared_prototype_matches_the_header(decls)
    text = str(info.value)
    assert "etna_set_timeout_ms: parameter 2" in text
    assert "etna_sandbox_url: parameter 1" in text
    assert "etna_set_log_callback: parameter 2" in text


# -- the status table: every column Python follows ---------------------------

def test_the_status_table_is_the_header_s_list():
    assert {row["name"][len("ETNA_"):]: row["code"] for row in _table()} == _statuses()


def _class_of(row: dict):
    return _errors._CLASS_FOR_STATUS[Status(row["code"])]


def _first_paragraph(doc: str) -> str:
    return " ".join(inspect.cleandoc(doc).split("\n\n")[0].split())


def test_every_column_of_the_status_table():
    rows = {row["name"]: row for row in _table()}
    for name, row in rows.items():
        status = Status(row["code"])
        assert "ETNA_" + status.name == name
        assert status.describe() == f"{name}: {row['describe']}"
        if row["code"] >= 0:
            assert row["python"] == "" and row["family"] is None
            continue
        cls = _class_of(row)
        # python: the class name, public, and the one error_for() gives
        assert cls.__name__ == row["python"], name
        assert getattr(etna_auth, row["python"]) is cls and row["python"] in etna_auth.__all__
        assert type(_errors.error_for(row["code"], "x")) is cls and cls.default_status is status
        # family: the class of a family member subclasses the family's class
        # (directly); a class without a family has no etna parent but EtnaError.
        parents = [b for b in cls.__bases__ if issubclass(b, etna_auth.EtnaError)]
        if row["family"] is None:
            assert parents == [etna_auth.EtnaError], name
        else:
            assert parents == [_class_of(rows[row["family"]])], name
        # retry
        assert cls.retry_can_help is row["retry"], name
        assert cls("x").retry_can_help is row["retry"]
        # doc: the docstring starts with the table's one-line documentation
        assert _first_paragraph(cls.__doc__) == f"{name}: {row['doc']}", name


def test_the_families_as_in_the_other_bindings():
    # The one the issue found wrong: a timeout is a network error, and
    # catching NetworkError (or ConnectionError) catches it.
    assert issubclass(etna_auth.EtnaTimeoutError, etna_auth.NetworkError)
    assert issubclass(etna_auth.EtnaTimeoutError, ConnectionError)
    assert issubclass(etna_auth.EtnaTimeoutError, TimeoutError)  # the builtin, still


def test_no_public_name_shadows_one_async_code_meets():
    import asyncio
    import builtins

    for name in etna_auth.__all__:
        assert not hasattr(builtins, name) and not hasattr(asyncio, name), name
    # The old names stay as aliases, outside __all__: a star import does not
    # shadow the builtin TimeoutError.
    assert etna_auth.TimeoutError is etna_auth.EtnaTimeoutError
    assert etna_auth.CancelledError is etna_auth.EtnaCancelledError
    namespace: dict = {}
    exec("from etna_auth import *", namespace)
    assert "TimeoutError" not in namespace and "CancelledError" not in namespace


def test_the_default_timeout_is_the_library_s():
    assert _session._DEFAULT_TIMEOUT_MS == _defines()["ETNA_DEFAULT_TIMEOUT_MS"]
    default = inspect.signature(etna_auth.Session).parameters["timeout"].default
    assert default == etna_auth.DEFAULT_TIMEOUT == _defines()["ETNA_DEFAULT_TIMEOUT_MS"] / 1000


def test_the_default_lock_timeout_is_the_library_s():
    assert _session._DEFAULT_LOCK_TIMEOUT_MS == _defines()["ETNA_DEFAULT_LOCK_TIMEOUT_MS"]
    default = inspect.signature(etna_auth.Session).parameters["lock_timeout"].default
    assert default == etna_auth.DEFAULT_LOCK_TIMEOUT == _defines()["ETNA_DEFAULT_LOCK_TIMEOUT_MS"] / 1000


def test_the_answer_buffer_size_is_the_library_s():
    from etna_auth import _login

    assert _login.ANSWER_BUFFER_SIZE == _defines()["ETNA_ANSWER_BUFFER_SIZE"]
