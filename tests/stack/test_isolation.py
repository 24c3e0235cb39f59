"""The tests never touch a developer's stack: they run their own, and only a disposable stack's data may be
reset (issue: demo, tests and real data never mix)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg
import pytest

from osspulse.pipeline import DISPOSABLE_MARKER, PipelineError, reset_pipeline_data
from osspulse.settings import PORT_SETTINGS, REPO_ROOT, get_settings
from tests.helpers import TEST_STATE_DIR


def _configured_settings() -> dict:
    """The settings a developer's `osspulse` command sees: .env, without the tests' environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSSPULSE_")}
    code = (
        "import json; from osspulse.settings import PORT_SETTINGS, get_settings; s = get_settings(); "
        "print(json.dumps({'state_dir': str(s.state_dir), **{p: getattr(s, p) for p in PORT_SETTINGS}}))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_tests_use_their_own_state_directory_and_ports():
    mine, theirs = get_settings(), _configured_settings()
    assert mine.state_dir == TEST_STATE_DIR != REPO_ROOT / theirs["state_dir"]
    for name in PORT_SETTINGS:
        assert getattr(mine, name) != theirs[name], name
    assert not set(getattr(mine, p) for p in PORT_SETTINGS) & set(theirs[p] for p in PORT_SETTINGS)
    assert (TEST_STATE_DIR / DISPOSABLE_MARKER).is_file()


@pytest.mark.integration
def test_a_stack_not_marked_disposable_is_never_reset(stack, tmp_path):
    """A developer's stack (no marker in its state directory) keeps its data: the reset refuses."""
    user = stack.model_copy(update={"state_dir": tmp_path / "someone-elses-stack"})
    with psycopg.connect(stack.pg_dsn(), autocommit=True) as conn:
        conn.execute("create schema if not exists staging")
        conn.execute("create table if not exists staging.canary (note text)")
        conn.execute("insert into staging.canary values ('keep me')")
    try:
        with pytest.raises(PipelineError, match="refusing to delete the pipeline data") as exc:
            reset_pipeline_data(user)
        assert str(user.state_dir) in str(exc.value) and str(stack.pg_port) in str(exc.value)
        with psycopg.connect(stack.pg_dsn()) as conn:
            assert conn.execute("select count(*) from staging.canary").fetchone()[0] >= 1
    finally:
        with psycopg.connect(stack.pg_dsn(), autocommit=True) as conn:
            conn.execute("drop table if exists staging.canary")
