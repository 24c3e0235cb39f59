"""Alert rules: who hears about what, read from ``alerts.yml`` beside the tracked set (or the tracked
set's own ``alerts:`` section, or the file ``OSSPULSE_ALERT_RULES`` names)::

    recipients:
      data-team: {email: [data-team@example.org]}
      chat: {webhook: true}               # the connection osspulse_webhook (OSSPULSE_ALERTS_WEBHOOK_URL)
    rules:
      - name: pyiceberg-downloads-fell
        kind: downloads_change
        project: pyiceberg                # or group: NAME; neither = every tracked subject
        direction: drop
        threshold_pct: 20
        notify: [data-team]               # default: every recipient

Every problem names the file, the line and what to change (:class:`AlertRulesError`), like
:mod:`osspulse.tracked`. The rules reach dbt as the generated seed ``alert_rules.csv``
(:func:`seed_csv`); the recipients stay in Python (delivery routes each event by its rule).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from osspulse.tracked import Tracked, load_tracked

SEED = "alert_rules.csv"
#: columns of the ``alert_rules`` seed, in order (dbt_project/models/bronze/_seeds.yml types them)
SEED_COLUMNS = (
    "rule",
    "kind",
    "scope_type",
    "scope",
    "source",
    "items",
    "direction",
    "threshold",
    "days",
    "min_items",
    "include_prereleases",
    "python_version",
)
DEFAULT_WEBHOOK_CONN = "osspulse_webhook"
SMTP_CONN = "osspulse_smtp"

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
CONN_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
EMAIL_RE = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
PYTHON_RE = re.compile(r"^[23]\.[0-9]{1,2}$")


class AlertRulesError(ValueError):
    """The alert rules are invalid; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class Recipient:
    name: str
    #: e-mail addresses (one message to all of them), or empty for a webhook recipient
    emails: tuple[str, ...] = ()
    #: the Airflow connection of a webhook recipient (its URL is a secret: it lives in the connection)
    webhook_conn_id: str | None = None

    @property
    def channel(self) -> str:
        return "webhook" if self.webhook_conn_id else "email"


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    scope_type: str  # all | project | group
    scope: str | None
    #: seed column -> value (thresholds in the unit of the value the rule compares: ratios for shares)
    params: dict[str, Any]
    notify: tuple[str, ...]
    line: int
    description: str = ""

    def seed_row(self) -> dict[str, Any]:
        row = {c: None for c in SEED_COLUMNS}
        row.update(
            rule=self.name, kind=self.kind, scope_type=self.scope_type, scope=self.scope, **self.params
        )
        return row


@dataclass(frozen=True)
class AlertConfig:
    recipients: dict[str, Recipient] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    source: str = "<none>"

    def recipients_of(self, rule: str) -> tuple[str, ...]:
        for r in self.rules:
            if r.name == rule:
                return r.notify
        return ()

    def rules_for(self, recipient: str) -> tuple[str, ...]:
        return tuple(r.name for r in self.rules if recipient in r.notify)


# --- the kinds ----------------------------------------------------------------------------------------

Parser = Callable[["_Ctx", yaml.Node, str], Any]


@dataclass(frozen=True)
class Param:
    key: str
    column: str
    parse: Parser
    default: Any = None
    required: bool = False


@dataclass(frozen=True)
class Kind:
    name: str
    #: what the rule is about: repository, package (a project contributes its repo or package), source
    subjects: tuple[str, ...]
    params: tuple[Param, ...]
    summary: str


def _choice(*values: str) -> Parser:
    def parse(ctx: _Ctx, node: yaml.Node, what: str) -> str:
        value = ctx.scalar(node, what)
        if value not in values:
            raise ctx.fail(node, f"{what} is {value!r}; use one of {', '.join(values)}")
        return value

    return parse


def _number(low: float, high: float | None = None, *, integer: bool = False, scale: float = 1.0) -> Parser:
    def parse(ctx: _Ctx, node: yaml.Node, what: str) -> float | int:
        text = ctx.scalar(node, what)
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            kind = "a whole number" if integer else "a number"
            raise ctx.fail(node, f"{what} must be {kind}, not {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            raise ctx.fail(node, f"{what} is {value:g}; it must be {bounds}")
        return value / scale if scale != 1.0 else value

    return parse


def _boolean(ctx: _Ctx, node: yaml.Node, what: str) -> bool:
    text = ctx.scalar(node, what).lower()
    if text not in ("true", "false", "yes", "no"):
        raise ctx.fail(node, f"{what} must be true or false, not {text!r}")
    return text in ("true", "yes")


def _python(ctx: _Ctx, node: yaml.Node, what: str) -> str:
    value = ctx.scalar(node, what)
    if not PYTHON_RE.match(value):
        raise ctx.fail(node, f'{what} {value!r} is not a Python minor version like "3.13" (quote it)')
    return value


def _days_1_or_7(ctx: _Ctx, node: yaml.Node, what: str) -> int:
    value = _number(1, 7, integer=True)(ctx, node, what)
    if value not in (1, 7):
        raise ctx.fail(
            node,
            f"{what} is {value}; gold measures responses within 1 day (24 hours) and 7 days "
            "(issue_responsiveness_monthly): use 1 or 7",
        )
    return value


PCT = _number(0, 100, scale=100.0)
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "new_release",
            ("repository", "package"),
            (
                Param("source", "source", _choice("github", "pypi", "any"), "any"),
                Param("prereleases", "include_prereleases", _boolean, False),
                Param("within_days", "days", _number(1, 90, integer=True), 7),
            ),
            "a GitHub release or PyPI version published within the last `within_days` days",
        ),
        Kind(
            "downloads_change",
            ("package",),
            (
                Param("direction", "direction", _choice("drop", "rise", "any"), "drop"),
                Param("threshold_pct", "threshold", _number(0, 1000, scale=100.0), required=True),
            ),
            "downloads of the latest complete week changed beyond threshold_pct against the week before",
        ),
        Kind(
            "unanswered_share",
            ("repository",),
            (
                Param("items", "items", _choice("issues", "pull_requests", "both"), "both"),
                Param("after_days", "days", _days_1_or_7, 7),
                Param("threshold_pct", "threshold", PCT, required=True),
                Param("min_items", "min_items", _number(1, integer=True), 1),
            ),
            "share of last complete month's items without a first response after N days above a threshold",
        ),
        Kind(
            "absence_factor",
            ("repository",),
            (Param("at_most", "threshold", _number(1, 1000, integer=True), required=True),),
            "contributor absence factor of the last complete month at or below at_most",
        ),
        Kind(
            "python_version_share",
            ("package",),
            (
                Param("python_version", "python_version", _python),
                Param("direction", "direction", _choice("above", "below"), "above"),
                Param("threshold_pct", "threshold", PCT, required=True),
            ),
            "a Python version's share of downloads (among those that say) crossed threshold_pct",
        ),
        Kind(
            "stars_gained",
            ("repository",),
            (Param("more_than", "threshold", _number(0, integer=True), required=True),),
            "stars gained in the latest complete week above more_than",
        ),
        Kind(
            "data_stale",
            ("source",),
            (
                Param("source", "source", _choice("github", "pypistats", "pypi", "any"), "any"),
                Param("days", "threshold", _number(0.01, 365), required=True),
            ),
            "a source (GitHub, pypistats, PyPI) not loaded for more than `days` days",
        ),
    )
}
COMMON_KEYS = ("name", "kind", "project", "group", "notify", "description")


# --- parsing ------------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    source: str

    def fail(self, node: yaml.Node, problem: str) -> AlertRulesError:
        return AlertRulesError(f"{self.source} line {node.start_mark.line + 1}: {problem}")

    def scalar(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null" or node.value == "":
            raise self.fail(node, f"{what} must be a non-empty value")
        return str(node.value)

    def mapping(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping (key: value lines)")
        items, seen = [], set()
        for key_node, value_node in node.value:
            key = self.scalar(key_node, f"a key of {what}")
            if key in seen:
                raise self.fail(key_node, f"`{key}` appears twice in {what}")
            seen.add(key)
            items.append((key, key_node, value_node))
        return items

    def string_list(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node]]:
        if isinstance(node, yaml.ScalarNode):
            return [(self.scalar(node, what), node)]
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.fail(node, f"{what} must be a value or a non-empty list of values")
        return [(self.scalar(item, f"{what}[{i}]"), item) for i, item in enumerate(node.value)]


def _compose(text: str, source: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source} line {mark.line + 1} column {mark.column + 1}" if mark else source
        raise AlertRulesError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise AlertRulesError(f"{source}: invalid YAML: {exc}") from None


def _recipient(ctx: _Ctx, name: str, name_node: yaml.Node, body: yaml.Node) -> Recipient:
    if not NAME_RE.match(name):
        raise ctx.fail(name_node, f"recipient name {name!r} must be lower-case letters, digits, - and _")
    fields = {key: (key_node, value) for key, key_node, value in ctx.mapping(body, f"recipient {name!r}")}
    unknown = set(fields) - {"email", "webhook", "description"}
    if unknown:
        key = sorted(unknown)[0]
        raise ctx.fail(fields[key][0], f"recipient {name!r}: unknown key `{key}`; use email: or webhook:")
    if ("email" in fields) == ("webhook" in fields):
        raise ctx.fail(
            body, f"recipient {name!r} needs exactly one of `email: [addresses]` or `webhook: true`"
        )
    if "email" in fields:
        emails = []
        for address, node in ctx.string_list(fields["email"][1], f"recipients.{name}.email"):
            if not EMAIL_RE.match(address):
                raise ctx.fail(node, f"recipient {name!r}: {address!r} is not an e-mail address")
            emails.append(address)
        return Recipient(name, emails=tuple(dict.fromkeys(emails)))
    node = fields["webhook"][1]
    value = ctx.scalar(node, f"recipients.{name}.webhook")
    if value.lower() in ("true", "yes"):
        return Recipient(name, webhook_conn_id=DEFAULT_WEBHOOK_CONN)
    if not CONN_ID_RE.match(value):
        raise ctx.fail(
            node,
            f"recipient {name!r}: webhook is `true` (the connection {DEFAULT_WEBHOOK_CONN}) or the id of an "
            f"Airflow connection holding the URL (lower-case letters, digits, _), not {value!r}",
        )
    return Recipient(name, webhook_conn_id=value)


def _scope(ctx: _Ctx, kind: Kind, fields: dict, tracked: Tracked, rule: str) -> tuple[str, str | None]:
    if "project" in fields and "group" in fields:
        raise ctx.fail(fields["group"][0], f"rule {rule!r}: give `project:` or `group:`, not both")
    if kind.subjects == ("source",):
        for key in ("project", "group"):
            if key in fields:
                raise ctx.fail(
                    fields[key][0],
                    f"rule {rule!r}: {kind.name} is about the pipeline's sources, not projects; remove "
                    f"`{key}:` (use `source:` to pick one)",
                )
        return "all", None
    if "project" in fields:
        node = fields["project"][1]
        name = ctx.scalar(node, "project")
        if name not in tracked.projects:
            known = ", ".join(sorted(tracked.projects)) or "none"
            raise ctx.fail(
                node, f"rule {rule!r}: project {name!r} is not in the tracked set (projects: {known})"
            )
        _check_subjects(ctx, node, kind, fields, [tracked.projects[name]], f"project {name!r}", rule)
        return "project", name
    if "group" in fields:
        node = fields["group"][1]
        name = ctx.scalar(node, "group")
        if name not in tracked.groups:
            known = ", ".join(sorted(tracked.groups)) or "none"
            raise ctx.fail(node, f"rule {rule!r}: group {name!r} is not in the tracked set (groups: {known})")
        members = [tracked.projects[p] for p in tracked.groups[name]]
        _check_subjects(ctx, node, kind, fields, members, f"group {name!r}", rule)
        return "group", name
    return "all", None


def _check_subjects(
    ctx: _Ctx, node: yaml.Node, kind: Kind, fields: dict, projects: list, what: str, rule: str
):
    """A project or group must hold something the rule can be about (a repository, a package)."""
    wanted = set(kind.subjects)
    if kind.name == "new_release" and "source" in fields:
        source = ctx.scalar(fields["source"][1], "source")
        wanted = {"github": {"repository"}, "pypi": {"package"}}.get(source, wanted)
    has = set()
    for p in projects:
        has |= {"repository"} if p.repo else set()
        has |= {"package"} if p.package else set()
    if not wanted & has:
        raise ctx.fail(
            node,
            f"rule {rule!r}: {kind.name} is about {' or '.join(sorted(wanted))} data and {what} has none "
            "in the tracked set",
        )


def _rule(ctx: _Ctx, node: yaml.Node, index: int, tracked: Tracked, recipients: dict) -> Rule:
    items = ctx.mapping(node, f"rules[{index}]")
    fields = {key: (key_node, value) for key, key_node, value in items}
    if "name" not in fields:
        raise ctx.fail(node, f"rules[{index}] needs a `name:` (lower-case letters, digits, - and _)")
    name = ctx.scalar(fields["name"][1], "name")
    if not NAME_RE.match(name):
        raise ctx.fail(fields["name"][1], f"rule name {name!r} must be lower-case letters, digits, - and _")
    if "kind" not in fields:
        raise ctx.fail(node, f"rule {name!r} needs a `kind:`, one of {', '.join(KINDS)}")
    kind_name = ctx.scalar(fields["kind"][1], "kind")
    if kind_name not in KINDS:
        raise ctx.fail(
            fields["kind"][1], f"rule {name!r}: unknown kind {kind_name!r}; use one of {', '.join(KINDS)}"
        )
    kind = KINDS[kind_name]
    allowed = {p.key for p in kind.params} | set(COMMON_KEYS)
    for key, key_node, _ in items:
        if key not in allowed:
            keys = ", ".join(p.key for p in kind.params) or "none"
            raise ctx.fail(
                key_node, f"rule {name!r}: `{key}` is not a setting of {kind_name} (its settings: {keys})"
            )
    scope_type, scope = _scope(ctx, kind, fields, tracked, name)
    params: dict[str, Any] = {}
    for param in kind.params:
        if param.key in fields:
            params[param.column] = param.parse(ctx, fields[param.key][1], f"rule {name!r}: {param.key}")
        elif param.required:
            raise ctx.fail(node, f"rule {name!r}: {kind_name} needs `{param.key}:`")
        else:
            params[param.column] = param.default
    notify = tuple(recipients)
    if "notify" in fields:
        notify = ()
        for recipient, item in ctx.string_list(fields["notify"][1], f"rule {name!r}: notify"):
            if recipient not in recipients:
                known = ", ".join(recipients) or "none: add `recipients:`"
                raise ctx.fail(
                    item, f"rule {name!r} notifies {recipient!r}, which is not a recipient ({known})"
                )
            notify += (recipient,)
    description = ctx.scalar(fields["description"][1], "description") if "description" in fields else ""
    return Rule(
        name,
        kind_name,
        scope_type,
        scope,
        params,
        tuple(dict.fromkeys(notify)),
        node.start_mark.line + 1,
        description,
    )


def parse_alerts_node(root: yaml.Node, tracked: Tracked, source: str) -> AlertConfig:
    """Validate the alerts mapping (``recipients:`` and ``rules:``) of an already composed YAML node."""
    ctx = _Ctx(source)
    sections = {key: (key_node, value) for key, key_node, value in ctx.mapping(root, "the alert rules")}
    for key, (key_node, _) in sections.items():
        if key not in ("recipients", "rules"):
            raise ctx.fail(
                key_node, f"unknown section `{key}`; the alert rules have `recipients:` and `rules:`"
            )
    recipients: dict[str, Recipient] = {}
    if "recipients" in sections:
        for name, name_node, body in ctx.mapping(sections["recipients"][1], "recipients"):
            recipients[name] = _recipient(ctx, name, name_node, body)
    rules: list[Rule] = []
    if "rules" in sections:
        node = sections["rules"][1]
        if not isinstance(node, yaml.SequenceNode):
            raise ctx.fail(node, "`rules` must be a list of rules (lines starting with `- name: ...`)")
        seen: dict[str, int] = {}
        for i, item in enumerate(node.value):
            rule = _rule(ctx, item, i, tracked, recipients)
            if rule.name in seen:
                raise ctx.fail(
                    item, f"rule name {rule.name!r} is used twice (first on line {seen[rule.name]})"
                )
            seen[rule.name] = rule.line
            rules.append(rule)
    return AlertConfig(recipients, tuple(rules), source)


def parse_alerts(text: str, tracked: Tracked, source: str = "<memory>") -> AlertConfig:
    """Parse and validate the YAML text of an alert rules file against the tracked set."""
    root = _compose(text, source)
    if root is None:
        return AlertConfig(source=source)
    return parse_alerts_node(root, tracked, source)


def _tracked_section(path: Path) -> tuple[yaml.Node, yaml.Node] | None:
    """The ``alerts:`` key and value of the tracked set's file, if it has that section."""
    root = _compose(path.read_text(encoding="utf-8"), str(path))
    if not isinstance(root, yaml.MappingNode):
        return None
    for key_node, value_node in root.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == "alerts":
            return key_node, value_node
    return None


def rules_path(tracked_path: Path, configured: str = "") -> Path | None:
    """The rule file in use: ``configured`` (``OSSPULSE_ALERT_RULES``), else ``alerts.yml`` beside the
    tracked set when it exists, else None (the tracked set's ``alerts:`` section, if any)."""
    if configured:
        return Path(configured)
    sibling = tracked_path.parent / "alerts.yml"
    return sibling if sibling.is_file() else None


def load_alerts(
    tracked_path: Path | str, configured: str = "", tracked: Tracked | None = None
) -> AlertConfig:
    """The alert rules of a tracked set (none when neither a rule file nor an ``alerts:`` section exists)."""
    tracked_path = Path(tracked_path)
    tracked = tracked or load_tracked(tracked_path)
    path = rules_path(tracked_path, configured)
    section = _tracked_section(tracked_path) if tracked_path.is_file() else None
    if path is not None:
        if not path.is_file():
            raise AlertRulesError(f"{path}: no such file; create it or unset OSSPULSE_ALERT_RULES")
        if section is not None:
            raise AlertRulesError(
                f"{tracked_path} line {section[0].start_mark.line + 1}: alert rules are in two places, this "
                f"`alerts:` section and {path}; keep one"
            )
        return parse_alerts(path.read_text(encoding="utf-8"), tracked, str(path))
    if section is not None:
        return parse_alerts_node(section[1], tracked, str(tracked_path))
    return AlertConfig(source="<no alert rules>")


def alerts_from_settings(settings: Any) -> AlertConfig:
    return load_alerts(settings.tracked, settings.alert_rules)


def seed_csv(config: AlertConfig) -> str:
    """The ``alert_rules`` seed: one row per rule (empty cells are nulls)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SEED_COLUMNS)
    for rule in sorted(config.rules, key=lambda r: r.name):
        row = rule.seed_row()
        writer.writerow(["" if row[c] is None else _cell(row[c]) for c in SEED_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_seed(config: AlertConfig, seed_dir: Path) -> Path:
    """Write ``alert_rules.csv`` into ``seed_dir`` (atomically; untouched when unchanged)."""
    import os

    seed_dir.mkdir(parents=True, exist_ok=True)
    path = seed_dir / SEED
    text = seed_csv(config)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        tmp = path.with_name(f".{SEED}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return path
