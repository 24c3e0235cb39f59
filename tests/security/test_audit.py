"""The dependency audit's verdict: unaccepted findings fail; accepted ones need a live review date."""

from __future__ import annotations

from datetime import date

from osspulse import audit

REPORT = {
    "dependencies": [
        {"name": "Jinja2", "version": "3.1.4", "vulns": [{"id": "GHSA-1", "fix_versions": ["3.1.5"]}]},
        {"name": "requests", "version": "2.31.0", "vulns": [{"id": "GHSA-2", "fix_versions": []}]},
        {"name": "six", "version": "1.16.0", "vulns": []},
        {"name": "a2wsgi", "skip_reason": "Dependency not found on PyPI"},
    ]
}


def test_unaccepted_findings_fail_and_skips_are_counted():
    bad, ok, skipped = audit.evaluate(REPORT, {})
    assert bad == ["Jinja2 3.1.4: GHSA-1 (fixed in 3.1.5)", "requests 2.31.0: GHSA-2 (fixed in -)"]
    assert ok == [] and skipped == 1


def test_accepted_findings_carry_their_reason():
    allowed = {("jinja2", "GHSA-1"): {"why": "templates are ours", "review_by": "2027-01-01"}}
    bad, ok, _ = audit.evaluate(REPORT, allowed)
    assert [b.split(":")[0] for b in bad] == ["requests 2.31.0"]
    assert ok == ["Jinja2 3.1.4: GHSA-1 (fixed in 3.1.5) — accepted: templates are ours"]


def test_an_expired_acceptance_no_longer_counts(tmp_path, monkeypatch):
    accepted = tmp_path / "known.toml"
    accepted.write_text(
        '[[accepted]]\nid = "GHSA-1"\npackage = "Jinja2"\nwhy = "x"\nreview_by = "2026-01-31"\n'
    )
    monkeypatch.setattr(audit, "ACCEPTED", accepted)
    assert audit.accepted(date(2026, 1, 31)) != {}
    assert audit.accepted(date(2026, 2, 1)) == {}


def test_an_audit_that_looked_up_nothing_fails_unless_the_machine_is_declared_offline(capsys):
    assert audit.exit_code(bad=0, total=227, skipped=10, is_offline=False) == 0
    assert audit.exit_code(bad=1, total=227, skipped=10, is_offline=True) == 1
    assert audit.exit_code(bad=0, total=227, skipped=227, is_offline=False) == 1
    assert "none of the 227 locked packages could be audited" in capsys.readouterr().err
    assert audit.exit_code(bad=0, total=0, skipped=0, is_offline=False) == 1  # an empty report proves nothing
    assert audit.exit_code(bad=0, total=227, skipped=227, is_offline=True) == 0
    assert "OFFLINE (OSSPULSE_AUDIT_OFFLINE=true)" in capsys.readouterr().err
