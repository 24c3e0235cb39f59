"""Deployments other than the native stack (Docker Compose: ``osspulse.deploy.compose``)."""
