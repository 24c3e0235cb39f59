"""`make setup` keeps one venv per checkout in the cache and removes those of deleted checkouts."""

from __future__ import annotations

from pathlib import Path

from osspulse.install import prune_venvs


def make_venv(cache: Path, name: str, checkout: Path | None) -> Path:
    venv = cache / "venvs" / name
    venv.mkdir(parents=True)
    if checkout is not None:
        (venv / ".osspulse-checkout").write_text(str(checkout))
    return venv


def test_only_the_venvs_of_deleted_checkouts_are_removed(tmp_path: Path):
    live = tmp_path / "live-clone"
    live.mkdir()
    (live / "pyproject.toml").write_text("[project]\nname = 'osspulse'\n")
    cache = tmp_path / "cache"
    keep = make_venv(cache, "py311-aaaa", tmp_path / "gone-but-current")
    other_live = make_venv(cache, "py311-bbbb", live)
    gone = make_venv(cache, "py311-cccc", tmp_path / "deleted-ci-clone")
    unmarked = make_venv(cache, "py311-dddd", None)  # made before checkouts were recorded

    assert prune_venvs(cache, keep=keep) == 1
    assert not gone.exists()
    assert keep.exists() and other_live.exists() and unmarked.exists()
