"""A static copy of the public archive: the pages the app answers, rendered in parallel, only what changed.

`export` plans every public URL with a fingerprint of what it shows (archive.web.export_plan), compares
them with the manifest the last export left in the folder, has worker processes render what
changed (archive.web.export_render, a few hundred files a task), writes only files whose bytes differ,
each whole (temp file, rename), and removes files no longer public.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from archive.web.export_files import Writer, is_empty, read_manifest, write_manifest
from archive.web.export_plan import Entry, plan
from archive.web.server_configs import apache
from config import Settings
from config.database import session_scope
from config.planner import refresh_statistics

LIVE_ONLY = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/static/style.css"></head><body><main><h1>{title}</h1>
<p>{title} needs the live archive (<code>hubmail serve</code>); this static copy has none.</p>
</main></body></html>"""
LIVE_ONLY_PAGES = (("/search/", "Search"), ("/signin/", "Sign-in"))
HTACCESS = "/.htaccess"  # Apache's settings for the export (archive.web.server_configs), issue 14
# Files a task renders: enough to amortize reading them, few enough to spread over the workers.
TASK_SIZE = {"message": 300, "raw": 1000, "attachment": 200, "thread": 150, "thread_mbox": 300, "question": 8}
TASK_SIZE |= {"mbox": 1}  # a whole space's or question's mail is one task
TASK_SIZE_APP = 4
PARALLEL_FROM = 400  # fewer files than this are rendered here: starting workers costs more


@dataclass
class ExportReport:
    written: int = 0  # files whose bytes changed (or are new)
    unchanged: int = 0  # rendered and found the same, or not rendered at all: nothing they show changed
    removed: int = 0  # no longer public

    @property
    def files(self) -> int:
        return self.written + self.unchanged


def export(
    settings: Settings,
    engine: Engine,
    target: Path,
    progress: Callable[[int], None] = lambda n: None,
    jobs: int | None = None,
    full: bool = False,
    planned: Callable[[int], None] = lambda total: None,
) -> ExportReport:
    """Write the archive under target. `jobs` worker processes render (default: one per core when
    there is enough to do; 1: all in this process); `full` renders every file again, whatever the
    manifest says; `planned(total)` is told how many files will be rendered, `progress(n)` as they are."""
    target = Path(os.path.abspath(target))
    target.mkdir(parents=True, exist_ok=True)
    # Without statistics SQLite reads a thread's posts through (space, status): a whole space for each
    # batch of threads, a quarter of the rendering time at 100,000 posts. Cheap: a bounded sample.
    refresh_statistics(engine)
    with session_scope(engine, writes=False) as session:
        entries = plan(session, settings)
    before, compare = {} if full else read_manifest(target), not is_empty(target)
    todo = {url: e for url, e in entries.items() if e.fingerprint is None or before.get(url) != e.fingerprint}
    planned(len(todo))
    report, missing = _render(settings, engine, (target, compare), todo, jobs, progress)
    writer = Writer(target)
    for url, content in _extra_files():
        changed = writer.write(url, content)
        report.written, report.unchanged = report.written + changed, report.unchanged + (not changed)
    report.unchanged += len(entries) - len(todo)
    report.removed = writer.remove((before.keys() - entries.keys()) | missing)
    after = {url: e.fingerprint for url, e in entries.items() if e.fingerprint and url not in missing}
    if after != before:
        write_manifest(target, after)
    return report


def _extra_files() -> list[tuple[str, bytes]]:
    """Written each time (when their bytes differ): notes for the live-only pages, and Apache's
    headers for the export (archive.web.server_configs), which take effect where .htaccess is allowed."""
    notes = [(url, LIVE_ONLY.format(title=title).encode()) for url, title in LIVE_ONLY_PAGES]
    return [*notes, (HTACCESS, apache().encode())]


def _render(
    settings, engine, folder: tuple, todo: dict[str, Entry], jobs, progress
) -> tuple[ExportReport, set]:
    """Render what is to do, here or in `jobs` processes; folder is (target, compare) for the Writer."""
    from archive.web.export_render import Renderer, run_in_worker, start_worker  # the app: only when needed

    tasks = list(_tasks(todo))
    if jobs is None:  # as many as there are cores, when there is enough to share
        jobs = (os.cpu_count() or 1) if len(todo) >= PARALLEL_FROM else 1
    report, missing = ExportReport(), set()
    writer = Writer(*folder)
    if jobs <= 1 or not tasks:
        renderer = Renderer(settings, engine)
        return _write(map(renderer.run, tasks), writer, report, missing, progress)
    # spawn, not fork: this process holds database connections (and the CLI's progress thread).
    context = multiprocessing.get_context("spawn")
    with context.Pool(min(jobs, len(tasks)), start_worker, (settings,)) as pool:
        return _write(pool.imap_unordered(run_in_worker, tasks), writer, report, missing, progress)


def _write(rendered: Iterator, writer: Writer, report: ExportReport, missing: set[str], progress) -> tuple:
    """Write each task's files as they come, here: the workers go on rendering meanwhile."""
    for task in rendered:
        for url, content in task.files:
            written = writer.write(url, content)
            report.written, report.unchanged = report.written + written, report.unchanged + (not written)
        missing.update(task.missing)
        progress(len(task.files) + len(task.missing))
    return report, missing


def _tasks(todo: dict[str, Entry]) -> Iterator:
    """Tasks in the order workers take them: whole mailboxes (the longest) first, then the kinds
    with most files; within a kind the spaces take turns, so that two workers seldom create
    folders in the same parent folder at once (ext4 then serializes them, spinning: it tripled
    the system time of writing)."""
    from archive.web.export_render import Task

    grouped: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for url, entry in todo.items():
        grouped[entry.kind][entry.slug].append((url, entry.key))
    kinds = sorted(grouped, key=lambda kind: (kind != "mbox", -sum(map(len, grouped[kind].values()))))
    for kind in kinds:
        size = TASK_SIZE.get(kind, TASK_SIZE_APP)
        chunks = [
            [Task(kind, slug, tuple(items[start : start + size])) for start in range(0, len(items), size)]
            for slug, items in grouped[kind].items()
        ]
        for turn in itertools.zip_longest(*chunks):
            yield from (task for task in turn if task is not None)


def count_urls(settings: Settings, engine: Engine) -> int:
    """How many files a full export writes (the notes and .htaccess included)."""
    with session_scope(engine, writes=False) as session:
        return len(plan(session, settings)) + len(_extra_files())
