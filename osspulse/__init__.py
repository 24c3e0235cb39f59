"""OSS Pulse: a lakehouse of open-source project health (GitHub activity beside PyPI usage)."""

__version__ = "0.1.0"
