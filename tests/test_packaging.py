"""The wheel carries the data files and the console script works (STYLE.md point 14)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis",
                              ".pytest_cache", "test-output", "*.db", "*.db-*")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Build from a copy: an in-tree build would leave build/ and egg-info behind in the checkout.
    source = tmp_path_factory.mktemp("source") / "borderwatch"
    shutil.copytree(REPO, source, ignore=SKIP)
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "--quiet", "-w", str(out), str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (path,) = out.glob("borderwatch-*.whl")
    return path


@pytest.fixture(scope="module")
def names(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_carries_every_gazetteer_csv(names):
    shipped = {f"geodata/data/{p.name}" for p in (REPO / "geodata" / "data").glob("*.csv")}
    assert {"geodata/data/crossings.csv", "geodata/data/provinces.csv", "geodata/data/parties.csv"} <= shipped
    assert shipped <= names


def test_wheel_carries_sources_and_demo_reports(names):
    assert "geodata/data/SOURCES.md" in names
    assert "dashboard/demo/reports.jsonl" in names


def test_wheel_declares_the_console_script(wheel, names):
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(entry_points).decode()
    assert "borderwatch = dashboard.cli:main" in text


def test_wheel_data_matches_the_source_tree(wheel):
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("geodata/data/crossings.csv") == (REPO / "geodata/data/crossings.csv").read_bytes()


@pytest.mark.parametrize("args", [["--help"], ["gazetteer", "--help"], ["export", "--help"]])
def test_console_script_help_runs(args):
    script = Path(sys.executable).with_name("borderwatch")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "dashboard.cli"]
    done = subprocess.run([*command, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout
