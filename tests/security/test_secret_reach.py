"""No secret within another local user's reach: not on any command line, not in an environment they can read,
not in a file they can read; and the state directory refuses to be one another user prepared."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

import pytest

from osspulse.logs import secret_values
from osspulse.settings import REPO_ROOT
from osspulse.stack import fs, runner
from osspulse.stack.process import StackError
from tests.security.scan import ProcessScanner, files_with_secrets, readable_files

#: files of the state directory that hold a secret by design; each must be private (mode 600). test.env
#: is the tests' own settings file (tests/helpers.py: use_the_test_stack), a copy of .env
SECRET_FILES = ("airflow/passwords.json", "trino/tls/trino-keystore.pem", "test.env")


def installation_secrets(s) -> list[str]:
    return [v for v in secret_values(s) if v and v != "change-me"]


@pytest.mark.integration
def test_no_secret_on_a_command_line_or_a_readable_environment_during_the_run(demo_pipeline):
    """Sampled every 0.2 s during the whole end-to-end run as an unprivileged user: Spark jobs, dbt, tasks."""
    scan: ProcessScanner = demo_pipeline.process_scan
    cmdlines = [x for x in scan.seen if x["kind"] == "cmdline"]
    assert any("spark-submit" in x["text"] or "SparkSubmit" in x["text"] for x in cmdlines), (
        "the scan saw the Spark loads of the run"
    )
    assert any("io.trino.server.TrinoServer" in x["text"] for x in cmdlines), "the scan saw Trino"
    assert any("airflow" in x["text"] for x in cmdlines), "the scan saw Airflow"
    leaks = scan.leaks(installation_secrets(demo_pipeline.settings))
    assert not leaks, leaks


@pytest.mark.integration
def test_the_spark_session_jvm_command_line_holds_no_secret(stack, spark):
    """`osspulse load | maintain | smoke`, tests and benchmarks start Spark through spark_session()."""
    assert spark.sql("select 1").collect()  # the catalog's secrets were set on the running session
    jvms = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if f"PPid:\t{os.getpid()}\n" in status and "org.apache.spark.deploy.SparkSubmit" in cmdline:
                jvms.append(cmdline)
    assert jvms, "the test session's Spark JVM is a child of this process"
    leaks = [f"secret #{i}" for i, v in enumerate(installation_secrets(stack)) if any(v in c for c in jvms)]
    assert not leaks, leaks
    assert spark.sql(f"show namespaces in {stack.catalog_name}").collect() is not None


@pytest.mark.integration
def test_no_readable_secret_file_under_the_state_directory(demo_pipeline):
    s = demo_pipeline.settings
    mode, _group = fs.state_dir_mode()
    assert stat.S_IMODE(os.lstat(s.state_dir).st_mode) == mode  # 700 (710 for postgres as root)
    env = REPO_ROOT / ".env"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    files = readable_files(s.state_dir)
    assert len(files) > 100, "the run left its data and logs in the state directory"
    holding = files_with_secrets(files, installation_secrets(s))
    unexpected = [
        f"{p}: secrets {i}"
        for p, i in holding.items()
        if p.relative_to(s.state_dir).as_posix() not in SECRET_FILES
    ]
    assert not unexpected, unexpected
    for rel in SECRET_FILES:
        path = s.state_dir / rel
        if rel == "test.env" and not path.exists():
            continue  # a stack not started by the tests
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, rel
        for parent in path.relative_to(s.state_dir).parents:
            if parent != Path("."):
                assert stat.S_IMODE(os.lstat(s.state_dir / parent).st_mode) == 0o700, parent


# --- the state directory ------------------------------------------------------------------------------


def other_user() -> pwd.struct_passwd:
    return pwd.getpwnam("nobody")


@pytest.fixture
def isolated(settings):
    """Settings on a fresh state directory with free ports (nothing is started: every check comes first)."""
    import socket

    def free() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    import shutil
    import tempfile

    # under /tmp, which PostgreSQL's user can traverse (pytest's tmp_path is root's alone)
    base = Path(tempfile.mkdtemp(prefix="osspulse-state-test-", dir="/tmp"))
    base.chmod(0o755)
    yield settings.model_copy(
        update={"state_dir": base / "state", "pg_port": free(), "streamlit_port": free()}
    )
    shutil.rmtree(base, ignore_errors=True)


def test_a_state_directory_prepared_by_another_user_is_refused(isolated):
    planted = isolated.state_dir
    planted.mkdir()
    (planted / "airflow" / "plugins").mkdir(parents=True)
    (planted / "airflow" / "plugins" / "evil.py").write_text("import os  # would run as the stack's user\n")
    if os.geteuid() == 0:
        for path in (planted, planted / "airflow", planted / "airflow" / "plugins"):
            os.chown(path, other_user().pw_uid, other_user().pw_gid)
        s = isolated
        expected = r"refusing the state directory .* it belongs to nobody, not to root"
    else:  # not root: a directory of root's stands in for another user's
        s = isolated.model_copy(update={"state_dir": Path("/")})
        expected = r"refusing the state directory .* it belongs to root"
    with pytest.raises(StackError, match=expected):
        runner.up(s, only=["airflow"])
    assert not (planted / "logs").exists(), "nothing was written into it"


def test_a_state_directory_writable_by_others_is_refused(isolated):
    isolated.state_dir.mkdir()
    isolated.state_dir.chmod(0o777)
    with pytest.raises(StackError, match=r"writable by others \(mode 777\).*chmod 700"):
        runner.up(isolated, only=["streamlit"])


def test_a_new_state_directory_is_private_from_the_start(isolated):
    runner.prepare_state_dir(isolated)
    mode, group = fs.state_dir_mode()
    st = os.lstat(isolated.state_dir)
    assert stat.S_IMODE(st.st_mode) == mode and (group is None or st.st_gid == group)
    for sub in ("logs", "run"):
        assert stat.S_IMODE(os.lstat(isolated.state_dir / sub).st_mode) == 0o700


def test_a_symlinked_postgres_directory_is_never_chowned(isolated, tmp_path):
    target = tmp_path / "victim"
    target.mkdir()
    before = os.lstat(target)
    runner.prepare_state_dir(isolated)
    (isolated.state_dir / "postgres").symlink_to(target)
    with pytest.raises(StackError, match=r"postgres: it is a symlink"):
        runner.up(isolated, only=["postgres"])
    after = os.lstat(target)
    assert (after.st_uid, after.st_gid, after.st_mode) == (before.st_uid, before.st_gid, before.st_mode)


def test_a_symlinked_secret_file_is_replaced_not_followed(tmp_path):
    """A symlinked run/.pwfile (or passwords.json, or a log) must not capture what the stack writes."""
    capture = tmp_path / "capture"
    capture.write_text("")
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    (run / ".pwfile").symlink_to(capture)
    fs.write_file(run / ".pwfile", "the-password\n", mode=0o600)
    assert capture.read_text() == ""
    assert not (run / ".pwfile").is_symlink()
    assert stat.S_IMODE((run / ".pwfile").stat().st_mode) == 0o600
    (run / "x.log").symlink_to(capture)
    with pytest.raises(fs.UnsafeStateError, match="symlink"):
        fs.open_append(run / "x.log")
    assert capture.read_text() == ""


def test_secret_files_are_private_from_their_first_byte(tmp_path, monkeypatch):
    """Created with their final mode (O_EXCL, then renamed), not written and then chmod-ed."""
    modes = []
    real_open = os.open

    def spy(path, flags, mode=0o777, *args, **kwargs):
        if flags & os.O_CREAT:
            modes.append(mode)
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    fs.write_file(tmp_path / "passwords.json", "{}", mode=0o600)
    assert modes == [0o600]
    from osspulse import install

    monkeypatch.setattr(install, "REPO_ROOT", tmp_path)
    (tmp_path / ".env.template").write_text("OSSPULSE_PG_PASSWORD=change-me\n")
    install.step_env_file(tmp_path)
    assert modes == [0o600, 0o600]
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600
