"""Stand-ins for dbt's Jinja context so sqlfluff's jinja templater can render the models offline.

Only what the non-incremental code paths of the models and macros call is provided; `is_incremental()`
is False in sqlfluff's dbt builtins, so the incremental branches (which query the warehouse) are not
rendered.
"""


def env_var(name, default=""):
    return default


class _Exceptions:
    @staticmethod
    def raise_compiler_error(message):
        raise RuntimeError(message)


exceptions = _Exceptions()
execute = False

import datetime as _datetime  # noqa: E402

run_started_at = _datetime.datetime(2026, 1, 1, tzinfo=_datetime.UTC)
