"""What a local user (the service user owning the state dir) or a damaged disk could do, and what
pxed does instead: no file opened through a planted link, no start on a lease store that lost rows,
no serving of / or the state dir, no hang on a FIFO. Each pxed runs in a network namespace of its
own (`unshare -n`, loopback only): full DHCP mode binds nothing on this machine's interfaces."""
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from suite import PXED_BIN

NOBODY = int(subprocess.run(["id", "-u", "nobody"], capture_output=True, text=True).stdout.strip() or 65534)
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="pxed starts as root and drops to nobody")


def pxed(*args, timeout=20):
    return subprocess.run([str(PXED_BIN), *args], capture_output=True, text=True, timeout=timeout)


def write_config(path, root, state, mode="full", extra=""):
    path.write_text(f"""[server]
state_dir = "{state}"
user = "nobody"
interfaces = ["lo"]
log_format = "text"
[files]
root = "{root}"
[tftp]
listen = "127.0.0.1:6969"
[dhcp]
mode = "{mode}"
[[dhcp.subnet]]
network = "127.0.0.0/8"
range = ["127.0.0.100", "127.0.0.199"]
lease_time = "10m"
{extra}""")
    return path


def serve_until_ready_or_exit(cfg, timeout=15, while_ready=None):
    """(exit code or None if it got ready, the log). A ready pxed is stopped with SIGTERM after
    while_ready(pid) ran."""
    script = f'ip link set lo up && exec "{PXED_BIN}" serve -c "{cfg}"'
    proc = subprocess.Popen(["unshare", "-n", "sh", "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    log = []
    deadline = time.monotonic() + timeout
    try:
        for line in proc.stdout:
            log.append(line)
            if "pxed.ready" in line:
                if while_ready:
                    while_ready(proc.pid)  # unshare and sh exec: this is pxed itself
                proc.terminate()
                proc.wait(timeout=10)
                return None, "".join(log)
            assert time.monotonic() < deadline, "".join(log)
        return proc.wait(timeout=10), "".join(log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture
def site():
    # Not pytest's tmp_path: its parents are 0700, and pxed opens state files as the state dir's owner.
    tmp_path = Path(tempfile.mkdtemp(prefix="pxed-local-"))
    os.chmod(tmp_path, 0o755)
    root = tmp_path / "root"
    root.mkdir()
    (root / "hello.txt").write_text("hi\n")
    state = tmp_path / "state"
    state.mkdir()
    os.chown(state, NOBODY, NOBODY)  # as pxed's hint recommends: the service user owns it
    yield tmp_path, root, state
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_planted_symlink_for_the_lease_database_is_refused_and_nothing_created(site):
    tmp, root, state = site
    target = tmp / "root-owned-file"
    os.symlink(target, state / "leases.sqlite3")
    code, log = serve_until_ready_or_exit(write_config(tmp / "pxed.toml", root, state))
    assert code == 1, log
    assert f"{state}/leases.sqlite3: is a symbolic link to {target}" in log, log
    assert not target.exists()
    # the -wal companion too: SQLite would otherwise write the WAL through it
    os.unlink(state / "leases.sqlite3")
    target.write_text("precious\n")
    os.symlink(target, state / "leases.sqlite3-wal")
    code, log = serve_until_ready_or_exit(write_config(tmp / "pxed.toml", root, state))
    assert code == 1 and "leases.sqlite3-wal: is a symbolic link" in log, log
    assert target.read_text() == "precious\n"


def test_state_files_are_private_and_owned_by_the_service_user(site):
    tmp, root, state = site
    status = {}

    def read_status(pid):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            status[key] = value.strip()
    code, log = serve_until_ready_or_exit(write_config(tmp / "pxed.toml", root, state), while_ready=read_status)
    assert code is None, log
    # after the drop: nobody, no capability left even in the bounding set, no new privileges
    assert status["Uid"].split() == [str(NOBODY)] * 4, status
    assert int(status["CapBnd"], 16) == 0 and int(status["CapEff"], 16) == 0, status
    assert status["NoNewPrivs"] == "1", status
    for name in ("leases.sqlite3", "machines.sqlite3", "leases.seen"):
        st = os.lstat(state / name)
        assert (st.st_mode & 0o777, st.st_uid) == (0o600, NOBODY), name


def test_a_lease_store_that_lost_rows_is_refused_until_recovered(site):
    tmp, root, state = site
    cfg = write_config(tmp / "pxed.toml", root, state)
    assert serve_until_ready_or_exit(cfg)[0] is None
    db = sqlite3.connect(state / "leases.sqlite3")
    db.executemany("INSERT INTO leases VALUES (?, x'01', x'525400000001', 'pc', 1, 4000000000, 1)",
                   [(0x7f000064 + i,) for i in range(3)])
    db.commit()
    db.close()
    code, log = serve_until_ready_or_exit(cfg)  # remembers 3 in leases.seen
    assert code is None and "leases=3" in log, log
    os.truncate(state / "leases.sqlite3", 0)
    for name in ("leases.sqlite3-wal", "leases.sqlite3-shm"):
        if (state / name).exists():
            os.unlink(state / name)

    code, log = serve_until_ready_or_exit(cfg)
    assert code == 1, log
    assert f"{state}/leases.sqlite3: is empty but pxed last wrote 3 leases" in log, log
    assert "pxed leases recover" in log, log

    check = pxed("leases", "check", "-c", str(cfg))
    assert check.returncode == 1, check
    check = pxed("check", "-c", str(cfg))  # check finds what serve would refuse
    assert check.returncode == 2 and "server.state_dir:" in check.stderr and "leases.sqlite3" in check.stderr, check
    recover = pxed("leases", "recover", "-c", str(cfg))
    assert recover.returncode == 0, recover
    assert "kept the files as they were in" in recover.stdout and "Up to 3 addresses" in recover.stdout, recover
    assert list(state.glob("leases.damaged-*/leases.seen")), list(state.iterdir())
    assert pxed("leases", "check", "-c", str(cfg)).returncode == 0
    code, log = serve_until_ready_or_exit(cfg)
    assert code is None and "leases=0" in log and "dhcp.recovered_store" in log, log


def test_check_refuses_serving_the_state_dir_or_the_whole_system(site):
    tmp, root, state = site
    cfg = write_config(tmp / "pxed.toml", tmp, state, mode="off")
    r = pxed("check", "-c", str(cfg))
    assert r.returncode == 2 and f"files.root: {tmp} holds server.state_dir {state}" in r.stderr, r
    cfg = write_config(tmp / "pxed.toml", "/", state, mode="off")
    r = pxed("check", "-c", str(cfg))
    assert r.returncode == 2 and "allow_system_root" in r.stderr, r


def test_a_root_the_service_user_cannot_read_fails_check_and_start(site):
    tmp, root, state = site
    os.chmod(root, 0o700)
    cfg = write_config(tmp / "pxed.toml", root, state, mode="off")
    r = pxed("check", "-c", str(cfg))
    assert r.returncode == 2 and f"files.root: user nobody cannot read {root}" in r.stderr, r
    code, log = serve_until_ready_or_exit(cfg)
    assert code == 1 and "user nobody cannot read" in log, log


def test_iso_ls_refuses_a_fifo_at_once(tmp_path):
    os.mkfifo(tmp_path / "pipe.iso")
    r = pxed("iso", "ls", str(tmp_path / "pipe.iso"), timeout=5)
    assert r.returncode == 1 and "is a FIFO" in r.stderr, r


def test_relative_paths_in_a_symlinked_config_follow_its_target(tmp_path):
    real = tmp_path / "site"
    (real / "tree").mkdir(parents=True)
    (tmp_path / "etc").mkdir()
    (real / "pxed.toml").write_text('[files]\nroot = "tree"\n')
    os.symlink(real / "pxed.toml", tmp_path / "etc" / "pxed.toml")
    r = pxed("check", "-c", str(tmp_path / "etc" / "pxed.toml"))
    assert r.returncode == 0, r
