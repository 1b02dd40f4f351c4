"""Shared test fixtures: paths to ../shared/fixtures (skip cleanly when absent) and thread pinning."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """``../shared/fixtures``; tests that need it skip when a user's clone has no ``shared/``."""
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present (only the developers' checkout has it)")
    return FIXTURES


@pytest.fixture
def world_copy(fixtures_dir: Path, tmp_path: Path):
    """Factory: copy a fixture world into tmp_path (opening a world writes session.lock)."""

    def _copy(name: str) -> Path:
        src = fixtures_dir / "worlds" / name
        dst = tmp_path / name
        shutil.copytree(src, dst)
        for p in dst.rglob("*"):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        return dst

    return _copy


@pytest.fixture
def one_thread():
    """One torch thread for the test (the same float order on a busy machine), restored after."""
    import torch  # noqa: PLC0415 - not every test needs torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
