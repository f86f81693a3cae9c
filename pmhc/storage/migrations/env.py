"""Alembic's entry point, run by pmhc.storage.db.migrate with the connection to upgrade
(there is no alembic.ini: the application passes it in `config.attributes`)."""

from alembic import context

from pmhc.storage.db import metadata

connection = context.config.attributes["connection"]
# render_as_batch: SQLite alters a table by copying it, which later migrations will need
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
