"""The analysts' workbench: the Trino CLI as the analyst user, and the dbt docs site."""
