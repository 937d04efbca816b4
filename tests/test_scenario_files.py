"""A malformed scenario file gets one clear line per problem: the file, the field, what was
wrong and what was expected; never a parser traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warroom.scenarios.files import ScenarioFileError, load, validate

ROOT = Path(__file__).resolve().parents[1]
GOOD = "title: t\ntopology: shop\ntier: easy\nfaults:\n  - type: scaled_to_zero\n    target: auth\n"

CASES = {  # file name, content (None: a directory), words the one problem must contain
    "syntax.yaml": ("faults: [\n", ["(file)", "not valid YAML", "line 2"]),
    "syntax.json": ('{"title": ', ["(file)", "not valid JSON", "line 1"]),
    "empty.yaml": ("", ["(file)", "empty", "mapping"]),
    "list.yaml": ("- a\n- b\n", ["(file)", "mapping", "list"]),
    "binary.yaml": (b"\xff\xfe\x00", ["(file)", "UTF-8"]),
    "folder.yaml": (None, ["(file)", "directory"]),
    "fault.yaml": (GOOD.replace("scaled_to_zero", "scaled_to_zro"),
                   ["faults[0].type", "scaled_to_zro", "did you mean 'scaled_to_zero'"]),
    "target.yaml": (GOOD.replace("auth", "nowhere"), ["faults[0].target", "valid:", "auth"]),
    "tier.yaml": (GOOD.replace("easy", "3"), ["tier", "'easy', 'medium' or 'hard'", "got 3"]),
    "field.yaml": (GOOD + "budget: 9\n", ["budget", "did you mean 'step_budget'"]),
    "nested.yaml": (GOOD + "    onset_min: soon\n", ["faults[0].onset_min", "got 'soon'"]),
}


def _write(tmp_path: Path, name: str, content: str | bytes | None) -> Path:
    path = tmp_path / name
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def test_the_good_file_loads(tmp_path: Path) -> None:
    assert validate(_write(tmp_path, "good.yaml", GOOD)) == []
    assert load(tmp_path / "good.yaml").faults[0].target == "auth"


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_problem_names_field_and_expectation(tmp_path: Path, name: str) -> None:
    content, words = CASES[name]
    path = _write(tmp_path, name, content)
    problems = validate(path)
    assert len(problems) == 1, problems
    for word in words:
        assert word in problems[0], (word, problems[0])
    assert "\n" not in problems[0] and len(problems[0]) < 400
    with pytest.raises(ScenarioFileError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: ") and info.value.problems == problems


def test_missing_file(tmp_path: Path) -> None:
    assert validate(tmp_path / "absent.yaml") == [f"(file): {tmp_path / 'absent.yaml'} "
                                                  "does not exist"]


@pytest.mark.parametrize("name,field", [("binary.yaml", "(file)"), ("folder.yaml", "(file)"),
                                        ("syntax.yaml", "(file)"), ("field.yaml", "budget")])
def test_validate_command_prints_problems_without_traceback(tmp_path: Path, name: str,
                                                            field: str) -> None:
    path = _write(tmp_path, name, CASES[name][0])
    proc = subprocess.run([sys.executable, "-m", "warroom", "validate", str(path)], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"{path}: {field}: ") and len(proc.stderr.splitlines()) == 1
