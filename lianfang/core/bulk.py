"""Writing many plain rows of one model without model instances.

At 100,000 rows the ORM's per-object and per-field work (bulk_create) costs several times
the insert itself, so the demo generator and the Excel importer hand over tuples instead.
Only for fresh rows whose values the caller has already validated."""

from django.db import connection
from django.db.models import Model
from django.utils import timezone


class PlainRows:
    """Each row gives `columns` (attnames) in order, ready for the database; every other
    column gets its default, auto_now fields the time of construction, an auto primary key
    its sequence."""

    def __init__(self, model: type[Model], columns: tuple[str, ...]):
        given = [model._meta.get_field(name) for name in columns]
        rest = [f for f in model._meta.concrete_fields if f not in given and not f.primary_key]
        now = timezone.now()
        self.tail = tuple(
            f.get_db_prep_save(now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default(),
                               connection)
            for f in rest
        )
        quote = connection.ops.quote_name
        names = ", ".join(quote(f.column) for f in given + rest)
        table = quote(model._meta.db_table)
        self.insert_sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * (len(given) + len(rest)))})"
        self.copy_sql = f"COPY {table} ({names}) FROM STDIN"

    def insert(self, rows: list[tuple]) -> None:
        if not rows:
            return
        tail = self.tail
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The raw psycopg cursor: wrap so a unique violation is Django's IntegrityError.
                with connection.wrap_database_errors, cursor.cursor.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row + tail)
            else:
                cursor.executemany(self.insert_sql, [row + tail for row in rows])
