"""Where the package looks for libdfx: an explicit path, DFX_LIBRARY, next
to the package, a source checkout, then the system. Needs the library
(DFX_LIBRARY) but no sandbox."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import dfx
from dfx import _native as native

LIBRARY = os.environ["DFX_LIBRARY"]


def candidates(env, path=None):
    saved = os.environ.get("DFX_LIBRARY")
    try:
        if env is None:
            os.environ.pop("DFX_LIBRARY", None)
        else:
            os.environ["DFX_LIBRARY"] = env
        return native.library_candidates(path)
    finally:
        if saved is not None:
            os.environ["DFX_LIBRARY"] = saved


class LoadingTest(unittest.TestCase):
    def test_order(self):
        self.assertEqual(candidates("/env/libdfx.so", "/explicit/libdfx.so"), [("explicit path", "/explicit/libdfx.so")])
        self.assertEqual(candidates("/env/libdfx.so"), [("DFX_LIBRARY", "/env/libdfx.so")])
        found = candidates(None)
        wheres = [where for where, _ in found]
        self.assertEqual(wheres[0], "next to the package")
        self.assertEqual(found[0][1], str(Path(dfx.__file__).resolve().parent / native.LIBRARY_NAMES[0]))
        self.assertEqual(wheres[-1], "system")
        self.assertEqual(wheres, sorted(wheres, key=["next to the package", "source checkout", "system"].index))

    def test_an_explicit_path_wins_and_a_wrong_one_is_an_error(self):
        self.assertEqual(dfx.version(LIBRARY), dfx.version())
        with self.assertRaises(dfx.LibraryNotFound) as ctx:
            dfx.load_library("/nonexistent/libdfx.so")
        self.assertIn("/nonexistent/libdfx.so", str(ctx.exception))
        with self.assertRaises(dfx.LibraryNotFound):
            dfx.client(url="http://127.0.0.1:1", library="/nonexistent/libdfx.so")

    def run_python(self, code, env_library):
        env = dict(os.environ)
        env.pop("DFX_LIBRARY", None)
        env.pop("LD_LIBRARY_PATH", None)
        if env_library:
            env["DFX_LIBRARY"] = env_library
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)

    def test_a_library_next_to_the_package_is_found(self):
        # A copy of the package with the library beside it, as a platform wheel would bundle it.
        with tempfile.TemporaryDirectory() as tmp:
            package = Path(tmp) / "dfx"
            shutil.copytree(Path(dfx.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
            shutil.copy(LIBRARY, package / native.LIBRARY_NAMES[0])
            code = (f"import sys; sys.path.insert(0, {tmp!r}); import dfx; lib = dfx.load_library();"
                    "print(lib._name); print(dfx.version())")
            out = self.run_python(code, None)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(out.stdout.split()[0], str(package / native.LIBRARY_NAMES[0]))
            # DFX_LIBRARY still wins over the bundled copy.
            out = self.run_python(code, LIBRARY)
            self.assertEqual(out.stdout.split()[0], LIBRARY, out.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
