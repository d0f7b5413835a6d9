"""derivcheck as a CI gate: signals, closed pipes, ASCII-only output, sharding, runs that check nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derivcheck.api import Shard, shard_of, verify_paths
from derivcheck.config import CheckConfig

ROOT = Path(__file__).resolve().parents[2]
WRONG = "title: wrong σ\nsymbols: {x: real, sigma: real}\nsteps:\n  - (x + 1)**2\n  - x**2 + 1\n"
RIGHT = "title: t\nsymbols: {x: real}\nsteps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n"


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "derivcheck", "verify", "--no-cache", *args]


def environment(**extra: str) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def slow_file(folder: Path) -> Path:
    """Many steps that each need SymPy for a while, so the run is still going when the signal comes."""
    steps = "".join(f"  - sin(x + {k})**2 + cos(x + {k})**2 + x**{k % 5 + 2}\n" for k in range(300))
    path = folder / "slow.yaml"
    path.write_text("title: slow\nsymbols: {x: real}\nsteps:\n" + steps)
    return path


@pytest.mark.slow  # a CLI subprocess
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
@pytest.mark.parametrize(("signum", "code", "name"), [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "SIGINT")])
def test_a_signal_stops_the_workers_and_the_pipe_reader_sees_the_end(tmp_path, signum, code, name):
    path = slow_file(tmp_path)
    process = subprocess.Popen(
        command("--jobs", "2", "--timeout", "60", str(path)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=environment(), start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while len(children_of(process.pid)) < 2:  # wait for both workers (not a timing assertion)
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the workers never started"
            time.sleep(0.05)
        workers = children_of(process.pid)
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=120)  # returns only at end-of-file on both pipes
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the session this test started
    assert process.returncode == code
    assert stderr.strip().splitlines() == [f"derivcheck: stopped by {name}"]
    for pid in workers:
        for _ in range(200):
            if not alive(pid):
                break
            time.sleep(0.05)
        assert not alive(pid), f"worker {pid} outlived the run"


@pytest.mark.slow  # a CLI subprocess
def test_a_closed_stdout_ends_quietly_with_the_verdicts_exit_code(tmp_path):
    path = tmp_path / "long.yaml"
    steps = "".join(f"  - x + {k} - {k}\n" for k in range(3000))
    path.write_text("title: many\nsymbols: {x: real}\nsteps:\n" + steps + "  - x + 1\n")  # the last step is wrong
    for output in ("text", "json"):
        process = subprocess.Popen(
            command("--jobs", "1", "--verbose", "--format", output, str(path)),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment(),
        )
        process.stdout.readline()
        process.stdout.close()  # like `| head -1`
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=300) == 1
        assert stderr == ""


@pytest.mark.slow  # a CLI subprocess
@pytest.mark.parametrize("output", ["text", "json", "junit", "github", "sarif"])
def test_an_ascii_only_stdout_gets_ascii_marks_in_every_format(tmp_path, output):
    path = tmp_path / "wrong σ.yaml"
    path.write_text(WRONG + "---\n" + RIGHT)
    ascii_run = subprocess.run(
        command("--jobs", "1", "--format", output, str(path)), capture_output=True,
        env=environment(PYTHONIOENCODING="ascii", LANG="C", LC_ALL="C"), timeout=300,
    )
    assert ascii_run.returncode == 1, ascii_run.stderr
    assert b"internal error" not in ascii_run.stderr and b"Traceback" not in ascii_run.stderr
    ascii_run.stdout.decode("ascii")  # nothing but ASCII
    if output == "json":
        utf8_run = subprocess.run(
            command("--jobs", "1", "--format", output, str(path)), capture_output=True,
            env=environment(PYTHONIOENCODING="utf-8"), timeout=300,
        )
        assert json.loads(ascii_run.stdout) == json.loads(utf8_run.stdout)  # the same data, escaped
    if output == "text":
        assert b" x " in ascii_run.stdout or b"x wrong" in ascii_run.stdout


@pytest.mark.slow  # a CLI subprocess
def test_a_run_that_checks_nothing_exits_2_and_says_what_was_searched(tmp_path):
    (tmp_path / "empty").mkdir()
    run = subprocess.run(
        command(str(tmp_path / "empty")), capture_output=True, text=True, env=environment(), timeout=120
    )
    assert run.returncode == 2
    assert "nothing to check in" in run.stdout and str(tmp_path / "empty") in run.stdout


# -- sharding ---------------------------------------------------------------------------------


def test_shards_cover_every_file_exactly_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = [f"d{k}/f{k}.yaml" for k in range(40)]
    for shards in range(1, 8):
        owners = {name: [i for i in range(1, shards + 1) if Shard(i, shards).owns(name)] for name in names}
        assert all(len(owner) == 1 for owner in owners.values())
        if shards > 1:
            assert len({owner[0] for owner in owners.values()}) > 1  # not everything in one shard


@pytest.mark.slow  # a subprocess
def test_the_shard_of_a_file_is_a_sha256_of_its_relative_path(tmp_path, monkeypatch):
    import hashlib

    monkeypatch.chdir(tmp_path)
    digest = hashlib.sha256(b"derivations/bce/x.yaml").digest()
    assert shard_of("derivations/bce/x.yaml", 5) == int.from_bytes(digest[:8], "big") % 5 + 1
    # The same relative path, however it is written, and whatever the hash seed of the process.
    assert shard_of(str(tmp_path / "derivations" / "bce" / "x.yaml"), 5) == shard_of("derivations/bce/x.yaml", 5)
    seeds = {
        subprocess.run(
            [sys.executable, "-c", "from derivcheck.api import shard_of; print(shard_of('derivations/a.yaml', 7))"],
            capture_output=True, text=True, cwd=tmp_path, env=environment(PYTHONHASHSEED=str(seed)), check=True,
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(seeds) == 1


@pytest.mark.slow  # CLI subprocesses
def test_each_shard_reports_and_exits_for_its_own_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "derivations"
    folder.mkdir()
    names = [f"f{k}.yaml" for k in range(6)]
    wrong = next(n for n in names if shard_of(f"derivations/{n}", 2) == 1)
    for name in names:
        (folder / name).write_text(WRONG if name == wrong else RIGHT)
    config = CheckConfig(jobs=1, cache_dir=None)
    first = verify_paths(["derivations"], config, shard=Shard(1, 2))
    second = verify_paths(["derivations"], config, shard=Shard(2, 2))
    assert first.exit_code == 1 and second.exit_code == 0
    assert set(first.files) | set(second.files) == {f"derivations/{n}" for n in names}
    assert not set(first.files) & set(second.files)
    run = subprocess.run(command("--jobs", "1", "--shard", "2/2", "--format", "json", "derivations"),
                         capture_output=True, text=True, env=environment(), timeout=300)
    assert run.returncode == 0 and set(json.loads(run.stdout)["files"]) == set(second.files)


def test_an_empty_shard_of_a_non_empty_run_passes_with_a_note(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "only.yaml").write_text(RIGHT)
    owner = shard_of("only.yaml", 2)
    other = Shard(3 - owner, 2)
    report = verify_paths(["only.yaml"], CheckConfig(jobs=1, cache_dir=None), shard=other)
    assert report.exit_code == 0 and report.results == ()
    assert any("none of the 1 file(s) found falls in this shard" in w for w in report.warnings)


def test_when_no_file_holds_a_derivation_every_shard_fails_like_the_unsharded_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "posts"
    folder.mkdir()
    for k in range(5):
        (folder / f"p{k}.md").write_text(f"# Post {k}\n\nNo derivation here.\n\n```python\nx = 1\n```\n")
    config = CheckConfig(jobs=1, cache_dir=None)
    unsharded = verify_paths(["posts"], config)
    assert unsharded.exit_code == 2
    for count in range(1, 8):
        for index in range(1, count + 1):
            report = verify_paths(["posts"], config, shard=Shard(index, count))
            assert report.exit_code == 2, (index, count)
            (error,) = report.results
            assert error.message == "nothing to check in posts: none of the 5 file(s) read holds a derivation"


def test_a_shard_whose_files_hold_nothing_passes_when_another_shard_has_work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "posts").mkdir()
    names = [f"posts/p{k}.md" for k in range(8)]
    holder = names[0]
    empty_shard = next(i for i in (1, 2) if i != shard_of(holder, 2))
    assert any(shard_of(name, 2) == empty_shard for name in names)
    for name in names:
        (tmp_path / name).write_text("# no derivation\n" if name != holder else f"```derivation\n{RIGHT}```\n")
    config = CheckConfig(jobs=1, cache_dir=None)
    report = verify_paths(["posts"], config, shard=Shard(empty_shard, 2))
    assert report.exit_code == 0 and report.results == ()
    assert any("hold no derivation (the other shards' files do)" in w for w in report.warnings)
    assert verify_paths(["posts"], config, shard=Shard(3 - empty_shard, 2)).exit_code == 0


# -- output that cannot be written --------------------------------------------------------------


def test_a_failing_write_is_an_output_error_not_an_internal_one(tmp_path):
    import errno

    from derivcheck.report.encoding import OutputFailed, guarded_output

    class FullDisk:
        def fileno(self) -> int:
            return os.open(os.devnull, os.O_WRONLY)  # a real descriptor for the redirect to /dev/null

        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    stream = FullDisk()
    with pytest.raises(OutputFailed, match="^cannot write the report to standard output: No space left on device$"):
        with guarded_output(stream):  # type: ignore[arg-type]
            stream.write("x")
    with guarded_output(stream):  # type: ignore[arg-type]
        raise BrokenPipeError  # a reader that went away: quiet


@pytest.mark.slow  # a CLI subprocess per format
@pytest.mark.parametrize("output", ["text", "json", "junit", "github", "sarif", "schema", "render"])
def test_a_full_disk_says_the_output_failed_and_exits_2(tmp_path, output):
    path = tmp_path / "ok.yaml"
    path.write_text(RIGHT)
    if output == "schema":
        args = [sys.executable, "-m", "derivcheck", "schema"]
    elif output == "render":
        args = [sys.executable, "-m", "derivcheck", "render", "--no-check", str(path)]
    else:
        args = command("--jobs", "1", "--format", output, str(path))
    with open("/dev/full", "w") as full:
        run = subprocess.run(args, stdout=full, stderr=subprocess.PIPE, text=True, env=environment(), timeout=300)
    assert run.returncode == 2
    assert run.stderr == "derivcheck: cannot write the report to standard output: No space left on device\n"
