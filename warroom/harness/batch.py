"""Run many tasks: in this process, on a local process pool, or on Ray.

Every backend calls the same pure ``tasks.execute`` and yields ``(record, trace)`` pairs as
episodes finish, so the same tasks give identical records (bar ``wall_s``) on each.
Only a bounded number of tasks is in flight, so a killed run loses little work.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from .tasks import Task, execute

Result = tuple[dict[str, Any], list[dict[str, Any]]]
BACKENDS = ("local", "ray")
IN_FLIGHT_PER_WORKER = 3


def run_inline(tasks: Iterable[Task]) -> Iterator[Result]:
    for task in tasks:
        yield execute(task)


def run_local(tasks: Iterable[Task], workers: int) -> Iterator[Result]:
    """A pool of ``workers`` processes (forked from a clean, preloaded server process)."""
    if workers <= 1:
        yield from run_inline(tasks)
        return
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["warroom.harness.tasks"])
    pending = iter(tasks)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        running: set[Future[Result]] = set()
        try:
            while True:
                while len(running) < workers * IN_FLIGHT_PER_WORKER:
                    task = next(pending, None)
                    if task is None:
                        break
                    running.add(pool.submit(execute, task))
                if not running:
                    return
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=id):
                    yield fut.result()
        finally:
            for fut in running:
                fut.cancel()


def run_ray(tasks: Iterable[Task], address: str | None = None,
            workers: int | None = None) -> Iterator[Result]:
    """Ray tasks on the cluster at ``address`` (or a local one with ``workers`` CPUs).
    Uses an already initialised Ray as is; shuts down only a Ray it started itself."""
    try:
        import ray
    except ImportError as exc:
        raise ImportError("the Ray backend needs ray: pip install 'warroom[ray]'") from exc
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"address": address, "log_to_driver": False,
                                  "include_dashboard": False}
        if address is None and workers:
            kwargs["num_cpus"] = workers
        ray.init(**kwargs)
        started = True
    remote = ray.remote(num_cpus=1, max_retries=0)(execute)
    limit = max(2, int(ray.available_resources().get("CPU", 2))) * IN_FLIGHT_PER_WORKER
    pending = iter(tasks)
    running: list[Any] = []
    try:
        while True:
            while len(running) < limit:
                task = next(pending, None)
                if task is None:
                    break
                running.append(remote.remote(task))
            if not running:
                return
            done, running = ray.wait(running, num_returns=1)
            for ref in done:
                yield ray.get(ref)
    finally:
        for ref in running:
            ray.cancel(ref, force=True)
        if started:
            ray.shutdown()


def run_tasks(tasks: Iterable[Task], backend: str = "local", workers: int = 1,
              address: str | None = None) -> Iterator[Result]:
    """Records and traces of ``tasks`` as they finish, on the chosen backend."""
    if backend == "local":
        return run_local(tasks, workers)
    if backend == "ray":
        return run_ray(tasks, address, workers)
    raise ValueError(f"unknown backend {backend!r}; valid: {', '.join(BACKENDS)}")
