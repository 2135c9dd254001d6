"""The package's ctypes declarations are the header's, type by type: every
function of include/dfx.h is declared with the matching argtypes and
restype, every callback type with the matching CFUNCTYPE, every integer
constant with its value, and nothing is declared that the header lacks.

A function added to the header fails here until its one line is added to
FUNCTIONS in python/dfx/_native.py; a C type this file does not know fails
until it is added to C_TYPES below. Needs no library and no sandbox."""
import ctypes
import re
import unittest
from ctypes import (POINTER, c_char, c_char_p, c_int32, c_int64, c_size_t, c_uint8, c_uint16, c_uint32, c_uint64,
                    c_void_p)
from pathlib import Path

import dfx
from dfx import _native as native

ROOT = Path(__file__).resolve().parents[2]
HEADER = (ROOT / "include" / "dfx.h").read_text()

# C type (normalized: "const char*", "DfxClient**") -> ctypes type. Pointers to
# these are derived (T* -> POINTER(T), const dropped) unless listed here.
C_TYPES = {
    "void": None,
    "DfxStatus": c_int32,
    "DfxSessionField": c_int32,
    "DfxTokenKind": c_int32,
    "DfxChunkPosition": c_uint32,
    "int32_t": c_int32,
    "uint8_t": c_uint8,
    "uint16_t": c_uint16,
    "uint32_t": c_uint32,
    "uint64_t": c_uint64,
    "int64_t": c_int64,
    "size_t": c_size_t,
    "void*": c_void_p,
    "const char*": c_char_p,       # borrowed strings, in and out
    "char*": POINTER(c_char),      # strings handed out to be freed with dfx_string_free
    "DfxClient": native.DfxClient,
    "DfxResponse": native.DfxResponse,
    "DfxStream": native.DfxStream,
    "DfxStreamEvent": native.DfxStreamEvent,
    "DfxStreamStats": native.DfxStreamStats,
}


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def normalize(c_type):
    c_type = " ".join(c_type.replace("*", " * ").split())
    return c_type.replace(" *", "*")


def split_param(param):
    """'const char *token' -> 'const char*'; a bare type stays as it is."""
    param = normalize(param)
    m = re.fullmatch(r"(.*?[\w*])\s*\b([a-z_][a-z0-9_]*)", param)
    if m and m.group(1) not in ("const", "unsigned"):
        return normalize(m.group(1))
    return param


def ctype(c_type, function_types):
    c_type = normalize(c_type)
    if c_type in C_TYPES:
        return C_TYPES[c_type]
    if c_type in function_types:
        return getattr(native, c_type)
    if c_type.endswith("*"):
        base = c_type[:-1]
        if base.startswith("const "):
            base = base[len("const "):]
        target = ctype(base, function_types)
        return c_void_p if target is None else POINTER(target)
    raise AssertionError(f"unknown C type {c_type!r}: add it to C_TYPES in {Path(__file__).name}")


def parse_params(params):
    params = params.strip()
    if params in ("", "void"):
        return []
    return [split_param(p) for p in params.split(",")]


def header_function_types():
    """typedef R (*Name)(params); -> {Name: (R, [param types])}"""
    found = {}
    for ret, name, params in re.findall(r"typedef\s+([\w\s*]+?)\s*\(\s*\*\s*(\w+)\s*\)\s*\(([^)]*)\)\s*;",
                                        strip_comments(HEADER)):
        found[name] = (normalize(ret), parse_params(params))
    return found


def header_functions():
    """Every prototype between extern "C" { and its closing brace."""
    body = strip_comments(HEADER)
    body = body[body.index('extern "C" {') + len('extern "C" {'):]
    body = re.sub(r"^\s*#[^\n]*", "", body, flags=re.M)
    found = {}
    for statement in body.split(";"):
        m = re.fullmatch(r"\s*(?:DFX_API\s+)?(?P<ret>[\w\s*]+?)\s*\b(?P<name>dfx_\w+)\s*\((?P<params>[^)]*)\)\s*",
                         statement, flags=re.S)
        if m:
            found[m.group("name")] = (normalize(m.group("ret")), parse_params(m.group("params")))
    return found


def header_constants():
    return {name: int(value) for name, value in
            re.findall(r"^#define\s+(DFX_\w+)\s+(-?\d+)\s*$", HEADER, flags=re.M)
            if not name.startswith("DFX_VERSION_")}


class DeclarationsTest(unittest.TestCase):
    def test_the_parser_sees_the_whole_header(self):
        names = set(re.findall(r"\b(dfx_[a-z0-9_]+)\(", strip_comments(HEADER)))
        self.assertEqual(set(header_functions()), names)
        self.assertGreaterEqual(len(names), 36)

    def test_every_function_is_declared_and_nothing_else(self):
        header = set(header_functions())
        declared = set(native.FUNCTIONS)
        self.assertEqual(sorted(header - declared), [], "in include/dfx.h but not in python/dfx/_native.py FUNCTIONS")
        self.assertEqual(sorted(declared - header), [], "in python/dfx/_native.py FUNCTIONS but not in include/dfx.h")

    def test_every_signature_matches_the_header(self):
        function_types = header_function_types()
        for name, (ret, params) in header_functions().items():
            with self.subTest(name):
                restype, argtypes = native.FUNCTIONS[name]
                self.assertIs(restype, ctype(ret, function_types), f"{name}: restype for {ret}")
                self.assertEqual(len(argtypes), len(params), f"{name}: number of arguments")
                for i, (declared, c_type) in enumerate(zip(argtypes, params)):
                    self.assertIs(declared, ctype(c_type, function_types), f"{name}: argument {i} ({c_type})")

    def test_every_callback_type_matches_the_header(self):
        function_types = header_function_types()
        self.assertIn("DfxSessionListener", function_types)
        for name, (ret, params) in function_types.items():
            with self.subTest(name):
                cfunctype = getattr(native, name, None)
                self.assertIsNotNone(cfunctype, f"python/dfx/_native.py lacks the CFUNCTYPE {name}")
                self.assertTrue(issubclass(cfunctype, ctypes._CFuncPtr))
                self.assertIs(cfunctype._restype_, ctype(ret, function_types))
                self.assertEqual(list(cfunctype._argtypes_), [ctype(p, function_types) for p in params])

    def test_the_loaded_library_gets_every_declaration(self):
        class FakeFunction:
            restype = argtypes = "unset"

        class FakeLibrary:
            _name = "fake"

            def __init__(self):
                for name in native.FUNCTIONS:
                    setattr(self, name, FakeFunction())

        lib = native.declare(FakeLibrary())
        for name, (restype, argtypes) in native.FUNCTIONS.items():
            self.assertEqual((getattr(lib, name).restype, getattr(lib, name).argtypes), (restype, argtypes))
        partial = FakeLibrary()
        del partial.dfx_version
        with self.assertRaises(dfx.LibraryNotFound):
            native.declare(partial)

    def test_constants_match_the_header(self):
        self.assertEqual(native.CONSTANTS, header_constants())
        for name, value in native.CONSTANTS.items():
            self.assertEqual(getattr(dfx, name), value)
        fields = sorted((v, k) for k, v in native.CONSTANTS.items() if k.startswith("DFX_SESSION_"))
        # SESSION_FIELDS is in DFX_SESSION_* order, by the header's JSON keys.
        for (value, name), key in zip(fields, dfx.SESSION_FIELDS):
            doc = re.search(r'/\*\*((?:(?!\*/).)*?)\*/\s*#define ' + name + r"\b", HEADER, flags=re.S).group(1)
            self.assertIn(f'JSON key "{key}"', doc, name)
        self.assertEqual(len(fields), len(dfx.SESSION_FIELDS))

    def test_versions_agree(self):
        header = re.search(r'#define DFX_VERSION_STRING "([^"]+)"', HEADER).group(1)
        cargo = re.search(r'^version = "([^"]+)"', (ROOT / "Cargo.toml").read_text(), flags=re.M).group(1)
        pyproject = re.search(r'^version = "([^"]+)"', (ROOT / "python" / "pyproject.toml").read_text(),
                              flags=re.M).group(1)
        self.assertEqual((header, pyproject, dfx.__version__), (cargo, cargo, cargo))


if __name__ == "__main__":
    unittest.main(verbosity=2)
