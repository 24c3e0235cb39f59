"""Small helpers shared by tests."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from osspulse.settings import PORT_SETTINGS, REPO_ROOT

TEST_STATE_DIR = REPO_ROOT / ".osspulse-test"


def naive_utc(*args: int) -> datetime:
    """A naive datetime holding UTC wall time (what Spark returns with session time zone UTC)."""
    return datetime(*args, tzinfo=UTC).replace(tzinfo=None)


def files_containing(paths, secrets: list[str]) -> list[str]:
    """``path: which secret`` for every file that contains one of ``secrets`` (values never printed)."""
    from pathlib import Path

    found = []
    needles = [(i, s.encode()) for i, s in enumerate(secrets) if len(s) >= 6]
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError:
            continue
        for index, needle in needles:
            if needle in data:
                found.append(f"{path}: secret #{index}")
    return found


def use_the_test_stack() -> None:
    """Point every setting of this process (and of the services it starts) at the tests' own stack.

    ``OSSPULSE_ENV_FILE`` names ``.osspulse-test/test.env``: the configured settings file (secrets
    included; mode 600) plus the tests' state directory and ports (the configured ones shifted by
    ``OSSPULSE_TEST_PORT_OFFSET``). The state directory is marked disposable: only such a stack's
    pipeline data may be reset by the tests (:func:`osspulse.pipeline.reset_pipeline_data`).
    """
    from osspulse.pipeline import mark_disposable
    from osspulse.settings import env_file, get_settings
    from osspulse.stack import fs

    configured = get_settings()
    offset = int(os.environ.get("OSSPULSE_TEST_PORT_OFFSET", "20000"))
    overrides = {"OSSPULSE_STATE_DIR": str(TEST_STATE_DIR)}
    overrides.update({f"OSSPULSE_{p.upper()}": str(getattr(configured, p) + offset) for p in PORT_SETTINGS})
    source = env_file()
    text = source.read_text() if source.is_file() else ""
    fs.check_state_dir(TEST_STATE_DIR)  # private (710 with the postgres group when root runs it)
    target = TEST_STATE_DIR / "test.env"
    lines = "".join(f"{k}={v}\n" for k, v in overrides.items())
    fs.write_file(target, text + "\n# the tests' own stack (tests/conftest.py)\n" + lines)  # 600, no symlink
    os.environ["OSSPULSE_ENV_FILE"] = str(target)
    for key, value in overrides.items():  # an exported variable would beat the file
        if key in os.environ:
            os.environ[key] = value
    get_settings.cache_clear()
    mark_disposable(get_settings(), "the tests' own stack (tests/conftest.py)")
