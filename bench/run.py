"""notes-digest benchmarks: `.venv/bin/python bench/run.py [--quick]`.

Speed and memory targets live here, not in timed tests. Every figure is printed
with a baseline measured in the same run on the same machine, so two runs (before
and after a change, or on two machines) compare by their ratios:

- corpus: cold `digest sync` of the real Falco notes history (a git source on
  ../shared/corpus/falco-community-notes.bundle; skipped, saying why, where it is
  absent): wall time, peak RSS, meetings and items; the warm second sync; a sync
  of one new commit; the 2023-11 digest. Run in a child process each, so the peak
  RSS is that of the sync alone. Baselines: a child that only imports digest, and
  `git clone` of the bundle.
- parse: parse + item extraction of a synthetic history (bench/synth.py, invented
  text), items/s. Baseline: markdown-it tokenizing the same text.
- threads: digest.threads.build_threads on growing synthetic series vs a naive
  all-pairs rapidfuzz comparison (measured up to --naive-max items; beyond that the
  quadratic cost is only extrapolated, and said so).
- scale: `digest preview --period 2020-06 --format json` (a whole process: its own
  no-op sync, then the digests) on generated histories of 1k and 20k meetings
  (bench/synth.py, a folder source): wall time and peak RSS, median of --repeat
  runs; the two JSON outputs must be identical (a month depends only on the notes
  up to it). Baseline: the 1k history. The synced states are cached under
  ~/.cache/notes-digest-bench (building the 20k one takes minutes, once per change
  of the parser or the state).
- monthly: the monthly job on the same histories: a preview of the newest month
  with the month before already done (its threads kept in the state), so only the
  newest month's meetings are placed; then the same asked again. Baseline: the 1k
  history. Also printed: the first preview after an upgrade (no kept threads yet),
  which builds the kept threads of the whole history once.
- hostile: the same preview of one month of a small generated history with a
  1 MB hostile note in it (a 20,000-row table, one 1 MB line, a list nested
  hundreds of thousands deep) vs without it.
- startup: `digest --help` and a no-op `digest -q sync` of the example config,
  median of --repeat runs. Baselines: `python -c pass` and `python -c "import typer"`.
- sync: cold `digest -q sync` (a whole process: wall time, CPU time and peak RSS
  of it and its git children) of a git repository of generated notes
  (bench/synth.py git_history: one flat folder, committed in batches, some notes
  edited later) at 1k and 20k notes, and of the 20k one with `since` at the last
  5% of its commits. Baseline, same run, in a child process: markdown-it-py
  (commonmark + tables, its defaults) parsing the text of every version that sync
  stored, timed alone. Ratios are given in CPU time too, which other work on a
  shared machine disturbs less than wall time. The repositories are cached under
  ~/.cache/notes-digest-bench (the 20k one takes about 2 minutes to write).
- send: a whole `digest send --period 2015-06` process (sync, freeze, plan, mail,
  ledger) to --send-sizes subscribers (default 10,000; --large-digest adds a
  110 KB digest) through Postfix's smtp-sink on a free loopback port: msg/s over
  the process's wall time, its peak RSS and its CPU time (user + system) a
  message, which the other work on a shared machine disturbs less. Baselines in
  the same run, to the same sink: a naive loop (an EmailMessage per reader,
  aiosmtplib, one connection, no ledger; at most 10,000 messages) and Postfix's
  smtp-source sending one of the digest's messages over as many sessions.
  smtp-sink and smtp-source come from Debian's postfix package (installed with
  apt-get when missing and run as root).
- crash: SIGKILL a 10,000-reader `digest send` at a random point, 20 times
  (--trials), send again, and count what smtp-sink accepted per reader: none
  lost, duplicates at most LEDGER_GROUP + max_connections.

No dependency beyond the project's own.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
BUNDLE = REPO_ROOT.parent / "shared" / "corpus" / "falco-community-notes.bundle"
THIS = Path(__file__).resolve()

# Written for the benchmark (not corpus text), in the corpus's one-meeting-per-file shape.
NEW_NOTE = """\
# 2026-02-05 Falco Core Maintainers (monthly)

## Action items

- [ ] [ana] check that one new note is synced on its own
- Measure the benchmark runner on a slow disk -> in progress
"""


@dataclass
class Row:
    section: str
    measure: str
    value: str
    baseline: str = ""
    note: str = ""


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def _rate(count: int, seconds: float, unit: str) -> str:
    return f"{count / seconds:,.0f} {unit}/s" if seconds > 0 else "-"


def _print_table(rows: Sequence[Row]) -> None:
    head = Row("section", "measure", "value", "baseline (same run)", "note")
    cells = [[r.section, r.measure, r.value, r.baseline, r.note] for r in (head, *rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(5)]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    print(line(cells[0]))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for c in cells[1:]:
        print(line(c))


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def _peak_rss_kib() -> int:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


# ---- workers (child processes, so peak RSS and imports are their own) ---------


def _corpus_config(state: Path, url: Path) -> Any:
    from digest.config.load import parse_config

    data = {
        "digest": {"state_dir": str(state)},
        "sources": [
            {
                "name": "falco",
                "kind": "git",
                "url": str(url),
                "glob": ["meeting-notes/*.md"],
                "org": "falcosecurity",
                "web_url": "https://github.com/falcosecurity/community/blob/{commit}/{path}#L{line}",
            }
        ],
    }
    return parse_config(data, state.parent / "config.toml")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.org",
            *args,
        ],
        check=True,
        capture_output=True,
    )


def worker_idle() -> dict[str, Any]:
    """The floor: an interpreter that imported what a sync imports, and did nothing."""
    started = time.perf_counter()

    return {"import_s": time.perf_counter() - started, "rss_kib": _peak_rss_kib()}


def worker_corpus(bundle: Path, work: Path, traced: bool) -> dict[str, Any]:
    """Cold, warm and one-new-commit syncs of a clone of the bundle, then a digest."""
    import tracemalloc

    from digest.app.digests import compute_digests
    from digest.app.sync import sync
    from digest.periods import Period
    from digest.state import notes as store
    from digest.state.db import open_db

    notes = work / "notes"
    subprocess.run(["git", "clone", "-q", str(bundle), str(notes)], check=True)
    cfg = _corpus_config(work / "state", notes)
    db = open_db(cfg.db_path)
    out: dict[str, Any] = {}
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    cold = sync(cfg, db)
    out["cold_s"] = time.perf_counter() - started
    if traced:
        out["traced_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return out
    out["rss_kib"] = _peak_rss_kib()
    out.update(
        notes=cold.new_notes,
        meetings=cold.meetings,
        items=cold.items,
        warnings=len(cold.warnings),
    )

    started = time.perf_counter()
    warm = sync(cfg, db)
    out["warm_s"] = time.perf_counter() - started
    out["warm_new"] = warm.new_notes

    started = time.perf_counter()
    meetings, items = store.load_meetings(db), store.load_items(db)
    out["load_s"] = time.perf_counter() - started
    started = time.perf_counter()
    digests = compute_digests(cfg, db, period=Period(2023, 11))
    out["digest_s"] = time.perf_counter() - started
    out["digest_series"] = len(digests)
    out["digest_entries"] = sum(len(getattr(d, b)) for d in digests for b in d.BUCKETS)
    out["loaded"] = [len(meetings), len(items)]

    path = notes / "meeting-notes" / "2026-02-05-Falco-Core-Maintainers.md"
    path.write_text(NEW_NOTE, encoding="utf-8")
    _git(notes, "add", "-A")
    _git(notes, "commit", "-q", "-m", "bench: one new note")
    started = time.perf_counter()
    one = sync(cfg, db)
    out["one_s"] = time.perf_counter() - started
    out["one_new"] = one.new_notes
    return out


def worker_mdparse(db_path: Path, repo: Path) -> dict[str, Any]:
    """The baseline of the sync section: markdown-it parsing every version sync stored."""
    import sqlite3

    from markdown_it import MarkdownIt

    conn = sqlite3.connect(db_path)
    blobs = [row[0] for row in conn.execute("SELECT blob FROM documents WHERE deleted = 0")]
    conn.close()
    started = time.perf_counter()
    proc = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        input="".join(f"{b}\n" for b in blobs).encode(),
        capture_output=True,
        check=True,
    )
    out, texts, at = proc.stdout, [], 0
    while at < len(out):
        end = out.index(b"\n", at)
        size = int(out[at:end].split()[2])
        texts.append(out[end + 1 : end + 1 + size].decode("utf-8", "replace"))
        at = end + 2 + size
    read_s = time.perf_counter() - started
    md = MarkdownIt("commonmark").enable("table")
    started, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        md.parse(text)
    parse_s, parse_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "versions": len(texts),
        "bytes": sum(len(t.encode()) for t in texts),
        "read_s": read_s,
        "parse_s": parse_s,
        "parse_cpu": parse_cpu,
        "rss_kib": _peak_rss_kib(),
    }


def _measured(
    cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, int, bytes]:
    """Run a whole process, measuring its wall time and its own peak RSS (KiB)."""
    wall, peak, out, _ = _measured_cpu(cmd, cwd, env)
    return wall, peak, out


def _measured_cpu(
    cmd: Sequence[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, int, bytes, float]:
    """_measured, and the CPU seconds (user + system) of the process and its children."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {proc.returncode}")
    peak = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return wall, peak, out, usage.ru_utime + usage.ru_stime


def _median_run(cmd: Sequence[str], cwd: Path, repeat: int) -> tuple[float, int, bytes]:
    runs = [_measured(cmd, cwd) for _ in range(repeat)]
    walls = sorted(r[0] for r in runs)
    return walls[len(walls) // 2], max(r[1] for r in runs), runs[-1][2]


def _run_worker(name: str, *args: str) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(THIS), "--worker", name, *args],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"worker {name} failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


# ---- sections ----------------------------------------------------------------


def bench_corpus(rows: list[Row], bundle: Path, *, traced: bool) -> None:
    if not bundle.is_file():
        rows.append(Row("corpus", "all", "skipped", note=f"no Falco corpus at {bundle}"))
        return
    if shutil.which("git") is None:
        rows.append(Row("corpus", "all", "skipped", note="git is not installed"))
        return
    _progress("corpus: idle child and git clone baselines")
    idle, idle_wall = _run_worker("idle")
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        started = time.perf_counter()
        subprocess.run(["git", "clone", "-q", str(bundle), f"{tmp}/clone"], check=True)
        clone_s = time.perf_counter() - started
    _progress("corpus: cold, warm and one-commit syncs, 2023-11 digest")
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        res, _ = _run_worker("corpus", tmp, "--corpus", str(bundle))
    counts = f"{res['notes']} notes, {res['meetings']} meetings, {res['items']} items"
    rows += [
        Row(
            "corpus",
            "cold sync, wall",
            _seconds(res["cold_s"]),
            f"git clone of the bundle {_seconds(clone_s)}",
            counts,
        ),
        Row(
            "corpus",
            "cold sync, peak RSS",
            _mib(res["rss_kib"]),
            f"import-only child {_mib(idle['rss_kib'])}",
            f"child process; startup+imports {_seconds(idle_wall)}",
        ),
    ]
    if traced:
        _progress("corpus: cold sync under tracemalloc")
        with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
            mem, _ = _run_worker("corpus", tmp, "--corpus", str(bundle), "--traced")
        rows.append(
            Row(
                "corpus",
                "cold sync, Python heap peak",
                _mib(mem["traced_peak_bytes"] // 1024),
                "",
                "tracemalloc, separate run (its time is not counted)",
            )
        )
    rows += [
        Row(
            "corpus",
            "warm sync (nothing new)",
            _seconds(res["warm_s"]),
            "target < 1 s",
            f"{res['warm_new']} new notes",
        ),
        Row(
            "corpus",
            "sync of one new commit",
            _seconds(res["one_s"]),
            f"warm sync {_seconds(res['warm_s'])}",
            f"{res['one_new']} new note",
        ),
        Row(
            "corpus",
            "compute_digests 2023-11",
            _seconds(res["digest_s"]),
            f"load meetings+items alone {_seconds(res['load_s'])}",
            f"{res['digest_series']} series, {res['digest_entries']} entries",
        ),
    ]


def _time(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def bench_parse(rows: list[Row], meetings: int, seed: int) -> list[Any]:
    """Parse + extract a synthetic history; returns its items for the thread benchmark."""
    import synth  # bench/synth.py, next to this file
    from markdown_it import MarkdownIt

    from digest.config.schema import TrackingConfig
    from digest.notes.items import extract_items
    from digest.notes.parse import parse_document

    _progress(f"parse: generating {meetings:,} synthetic meetings")
    docs = synth.documents(meetings, seed=seed)
    size = sum(len(d.text.encode()) for d in docs)
    tracking = TrackingConfig()
    _progress("parse: parse_document + extract_items")
    results, parse_s = _time(lambda: [parse_document(d) for d in docs])
    parsed = [m for r in results for m in r.meetings]
    items: list[Any]
    items, extract_s = _time(
        lambda: [i for m in parsed for i in extract_items(m, tracking, org="kestrel-dev")]
    )
    total = parse_s + extract_s
    markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
    _, tokenize_s = _time(lambda: [markdown.parse(d.text) for d in docs])
    rows += [
        Row(
            "parse",
            "parse + extract",
            _rate(len(items), total, "items"),
            f"markdown-it tokenize alone {_rate(size // 1024, tokenize_s, 'KiB')}",
            f"{len(parsed):,} meetings, {len(items):,} items, {size / 2**20:.1f} MiB "
            f"in {_seconds(total)} ({_rate(size // 1024, total, 'KiB')})",
        ),
        Row(
            "parse",
            "  of which parse_document",
            _seconds(parse_s),
            f"markdown-it tokenize alone {_seconds(tokenize_s)}",
            f"{len(docs):,} documents",
        ),
        Row("parse", "  of which extract_items", _seconds(extract_s), "", ""),
    ]
    return items


def _growth(sizes: Sequence[int], times: Sequence[float]) -> list[str]:
    """log-log slope between consecutive sizes: ~1 is linear, ~2 quadratic."""
    out = [""]
    for k in range(1, len(sizes)):
        slope = math.log(times[k] / times[k - 1]) / math.log(sizes[k] / sizes[k - 1])
        out.append(f"growth x^{slope:.2f} from {sizes[k - 1]:,}")
    return out


def bench_threads(
    rows: list[Row], items: Sequence[Any], sizes: Sequence[int], naive_max: int
) -> None:
    try:
        from digest.tracking.threads import build_threads, normalize_tokens
    except ImportError as exc:
        rows.append(Row("threads", "all", "skipped", note=f"digest.tracking.threads: {exc}"))
        return
    from rapidfuzz import fuzz, process

    from digest.config.schema import TrackingConfig

    tracking = TrackingConfig()
    by_series: dict[str, list[Any]] = {}
    for item in items:
        if item.role == "tracked":
            by_series.setdefault(item.series, []).append(item)
    series, pool = max(by_series.items(), key=lambda kv: len(kv[1]))
    pool.sort(key=lambda i: (i.meeting_date, i.line))
    usable = [n for n in sizes if n <= len(pool)]
    if len(usable) < len(sizes):
        dropped = ", ".join(f"{n:,}" for n in sizes if n > len(pool))
        rows.append(
            Row("threads", f"sizes {dropped}", "skipped", note=f"only {len(pool):,} items made")
        )
    measured: list[tuple[int, float, int]] = []
    for n in usable:
        _progress(f"threads: build_threads on {n:,} items")
        threads, seconds = _time(functools.partial(build_threads, pool[:n], tracking))
        measured.append((n, seconds, len(threads)))
    naive: list[tuple[int, float]] = []
    for n in [n for n in usable if n <= naive_max]:
        _progress(f"threads: naive all-pairs on {n:,} items")
        texts = [" ".join(normalize_tokens(i.text, i.status_phrase)) for i in pool[:n]]

        def all_pairs(texts: list[str] = texts) -> None:
            # Every item against every earlier one: n(n-1)/2 rapidfuzz calls (in C).
            for k in range(1, len(texts)):
                process.extract(
                    texts[k],
                    texts[:k],
                    scorer=fuzz.token_set_ratio,
                    limit=None,
                    score_cutoff=tracking.similarity,
                )

        naive.append((n, _time(all_pairs)[1]))
    growth = _growth([m[0] for m in measured], [m[1] for m in measured])
    naive_time = dict(naive)
    for (n, seconds, count), slope in zip(measured, growth, strict=True):
        if n in naive_time:
            base = f"naive all-pairs {_seconds(naive_time[n])}"
        elif naive:
            # Quadratic from the largest measured naive size: an estimate, not a run.
            n0, t0 = naive[-1]
            base = f"naive all-pairs ~{_seconds(t0 * (n / n0) ** 2)} (est. n², not run)"
        else:
            base = ""
        note = f"{count:,} threads, {seconds / n * 1e6:.0f} µs/item"
        rows.append(
            Row(
                "threads", f"build_threads {n:,} items", _seconds(seconds), base, f"{note}; {slope}"
            )
        )
    if len(naive) >= 2:
        slope = _growth([n for n, _ in naive], [t for _, t in naive])[-1]
        rows.append(Row("threads", "naive all-pairs", "", "", slope))
    rows.append(Row("threads", "series used", series, "", "synthetic, tracked items only"))


# ---- scale, hostile notes, start-up (whole processes) ---------------------------

DIGEST = Path(sys.executable).with_name("digest")
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "notes-digest-bench"
FOLDER_CONFIG = """\
[digest]
state_dir = "state"

[[sources]]
name = "kestrel"
kind = "dir"
path = "notes"
glob = ["**/*.md"]
org = "kestrel-dev"

[mail]
from = "Kestrel digest <digest@kestrel.example.org>"
list_address = "kestrel-dev@lists.example.org"
transport = "outbox"
"""
SCALE_MONTH = "2020-06"  # inside the first 1k generated meetings (one every 3 days from 2015)


def _code_key() -> str:
    """What a cached synced state depends on: the generator, the reader, the state."""
    import hashlib

    digest = hashlib.sha256()
    folders = ["digest/notes", "digest/state", "digest/sources", "digest/app/sync.py"]
    for name in [*folders, "bench/synth.py"]:
        path = REPO_ROOT / name
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:12]


def _write_history(
    root: Path, meetings: int, seed: int, extra: dict[str, str] | None = None
) -> None:
    import synth

    for doc in synth.documents(meetings, seed=seed):
        path = root / "notes" / doc.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(doc.text, encoding="utf-8")
    for name, text in (extra or {}).items():
        (root / "notes" / name).write_text(text, encoding="utf-8")
    (root / "config.toml").write_text(FOLDER_CONFIG, encoding="utf-8")


def _synced_history(meetings: int, seed: int) -> Path:
    """A folder of `meetings` generated meetings and its synced state, cached."""
    root = CACHE / f"scale-{meetings}-{seed}-{_code_key()}"
    if (root / "done").is_file():
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    _progress(f"scale: generating and syncing {meetings:,} meetings (cached for later runs)")
    _write_history(root, meetings, seed)
    subprocess.run([str(DIGEST), "-q", "sync"], cwd=root, check=True, capture_output=True)
    (root / "done").write_text("")
    return root


def bench_scale(rows: list[Row], sizes: Sequence[int], seed: int, repeat: int) -> None:
    preview = [str(DIGEST), "-q", "preview", "--period", SCALE_MONTH, "--format", "json"]
    measured: list[tuple[int, float, int, bytes]] = []
    for n in sizes:
        root = _synced_history(n, seed)
        _progress(f"scale: preview {SCALE_MONTH} at {n:,} meetings, {repeat} runs")
        wall, peak, out = _median_run(preview, root, repeat)
        measured.append((n, wall, peak, out))
    base_n, base_wall, base_peak, base_out = measured[0]
    for n, wall, peak, out in measured:
        same = "same JSON as at " + f"{base_n:,}" if out == base_out else "JSON DIFFERS"
        ratio = f"{wall / base_wall:.2f}x" if n != base_n else ""
        rows.append(
            Row(
                "scale",
                f"preview {SCALE_MONTH}, {n:,} meetings",
                f"{_seconds(wall)}, {_mib(peak)}",
                ""
                if n == base_n
                else f"{base_n:,} meetings {_seconds(base_wall)}, {_mib(base_peak)}",
                f"{ratio + '; ' if ratio else ''}{same}; whole process, median of {repeat}",
            )
        )


def _last_month(root: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(root / "state" / "state.db")
    try:
        (last,) = conn.execute("SELECT max(date) FROM meetings").fetchone()
    finally:
        conn.close()
    return str(last)[:7]


def _month_before(month: str) -> str:
    year, number = (int(p) for p in month.split("-"))
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def _fresh_copy(root: Path, into: Path) -> Path:
    """The synced history in a scratch folder, without kept threads (as after an upgrade)."""
    import sqlite3

    work = into / root.name
    (work / "state").mkdir(parents=True)
    (work / "notes").symlink_to(root / "notes")
    shutil.copy(root / "config.toml", work / "config.toml")
    shutil.copy(root / "state" / "state.db", work / "state" / "state.db")
    conn = sqlite3.connect(work / "state" / "state.db")
    for table in ("thread_points", "thread_cold", "thread_items"):
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [table]).fetchone():
            conn.execute(f"DELETE FROM {table}")
    conn.commit()
    conn.close()
    return work


def bench_monthly(rows: list[Row], sizes: Sequence[int], seed: int, repeat: int) -> None:
    """The monthly job on a long history: the newest month's preview, with the month
    before already done (kept threads), vs the same on a short history."""
    measured: list[tuple[int, float, int, float, int, float]] = []
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        for n in sizes:
            root = _synced_history(n, seed)
            last = _last_month(root)
            work = _fresh_copy(root, Path(tmp))

            def preview(month: str) -> list[str]:
                return [str(DIGEST), "-q", "preview", "--period", month, "--format", "json"]

            _progress(f"monthly: {n:,} meetings, first preview (builds the kept threads)")
            first_wall, first_peak, _ = _measured(preview(_month_before(last)), work)
            _progress(f"monthly: {n:,} meetings, preview {last} after {_month_before(last)}")
            next_wall, next_peak, _ = _measured(preview(last), work)
            again_wall, again_peak, _ = _median_run(preview(last), work, repeat)
            measured.append((n, first_wall, first_peak, next_wall, next_peak, again_wall))
            del again_peak
    base = measured[0]
    for n, first_wall, first_peak, next_wall, next_peak, again_wall in measured:
        other = n != base[0]
        rows.append(
            Row(
                "monthly",
                f"newest month, {n:,} meetings, month before kept",
                f"{_seconds(next_wall)}, {_mib(next_peak)}",
                f"{base[0]:,} meetings {_seconds(base[3])}, {_mib(base[4])}" if other else "",
                (f"{next_wall / base[3]:.2f}x; " if other else "")
                + f"asked again: {_seconds(again_wall)} (median of {repeat})",
            )
        )
        rows.append(
            Row(
                "monthly",
                f"first preview after an upgrade, {n:,} meetings",
                f"{_seconds(first_wall)}, {_mib(first_peak)}",
                f"{base[0]:,} meetings {_seconds(base[1])}, {_mib(base[2])}" if other else "",
                "builds the kept threads of the whole history, once",
            )
        )


HOSTILE_BYTES = 1_000_000


def hostile_notes(day: str = "2015-06-10") -> dict[str, str]:
    """1 MB notes of the shapes that stalled the monthly job (invented text)."""
    head = (
        f"# {day} Kestrel Maintainers\n\n## Agenda\n\n- Review the probe loader -> in progress\n\n"
    )
    row = "| area {k} | ship the plugin registry part {k} | in progress |\n"
    rows, k = [], 0
    size = len(head)
    while size < HOSTILE_BYTES:
        line = row.format(k=k)
        rows.append(line)
        size += len(line)
        k += 1
    table = head + "## Status\n\n| Area | Goal | Status |\n| --- | --- | --- |\n" + "".join(rows)
    words = "refactor the rule compiler for the new kernel versions "
    line = head + "- " + words * (HOSTILE_BYTES // len(words)) + "\n"
    nested = head + "- " * (HOSTILE_BYTES // 2) + "rewrite the plugin loader\n"
    return {
        f"{k:,}-row table": table,
        "one 1 MB line": line,
        f"list nested {HOSTILE_BYTES // 2:,} deep": nested,
    }


def bench_hostile(rows: list[Row], seed: int, repeat: int) -> None:
    month = "2015-06"
    preview = [str(DIGEST), "-q", "preview", "--period", month, "--format", "json"]
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        plain = Path(tmp) / "plain"
        _write_history(plain, 120, seed)
        _progress(f"hostile: preview {month} of 120 meetings, without a hostile note")
        subprocess.run([str(DIGEST), "-q", "sync"], cwd=plain, check=True, capture_output=True)
        base_wall, base_peak, _ = _median_run(preview, plain, repeat)
        for n, (what, text) in enumerate(hostile_notes().items()):
            root = Path(tmp) / f"hostile-{n}"
            _write_history(root, 120, seed, {"2015-06-10-Kestrel-Extra.md": text})
            _progress(f"hostile: preview {month} with a {what}")
            started = time.perf_counter()
            subprocess.run([str(DIGEST), "-q", "sync"], cwd=root, check=True, capture_output=True)
            sync_s = time.perf_counter() - started
            wall, peak, _ = _median_run(preview, root, repeat)
            rows.append(
                Row(
                    "hostile",
                    f"preview {month} with a {what}",
                    f"{_seconds(wall)}, {_mib(peak)}",
                    f"without it {_seconds(base_wall)}, {_mib(base_peak)}",
                    f"{wall / base_wall:.2f}x; its sync {_seconds(sync_s)}; median of {repeat}",
                )
            )


def bench_startup(rows: list[Row], repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        root = Path(tmp)
        shutil.copy(REPO_ROOT / "config.toml", root / "config.toml")
        shutil.copytree(REPO_ROOT / "examples", root / "examples")
        subprocess.run([str(DIGEST), "-q", "sync"], cwd=root, check=True, capture_output=True)
        _progress(f"startup: {repeat} runs each")
        floor = _median_run([sys.executable, "-c", "pass"], root, repeat)[0]
        typer_s = _median_run([sys.executable, "-c", "import typer"], root, repeat)[0]
        base = f"python -c pass {_seconds(floor)}, import typer {_seconds(typer_s)}"
        for what, cmd in [
            ("digest --help", [str(DIGEST), "--help"]),
            ("no-op digest sync", [str(DIGEST), "-q", "sync"]),
        ]:
            wall, peak, _ = _median_run(cmd, root, repeat)
            note = (
                f"median of {repeat}; example config" if "sync" in what else f"median of {repeat}"
            )
            rows.append(Row("startup", what, f"{_seconds(wall)}, {_mib(peak)}", base, note))


SYNC_CONFIG = """\
[digest]
state_dir = "state"

[[sources]]
name = "kestrel"
kind = "git"
url = "{repo}"
glob = ["notes/*.md"]
org = "kestrel-dev"
"""


def _cached_repo(
    name: str, size: int, seed: int, write: Callable[[Path], Any]
) -> tuple[Path, dict[str, int]]:
    """A generated git repository and its stats, cached by name, size, seed and the
    hash of synth.py (the only thing they depend on)."""
    import hashlib

    key = hashlib.sha256((THIS.parent / "synth.py").read_bytes()).hexdigest()[:12]
    root = CACHE / f"{name}-{size}-{seed}-{key}"
    stats_file = root / "stats.json"
    if not stats_file.is_file():
        shutil.rmtree(root, ignore_errors=True)
        stats = write(root / "repo")
        stats_file.write_text(json.dumps(stats.__dict__))
    return root / "repo", json.loads(stats_file.read_text())


def _git_history(notes: int, seed: int) -> tuple[Path, dict[str, int]]:
    """A git repository of `notes` generated notes in one flat folder."""
    import synth

    def write(repo: Path) -> Any:
        _progress(f"sync: writing a git history of {notes:,} notes (cached for later runs)")
        return synth.git_history(repo, notes, seed=seed)

    return _cached_repo("sync", notes, seed, write)


RUNNING_MEETINGS = 300  # six years of a weekly call kept as running notes


def _running_history(meetings: int, seed: int) -> tuple[Path, dict[str, int]]:
    """One note kept as running notes, a meeting added on top at each of `meetings` commits."""
    import synth

    return _cached_repo(
        "running", meetings, seed, lambda repo: synth.running_history(repo, meetings, seed=seed)
    )


def _cold_sync(repo: Path) -> tuple[float, int, float, dict[str, Any]]:
    """A cold `digest sync` of `repo` (wall, peak RSS, CPU), and markdown-it parsing
    every version it stored (the worker's figures)."""
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        root = Path(tmp)
        (root / "config.toml").write_text(SYNC_CONFIG.format(repo=repo), encoding="utf-8")
        wall, peak, _, cpu = _measured_cpu([str(DIGEST), "-q", "sync"], root)
        _progress("sync: markdown-it parse of the versions it stored")
        base, _ = _run_worker("mdparse", str(root / "state" / "state.db"), str(repo))
    return wall, peak, cpu, base


def _bench_running(rows: list[Row], seed: int) -> None:
    """A cold sync of one note kept as running notes (a meeting added on top at each
    commit), against markdown-it parsing each of its versions whole."""
    repo, stats = _running_history(RUNNING_MEETINGS, seed)
    _progress(f"sync: cold sync of one running-notes file, {stats['commits']:,} commits")
    wall, peak, cpu, base = _cold_sync(repo)
    rows.append(
        Row(
            "sync",
            f"cold sync, one running-notes file, {stats['commits']:,} commits",
            f"{_seconds(wall)} ({_seconds(cpu)} CPU), {_mib(peak)}",
            f"markdown-it parse of its {base['versions']:,} versions "
            f"{_seconds(base['parse_s'])} ({_seconds(base['parse_cpu'])} CPU)",
            f"{cpu / base['parse_cpu']:.2f}x in CPU time, {wall / base['parse_s']:.2f}x wall; "
            f"{base['bytes'] / 2**20:.1f} MiB of versions "
            f"({stats['head_bytes'] / 2**10:.0f} KiB at the head); one run",
        )
    )


def _bench_since(rows: list[Row], n: int, full_wall: float, seed: int) -> None:
    """A new install's first sync of the largest history, with since = the date of the
    commit 95% of the way through it (the code has no `since` before issue 10: skipped)."""
    repo, _ = _git_history(n, seed)
    shas = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--first-parent", "--reverse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    at = shas[int(len(shas) * 0.95)]
    since = subprocess.run(
        ["git", "-C", str(repo), "show", "-s", "--format=%cs", at],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        root = Path(tmp)
        config = SYNC_CONFIG.format(repo=repo) + f'since = "{since}"\n'
        (root / "config.toml").write_text(config, encoding="utf-8")
        _progress(f"sync: cold sync of {n:,} notes since {since}")
        try:
            wall, peak, _ = _measured([str(DIGEST), "-q", "sync"], root)
        except RuntimeError:
            rows.append(Row("sync", f"cold sync, {n:,} notes, since", "skipped", note="no since"))
            return
    rows.append(
        Row(
            "sync",
            f"cold sync, {n:,} notes, since {since}",
            f"{_seconds(wall)}, {_mib(peak)}",
            f"the whole history {_seconds(full_wall)}",
            f"{wall / full_wall:.2f}x; since = the last 5% of the commits; one run",
        )
    )


def bench_sync(rows: list[Row], sizes: Sequence[int], seed: int) -> None:
    if shutil.which("git") is None:
        rows.append(Row("sync", "all", "skipped", note="git is not installed"))
        return
    measured: list[tuple[int, float, float]] = []
    for n in sizes:
        repo, stats = _git_history(n, seed)
        _progress(f"sync: cold sync of {n:,} notes ({stats['commits']:,} commits)")
        wall, peak, cpu, base = _cold_sync(repo)
        measured.append((n, wall, cpu))
        rows.append(
            Row(
                "sync",
                f"cold sync, {n:,} notes",
                f"{_seconds(wall)} ({_seconds(cpu)} CPU), {_mib(peak)}",
                f"markdown-it parse of its {base['versions']:,} versions "
                f"{_seconds(base['parse_s'])} ({_seconds(base['parse_cpu'])} CPU)",
                f"{cpu / base['parse_cpu']:.2f}x in CPU time, {wall / base['parse_s']:.2f}x "
                f"wall; {stats['commits']:,} commits, {base['bytes'] / 2**20:.1f} MiB of "
                f"versions ({stats['head_bytes'] / 2**20:.1f} at the head); one run",
            )
        )
    _bench_running(rows, seed)
    if measured:
        _bench_since(rows, *measured[-1][:2], seed)
    for (n0, t0, c0), (n, t, c) in itertools.pairwise(measured):
        rows.append(
            Row(
                "sync",
                f"cold sync {n:,} vs {n0:,} notes",
                f"{c / c0:.1f}x in CPU time, {t / t0:.1f}x wall",
                f"{n0:,} notes {_seconds(t0)} ({_seconds(c0)} CPU)",
                f"{n / n0:.0f}x the notes",
            )
        )


# ---- send: `digest send` to Postfix's smtp-sink -----------------------------------

SEND_CONFIG = """\
[digest]
title = "Kestrel digest"
state_dir = "state"

[[sources]]
name = "kestrel"
kind = "dir"
path = "notes"
glob = ["**/*.md"]
org = "kestrel-dev"

[mail]
from = "Kestrel digest <digest@kestrel.example.org>"
subscribers = true
unsubscribe_mailto = "leave@kestrel.example.org"
transport = "smtp"

[web]
base_url = "https://digest.kestrel.example.org/"

[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
max_connections = {connections}
max_per_second = 1000000.0
"""
# A small project's month (written for the benchmark): one meeting, a digest of a few KB.
SMALL_NOTE = """\
# 2015-06-04 Kestrel Maintainers (monthly)

## Who joined

- ana, bruno, chen, dara

## Agenda

- Release 0.14: the probe loader fix is in, rc1 next week -> in progress
- [ ] [ana] write the upgrade notes for the new rule format
- [ ] [bruno] profile the event ring buffer on arm64 #412
- [x] [chen] move the website search to the new index

## Decisions

- The helm chart follows the release train from 0.14 on.
"""
SEND_MONTH = "2015-06"
NAIVE_MAX = 10_000
BENCH_SECRET = "a-benchmark-secret-that-is-long-enough"
SEND_ENV = {**os.environ, "DIGEST_SECRET": BENCH_SECRET}


def _postfix_tool(name: str) -> str | None:
    """smtp-sink / smtp-source: on PATH or in /usr/sbin; installed with apt (as root) when
    missing and apt is there."""
    where = "/usr/sbin:/usr/local/sbin"
    found = shutil.which(name) or shutil.which(name, path=where)
    if found or shutil.which("apt-get") is None or os.geteuid() != 0:
        return found
    _progress("send: installing Postfix (apt-get install postfix) for smtp-sink/smtp-source")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-q", "postfix"], env=env, check=False)
    return shutil.which(name) or shutil.which(name, path=where)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(what: str, ready: Callable[[], bool], timeout: float) -> None:
    """Poll `ready` until it is true; RuntimeError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} within {timeout:g} s")
        time.sleep(0.005)


class SmtpSink:
    """Postfix's smtp-sink on a free loopback port; `dump`: every message accepted is
    appended to that file (an interrupted transaction is not)."""

    def __init__(self, binary: str, dump: Path | None = None) -> None:
        import socket

        self.port = _free_port()
        cmd = [binary]
        if os.geteuid() == 0:
            cmd += ["-u", "nobody"]  # smtp-sink refuses to run as root without it
        if dump is not None:
            cmd += ["-D", str(dump)]
        self.proc = subprocess.Popen(
            [*cmd, f"127.0.0.1:{self.port}", "1000"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def listening() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"smtp-sink exited with {self.proc.returncode}")
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", self.port)) == 0

        _wait_for(f"smtp-sink did not listen on 127.0.0.1:{self.port}", listening, 10)

    def __enter__(self) -> SmtpSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _send_project(root: Path, subscribers: int, seed: int, digest: str) -> Path:
    """Notes, a synced state and `subscribers` subscribers; returns the pristine state.

    digest "small": one meeting that month (a digest of a few KB); "large": a month of
    the generated history (two series, ten meetings: about 110 KB a message)."""
    if digest == "large":
        _write_history(root, 120, seed)
    else:
        (root / "notes").mkdir(parents=True)
        (root / "notes" / "2015-06-04-kestrel-maintainers.md").write_text(SMALL_NOTE, "utf-8")
    (root / "config.toml").write_text(SEND_CONFIG.format(port=25, connections=2), "utf-8")
    subprocess.run([str(DIGEST), "-q", "sync"], cwd=root, check=True, capture_output=True)
    csv_file = root / "subscribers.csv"
    csv_file.write_text(
        "".join(f"reader{i:06d}@readers.example.org\n" for i in range(subscribers)), "utf-8"
    )
    subprocess.run(
        [str(DIGEST), "-q", "subscribers", "import", str(csv_file)],
        cwd=root,
        check=True,
        capture_output=True,
        env=SEND_ENV,
    )
    pristine = root / "state.pristine"
    shutil.copytree(root / "state", pristine)
    return pristine


def _fresh_state(root: Path, pristine: Path, port: int, connections: int) -> None:
    shutil.rmtree(root / "state", ignore_errors=True)
    shutil.copytree(pristine, root / "state")
    (root / "config.toml").write_text(
        SEND_CONFIG.format(port=port, connections=connections), "utf-8"
    )


def _ledger(root: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(root / "state" / "state.db", timeout=30) as conn:
        return dict(conn.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status"))


def worker_naive(root: Path, port: int, count: int, eml: Path) -> dict[str, Any]:
    """The baseline: an EmailMessage per reader (the frozen digest's subject and bodies,
    set_content / add_alternative), sent with aiosmtplib over one connection; no
    ledger. Writes one reader's message, as digest sends it, to `eml` for smtp-source."""
    import asyncio
    import email.policy
    import email.utils
    import sqlite3
    from datetime import UTC, datetime
    from email.message import EmailMessage

    import aiosmtplib

    with sqlite3.connect(root / "state" / "state.db") as conn:
        subject, text, html = conn.execute(
            "SELECT subject, text_body, html_body FROM digests WHERE kind = 'bundle'"
        ).fetchone()
    from digest.config.load import load_config
    from digest.mail.render import RenderedDigest
    from digest.state.db import open_db

    os.environ["DIGEST_SECRET"] = BENCH_SECRET
    from digest.app.send import MessageFactory, SendOptions, SendRun
    from digest.model import DigestId
    from digest.periods import Period
    from digest.state.ledger import Recipient

    cfg = load_config(root / "config.toml")
    run = SendRun(cfg, open_db(cfg.db_path), SendOptions(), datetime.now(UTC), None)
    run.secret = BENCH_SECRET
    bundle = DigestId("subscribers: Kestrel Maintainers", Period.parse(SEND_MONTH))
    factory = MessageFactory(run, RenderedDigest(subject, text, html), bundle)
    one = factory.build(Recipient("reader000000@readers.example.org", "subscriber"))
    wire = one.as_bytes(policy=email.policy.SMTP)
    eml.write_bytes(wire.replace(b"\r\n", b"\n"))

    async def naive() -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, local_hostname="bench")
        await smtp.connect()
        for i in range(count):
            msg = EmailMessage()
            msg["From"] = "Kestrel digest <digest@kestrel.example.org>"
            msg["To"] = f"reader{i:06d}@readers.example.org"
            msg["Subject"] = subject
            msg["Date"] = email.utils.formatdate()
            msg["Message-ID"] = email.utils.make_msgid(domain="kestrel.example.org")
            msg.set_content(text)
            msg.add_alternative(html, subtype="html")
            await smtp.send_message(msg)
        await smtp.quit()

    started = time.perf_counter()
    asyncio.run(naive())
    return {"naive_s": time.perf_counter() - started, "bytes": len(wire)}


def _smtp_source(binary: str, port: int, count: int, sessions: int, eml: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            *(binary, "-s", str(sessions), "-d", "-m", str(count), "-F", str(eml)),
            *("-f", "digest@kestrel.example.org", "-t", "reader@readers.example.org"),
            f"127.0.0.1:{port}",
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def bench_send(
    rows: list[Row], sizes: Sequence[int], digests: Sequence[str], seed: int, connections: int
) -> None:
    sink_binary, source_binary = _postfix_tool("smtp-sink"), _postfix_tool("smtp-source")
    if sink_binary is None or source_binary is None:
        rows.append(
            Row("send", "all", "skipped", note="no smtp-sink (Debian: apt-get install postfix)")
        )
        return
    send = [str(DIGEST), "-q", "send", "--period", SEND_MONTH]
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp:
        for kind in digests:
            for n in sizes:
                root = Path(tmp) / f"send-{kind}-{n}"
                _progress(f"send: a project with {n:,} subscribers ({kind} digest)")
                pristine = _send_project(root, n, seed, kind)
                with SmtpSink(sink_binary) as sink:
                    _fresh_state(root, pristine, sink.port, connections)
                    _progress(f"send: digest send to {n:,} subscribers")
                    wall, peak, _, cpu = _measured_cpu(send, root, env=SEND_ENV)
                    ledger = _ledger(root)
                    # The naive loop is slow: its rate is measured on 10,000 at most.
                    naive_n = min(n, NAIVE_MAX)
                    _progress(f"send: naive loop, {naive_n:,} messages")
                    eml = root / "one.eml"
                    naive, _ = _run_worker(
                        "naive", str(root), str(sink.port), str(naive_n), str(eml)
                    )
                    _progress(f"send: smtp-source, {n:,} messages")
                    source_s = _smtp_source(source_binary, sink.port, n, connections, eml)
                ok = "ledger: all sent" if ledger == {"sent": n} else f"LEDGER {ledger}"
                rate, naive_rate, source_rate = n / wall, naive_n / naive["naive_s"], n / source_s
                rows.append(
                    Row(
                        "send",
                        f"digest send, {n:,} subscribers, {naive['bytes'] / 1024:.0f} KB each",
                        f"{rate:,.0f} msg/s, {_mib(peak)}",
                        f"naive loop {naive_rate:,.0f} msg/s; smtp-source {source_rate:,.0f} msg/s",
                        f"{rate / naive_rate:.2f}x naive, {rate / source_rate:.0%} of "
                        f"smtp-source; {_seconds(wall)} whole process, {cpu / n * 1e6:.0f} µs "
                        f"of CPU a message; {connections} connections; {ok}",
                    )
                )


def _accepted(dump: Path) -> dict[str, int]:
    """recipient -> messages smtp-sink accepted for it (its -D dump file)."""
    counts: dict[str, int] = {}
    with dump.open("rb") as handle:
        for line in handle:
            if line.startswith(b"X-Rcpt-Args: <"):
                address = line[14:].split(b">", 1)[0].decode("ascii")
                counts[address] = counts.get(address, 0) + 1
    return counts


def bench_send_crash(rows: list[Row], subscribers: int, trials: int, seed: int) -> None:
    """SIGKILL `digest send` at a random point, send again: nobody lost, and at most the
    documented number of messages mailed twice."""
    import random
    import signal

    from digest.app.send import LEDGER_GROUP

    sink_binary = _postfix_tool("smtp-sink")
    if sink_binary is None:
        rows.append(Row("crash", "all", "skipped", note="no smtp-sink (apt-get install postfix)"))
        return
    connections = 2
    bound = LEDGER_GROUP + connections
    rng = random.Random(seed)
    send = [str(DIGEST), "-q", "send", "--period", SEND_MONTH]
    shm = Path("/dev/shm")
    with (
        tempfile.TemporaryDirectory(prefix="digest-bench-") as tmp,
        tempfile.TemporaryDirectory(
            prefix="digest-bench-dump-", dir=shm if shm.is_dir() else None
        ) as dumps,
    ):
        os.chmod(dumps, 0o777)  # smtp-sink writes there as "nobody" when run as root
        root = Path(tmp) / "crash"
        _progress(f"crash: a project with {subscribers:,} subscribers")
        pristine = _send_project(root, subscribers, seed, "small")
        worst, lost, killed_at = 0, 0, []
        for trial in range(trials):
            dump = Path(dumps) / f"trial-{trial}.txt"
            with SmtpSink(sink_binary, dump) as sink:
                _fresh_state(root, pristine, sink.port, connections)
                kill_after = rng.randint(subscribers // 20, subscribers * 19 // 20)
                _progress(f"crash: trial {trial + 1}/{trials}, SIGKILL after ~{kill_after:,}")
                first = subprocess.Popen(send, cwd=root, env=SEND_ENV, stderr=subprocess.DEVNULL)
                db = root / "state" / "state.db"

                def far_enough(
                    db: Path = db, proc: subprocess.Popen[bytes] = first, at: int = kill_after
                ) -> bool:
                    if proc.poll() is not None:
                        return True
                    if not db.exists():
                        return False
                    try:
                        return _ledger(root).get("sent", 0) >= at
                    except Exception:  # the schema is still being made
                        return False

                _wait_for("the first send did not get far enough", far_enough, 300)
                first.send_signal(signal.SIGKILL)
                first.wait(30)
                killed_at.append(_ledger(root).get("sent", 0))
                second = subprocess.run(send, cwd=root, env=SEND_ENV, capture_output=True)
                if second.returncode != 0:
                    raise RuntimeError(f"the second send failed: {second.stderr.decode()}")
                # smtp-sink appends a message when its transaction ends: wait for the last.
                _wait_for(
                    "smtp-sink did not write every message",
                    lambda dump=dump: len(_accepted(dump)) >= subscribers,
                    30,
                )
            counts = _accepted(dump)
            dump.unlink()
            lost += subscribers - len(counts)
            worst = max(worst, sum(n - 1 for n in counts.values()))
        rows.append(
            Row(
                "crash",
                f"SIGKILL during a {subscribers:,} send, {trials} trials",
                f"{lost} lost; at most {worst} duplicates",
                f"bound {bound} (LEDGER_GROUP {LEDGER_GROUP} + {connections} connections)",
                f"killed with {min(killed_at):,}..{max(killed_at):,} recorded sent; "
                + ("OK" if lost == 0 and worst <= bound else "OVER THE BOUND"),
            )
        )


# ---- main ----------------------------------------------------------------------


def _revision() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + local changes" if dirty else "")


SECTIONS = [
    "corpus",
    "parse",
    "threads",
    "scale",
    "monthly",
    "hostile",
    "startup",
    "sync",
    "send",
    "crash",
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (about 15 s)")
    parser.add_argument("--meetings", type=int, help="synthetic meetings (default 5000)")
    parser.add_argument(
        "--sizes", help="thread benchmark sizes, comma-separated (default 1000,5000,20000)"
    )
    parser.add_argument(
        "--naive-max", type=int, help="largest size run all-pairs (default 5000, quick 1000)"
    )
    parser.add_argument("--seed", type=int, default=7, help="synthetic history seed (default 7)")
    parser.add_argument(
        "--corpus", type=Path, default=BUNDLE, help=f"the Falco notes bundle (default {BUNDLE})"
    )
    parser.add_argument(
        "--only",
        choices=SECTIONS,
        action="append",
        help="run only these (default: all)",
    )
    parser.add_argument(
        "--scale-sizes",
        help="scale: meetings, comma-separated (default 1000,20000; quick 1000,5000)",
    )
    parser.add_argument(
        "--sync-sizes",
        help="sync: notes, comma-separated (default 1000,20000; quick 1000,5000)",
    )
    parser.add_argument(
        "--repeat", type=int, help="runs of each timed process (default 5, quick 3)"
    )
    parser.add_argument(
        "--send-sizes", help="send: subscribers, comma-separated (default 10000; quick 2000)"
    )
    parser.add_argument(
        "--connections", type=int, default=2, help="send: [smtp] max_connections (default 2)"
    )
    parser.add_argument(
        "--large-digest",
        action="store_true",
        help="send: also a month of the generated history (about 110 KB a message)",
    )
    parser.add_argument("--trials", type=int, help="crash: SIGKILL trials (default 20)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("workdir", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("more", nargs="*", help=argparse.SUPPRESS)  # a worker's other arguments
    args = parser.parse_args(argv)

    if args.worker == "idle":
        print(json.dumps(worker_idle()))
        return 0
    if args.worker == "naive":
        root, port, count, eml = args.workdir, *args.more
        print(json.dumps(worker_naive(Path(root), int(port), int(count), Path(eml))))
        return 0
    if args.worker == "mdparse":
        print(json.dumps(worker_mdparse(Path(args.workdir), Path(args.more[0]))))
        return 0
    if args.worker == "corpus":
        print(json.dumps(worker_corpus(args.corpus, Path(args.workdir), args.traced)))
        return 0

    meetings = args.meetings or (1000 if args.quick else 5000)
    sizes_text = args.sizes or ("1000,5000" if args.quick else "1000,5000,20000")
    sizes = [int(s) for s in sizes_text.split(",") if s.strip()]
    naive_max = args.naive_max if args.naive_max is not None else (1000 if args.quick else 5000)
    only = set(args.only or SECTIONS)
    repeat = args.repeat or (3 if args.quick else 5)
    scale_text = args.scale_sizes or ("1000,5000" if args.quick else "1000,20000")
    scale_sizes = [int(s) for s in scale_text.split(",") if s.strip()]
    send_text = args.send_sizes or ("2000" if args.quick else "10000")
    send_sizes = [int(s) for s in send_text.split(",") if s.strip()]
    sync_text = args.sync_sizes or ("1000,5000" if args.quick else "1000,20000")
    sync_sizes = [int(s) for s in sync_text.split(",") if s.strip()]
    if "threads" in only:
        # The thread sizes need enough synthetic items (about 7 tracked per meeting).
        meetings = max(meetings, math.ceil(max(sizes) / 6))

    print(
        f"notes-digest benchmarks — {_revision()} — Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )
    rows: list[Row] = []
    started = time.perf_counter()
    if "corpus" in only:
        bench_corpus(rows, args.corpus, traced=not args.quick)
    items: list[Any] = []
    if only & {"parse", "threads"}:
        items = bench_parse(rows, meetings, args.seed)
    if "threads" in only:
        bench_threads(rows, items, sizes, naive_max)
    if "scale" in only:
        bench_scale(rows, scale_sizes, args.seed, repeat)
    if "monthly" in only:
        bench_monthly(rows, scale_sizes, args.seed, repeat)
    if "hostile" in only:
        bench_hostile(rows, args.seed, repeat)
    if "startup" in only:
        bench_startup(rows, repeat)
    if "send" in only:
        digests = ["small", "large"] if args.large_digest else ["small"]
        bench_send(rows, send_sizes, digests, args.seed, args.connections)
    if "crash" in only:
        bench_send_crash(rows, 2000 if args.quick else 10000, args.trials or 20, args.seed)
    if "sync" in only:
        bench_sync(rows, sync_sizes, args.seed)
    _print_table(rows)
    print(f"total {_seconds(time.perf_counter() - started)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(THIS.parent))  # bench/synth.py
    sys.exit(main())
