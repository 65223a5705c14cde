"""The dxcheck coverage report: every operation of the vendored model answers,
and conforms to it."""
import subprocess
import sys
from pathlib import Path

DXCHECK = Path(__file__).resolve().parent / "dxcheck.py"


def test_dxcheck_coverage(server):
    out = subprocess.run(
        [sys.executable, str(DXCHECK), "coverage", "--endpoint", server.endpoint,
         "--access-key", "888888888888"],
        capture_output=True, text=True, timeout=120,
    ).stdout
    verdicts = {line.split(" ", 2)[1].rstrip(":"): line.split(" ", 1)[0] for line in out.splitlines()
                if line.startswith(("PASS", "FAIL"))}
    assert len(verdicts) == 73, out
    failing = [op for op, verdict in verdicts.items() if verdict != "PASS"]
    assert not failing, out
    assert out.strip().splitlines()[-1] == "73 passed, 0 failed"
