"""Rich progress bars for `parcours import`: one line per file, advanced step by step and by rows."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

STEPS = 3  # staged, checked, loaded


class ImportProgress:
    """A thin wrapper so that the importer never depends on whether bars are shown."""

    def __init__(self, *, enabled: bool) -> None:
        self._progress: Progress | None = (
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description:<40}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rows]:>12,} lignes"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            if enabled
            else None
        )

    def __enter__(self) -> ImportProgress:
        if self._progress:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress:
            self._progress.stop()

    def start(self, label: str) -> int:
        if not self._progress:
            return 0
        return int(self._progress.add_task(label, total=STEPS, rows=0))

    def step(self, task: int) -> None:
        if self._progress:
            self._progress.advance(task)  # type: ignore[arg-type]

    def rows(self, task: int, n: int) -> None:
        if self._progress:
            t = self._progress.tasks[task]
            self._progress.update(t.id, rows=int(t.fields.get("rows", 0)) + n)

    def finish(self, task: int, rows: int) -> None:
        if self._progress:
            self._progress.update(task, completed=STEPS, rows=rows)  # type: ignore[arg-type]
