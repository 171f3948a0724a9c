"""Races with real threads and connections: release callers at the same instant and collect what
each of them met. Each thread has its own database connection (Django opens one per thread) and
closes it when done, so PostgreSQL sees truly concurrent transactions."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from django.db import connection

from core.errors import DomainError


def all_at_once(work: Callable[..., object], calls: Iterable[tuple]) -> list[object]:
    """Run `work(*args)` for every `args` in `calls`, each in its own thread, released together by a
    barrier. Outcomes come in the order they finish: what `work` returned, `"<status> <code>"` for a
    DomainError, or the repr of any other exception (which a test then sees as unexpected)."""
    calls = list(calls)
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = []

    def run(args: tuple) -> None:
        try:
            barrier.wait()
            outcomes.append(work(*args))
        except DomainError as exc:
            outcomes.append(f"{exc.status} {exc.code}")
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(args,)) for args in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
