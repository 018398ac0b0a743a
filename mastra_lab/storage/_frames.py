"""The ``*_df()`` forms of :class:`~mastra_lab.storage.base.Storage`: the same lists, as pandas DataFrames.

They only call the public list methods, so every backend gets them for free; pandas is imported inside each
method so that importing storage stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from mastra_lab.errors import StorageError
from mastra_lab.storage import _validate as v
from mastra_lab.storage.records import StoredMessage, Thread, WorkflowRun

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.storage.base import Storage, Where

__all__ = ["DataFrameForms"]


def _store(obj: object) -> Storage:
    return cast("Storage", obj)


class DataFrameForms:
    """Mixin giving :class:`Storage` its DataFrame methods (notebook-friendly views of its lists)."""

    def list_df(
        self, table: str, where: Where | None = None, limit: int = 100, offset: int = 0
    ) -> pd.DataFrame:
        """:meth:`list` as a DataFrame: id, created_at, updated_at, one column per data field, metadata.

        Args:
            table: An existing user table.
            where: Filters as in :meth:`list`.
            limit: At most this many rows.
            offset: Skip this many first.
        """
        import pandas as pd

        records = _store(self).list(table, where=where, limit=limit, offset=offset)
        head = pd.DataFrame(
            {
                "id": [r.id for r in records],
                "created_at": [r.created_at for r in records],
                "updated_at": [r.updated_at for r in records],
            }
        )
        body = pd.json_normalize([r.data for r in records]) if records else pd.DataFrame()
        body = body.drop(columns=[c for c in body.columns if c in head.columns])
        frame = pd.concat([head, body], axis=1)
        frame["metadata"] = [r.metadata for r in records]
        return frame

    def list_threads_df(self, resource_id: str | None = None) -> pd.DataFrame:
        """:meth:`list_threads` as a DataFrame (one row per thread).

        Args:
            resource_id: Keep only this resource's threads.
        """
        return _frame(_store(self).list_threads(resource_id), Thread)

    def get_messages_df(self, thread_id: str, last: int | None = None) -> pd.DataFrame:
        """:meth:`get_messages` as a DataFrame (one row per message).

        Args:
            thread_id: The thread id.
            last: Only the newest ``last`` messages.
        """
        return _frame(_store(self).get_messages(thread_id, last=last), StoredMessage)

    def list_runs_df(self, workflow: str | None = None, status: str | None = None) -> pd.DataFrame:
        """:meth:`list_runs` as a DataFrame (one row per run).

        Args:
            workflow: Only runs of this workflow.
            status: Only runs with this status.
        """
        return _frame(_store(self).list_runs(workflow, status), WorkflowRun)

    def list_traces_df(self, limit: int = 50) -> pd.DataFrame:
        """:meth:`list_traces` as a DataFrame (one row per trace).

        Args:
            limit: At most this many traces.
        """
        import pandas as pd

        cols = ["trace_id", "name", "start", "end", "duration_ms", "span_count", "error"]
        return pd.DataFrame(_store(self).list_traces(limit), columns=cols)

    def get_trace_df(self, trace_id: str) -> pd.DataFrame:
        """:meth:`get_trace` as a DataFrame (one row per span).

        Args:
            trace_id: The trace id.
        """
        import pandas as pd

        cols = [
            "trace_id",
            "span_id",
            "parent_span_id",
            "name",
            "type",
            "status",
            "start",
            "end",
            "attributes",
            "input",
            "output",
            "error",
            "events",
        ]
        return pd.DataFrame(_store(self).get_trace(trace_id), columns=cols)

    def tables_df(self) -> pd.DataFrame:
        """:meth:`tables` with their row counts: one row per table (columns ``table``, ``rows``).

        One ``sql()`` statement counts every table, so a notebook's table list costs one round trip.
        """
        import pandas as pd

        names = _store(self).tables()
        if not names:
            return pd.DataFrame({"table": pd.Series([], dtype=str), "rows": pd.Series([], dtype="int64")})
        query = " UNION ALL ".join(
            f"SELECT {i} AS position, count(*) AS n FROM {_quote(name)}" for i, name in enumerate(names)
        )
        counts = dict(_store(self).sql(query).itertuples(index=False, name=None))
        return pd.DataFrame({"table": names, "rows": [int(counts[i]) for i in range(len(names))]})

    def table_df(self, table: str, limit: int = 100, offset: int = 0) -> pd.DataFrame:
        """One page of any table :meth:`tables` lists, as a DataFrame, oldest rows first where known.

        Rows are ordered by ``created_at`` (then ``id``) when the table has them, else by its first
        column, so that consecutive pages neither repeat nor skip rows.

        Args:
            table: A name from :meth:`tables` (a user table or a built-in ``mastra_*`` one).
            limit: At most this many rows.
            offset: Skip this many first.

        Raises:
            StorageError: ``STORAGE_NOT_FOUND`` naming the known tables when ``table`` is not one of them.
        """
        v.check_paging(limit, offset)
        store = _store(self)
        names = store.tables()
        if table not in names:
            raise StorageError(
                f"no table {table!r} in this store; its tables are: {', '.join(names) or 'none yet'}",
                code="STORAGE_NOT_FOUND",
                details={"table": table, "known": names},
            )
        columns = list(store.sql(f"SELECT * FROM {_quote(table)} LIMIT 0").columns)
        order = [c for c in ("created_at", "id") if c in columns] or columns[:1]
        order_by = f" ORDER BY {', '.join(_quote(c) for c in order)}" if order else ""
        return store.sql(f"SELECT * FROM {_quote(table)}{order_by} LIMIT {limit} OFFSET {offset}")


def _quote(name: str) -> str:
    """``name`` as a double-quoted SQL identifier (DuckDB and SQLite both read this form)."""
    return '"' + name.replace('"', '""') + '"'


def _frame(items: Sequence[Any], kind: type) -> pd.DataFrame:
    import dataclasses

    import pandas as pd

    columns = [f.name for f in dataclasses.fields(kind)]
    return pd.DataFrame([[getattr(i, c) for c in columns] for i in items], columns=columns)
