"""Package-level promises: light import, allocator opt-out."""

import subprocess
import sys


def run_python(code: str, **env) -> str:
    import os

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, **env}, check=True)
    return result.stdout.strip()


def test_import_sweepnet_does_not_import_heavy_libraries():
    loaded = run_python(
        "import sys, sweepnet; "
        "print(sorted(m for m in ('sklearn', 'matplotlib', 'pandas', 'hydra', 'scipy') "
        "if m in sys.modules))"
    )
    assert loaded == "[]"


def test_heap_padding_can_be_turned_off():
    code = "from sweepnet._allocator import keep_heap_padding as k; print(k())"
    assert run_python(code, SWEEPNET_MALLOC_TOP_PAD="0") == "False"
    if sys.platform.startswith("linux"):
        assert run_python(code) in ("True", "False")  # glibc says True; other libcs False
