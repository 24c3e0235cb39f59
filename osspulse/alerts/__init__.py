"""Alerts and the weekly digest (issue 20).

* :mod:`osspulse.alerts.rules`: the rule file (``alerts.yml`` beside the tracked set, or its ``alerts:``
  section), validated with line numbers, and the ``alert_rules`` seed dbt evaluates;
* dbt (``dbt_project/models/gold/alert_conditions.sql``, ``alert_events.sql``): what holds now and the
  history of events, first seen and resolved, built from gold;
* :mod:`osspulse.alerts.messages`: the e-mail (HTML) and webhook (Slack-compatible JSON, Markdown)
  bodies of event notifications and of the weekly digest (pure);
* :mod:`osspulse.alerts.notifiers`: Airflow notifiers (the SMTP provider's, and a webhook one);
* :mod:`osspulse.alerts.delivery`: what is pending per recipient, sending, and the delivery ledger
  ``lake.ops.alert_deliveries`` (an event is sent once; a failed send is retried, never lost).
"""
