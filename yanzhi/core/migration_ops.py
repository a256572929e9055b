"""Migration operations of our own.

`AlterForeignKeyIndex` is an `AlterField` of a foreign key whose index is all that changes
(`db_index`, or `unique` of a one-to-one becoming a plain key). Django's `AlterField` drops the
foreign key constraint and adds it again around any change of the column, and adding it again
validates it: a scan of the table under an exclusive lock, held to the end of the migration's
transaction (at a million customers, minutes of the follow-up tasks locked per key). On
PostgreSQL this operation only drops or creates the index (or the unique constraint); the
model state changes exactly as with `AlterField`. Other databases (SQLite: tests, the demo) take
Django's path."""

from django.db import migrations
from django.db.models import Index


class AlterForeignKeyIndex(migrations.AlterField):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        self._switch(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        self._switch(app_label, schema_editor, from_state, to_state)  # like AlterField's

    def _switch(self, app_label, schema_editor, from_state, to_state):
        """From the field in `from_state` (the database now) to the one in `to_state`."""
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        old = from_state.apps.get_model(app_label, self.model_name)._meta.get_field(self.name)
        new = model._meta.get_field(self.name)
        connection = schema_editor.connection
        if (
            old.column != new.column
            or old.db_parameters(connection) != new.db_parameters(connection)
            or old.null != new.null
            or old.remote_field.model._meta.label_lower != new.remote_field.model._meta.label_lower
        ):
            raise ValueError(f"{model.__name__}.{self.name}: more than the index changes")
        if old.unique and not new.unique:
            constraints = {c.name for c in model._meta.constraints}
            for name in schema_editor._constraint_names(
                model, [old.column], unique=True, primary_key=False, exclude=constraints
            ):
                schema_editor.execute(schema_editor._delete_unique_sql(model, name))
        if old.db_index and not old.unique and not new.db_index:
            indexes = {index.name for index in model._meta.indexes}
            for name in schema_editor._constraint_names(
                model, [old.column], index=True, unique=False, type_=Index.suffix, exclude=indexes
            ):
                schema_editor.execute(schema_editor._delete_index_sql(model, name))
        if new.unique and not old.unique:
            schema_editor.execute(schema_editor._create_unique_sql(model, [new]))
        if new.db_index and not new.unique and (old.unique or not old.db_index):
            schema_editor.execute(schema_editor._create_index_sql(model, fields=[new]))
