"""Email: Vietnamese/English templates, rendering, the outbox's delivery over SMTP.

Modules: ``templating`` (the shared Jinja environment), ``render`` (Notice → subject, text,
HTML), ``message`` (outbox row → RFC 5322 message), ``transport`` (SMTP, .eml files, a fake),
``deliver`` (one delivery batch), ``review`` and ``digest`` (notices built from the ledger),
``samples`` (realistic sample notices for previews). Importing this package builds nothing.
"""
