"""The sidecar annotation file (schema, validation, migrations, atomic save, locks) and exports.

Depends on :mod:`viewer.core` only; never imports Qt. Start at :mod:`viewer.store.sidecar`.
"""
