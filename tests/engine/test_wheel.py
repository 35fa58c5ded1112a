"""Build the wheel, install it into a fresh venv outside the repo, run the console script from there."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_wheel_installs_and_runs_outside_the_repo(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(REPO),
        ],
        check=True,
        timeout=240,
        cwd=tmp_path,
    )
    wheel = next(dist.glob("ccwb_doctor-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"ccwb_doctor"}  # no generic top-level names
    for must in (
        "ccwb_doctor/checks/config.py",
        "ccwb_doctor/fixtures/scenarios.py",
        "ccwb_doctor/reference_helper/__init__.py",
        "ccwb_doctor/reference_infra/__init__.py",
        "ccwb_doctor/schema/report-v1.json",
        "ccwb_doctor/data/inference_profiles.json",
        "ccwb_doctor/reference_infra/templates/auth.yaml",
        "ccwb_doctor/pytest_plugin.py",
    ):
        assert must in names, must
    eps = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(eps).decode()
    assert "[pytest11]\nccwb_doctor = ccwb_doctor.pytest_plugin" in text  # pytest loads the plugin from here
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    # --no-deps: start-up, --version and the catalog must need no third-party import at all
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, timeout=240)
    exe = venv / "bin" / "ccwb-doctor"
    p = subprocess.run([str(exe), "--version"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert p.returncode == 0 and p.stdout.startswith("ccwb-doctor "), p.stderr
    p = subprocess.run([str(exe), "checks"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert p.returncode == 0 and "CONFIG-PROFILE" in p.stdout, p.stderr
    p = subprocess.run(
        [str(py), "-c", "import ccwb_doctor, sys; print(ccwb_doctor.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert str(venv) in p.stdout and str(REPO) not in p.stdout
