"""The native stack: every service as a local process under one state directory."""
