"""Fixtures: the served file tree, the lab (namespaces + server), per-test deadlines.

Env (see also suite.py):
  PXED_TEST_KEEP    set: keep the work dir (server logs, configs) after the run
"""
import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

import netlab
import tftp_raw
from suite import FILES, MIB, NETASCII_TEXT, PXED_BIN, SERVER_KIND

TEST_DEADLINE = 150  # seconds per test; a hung test fails instead of hanging CI


def pytest_configure(config):
    config.addinivalue_line("markers", "pxed_only(reason): behaviour the stand-in lacks")


def pytest_collection_modifyitems(config, items):
    skip_root = pytest.mark.skip(reason="needs root (network namespaces)")
    for item in items:
        if os.geteuid() != 0:
            item.add_marker(skip_root)
        marker = item.get_closest_marker("pxed_only")
        if marker and SERVER_KIND != "pxed":
            why = marker.args[0] if marker.args else "pxed-only behaviour"
            item.add_marker(pytest.mark.skip(reason=f"{SERVER_KIND} stand-in: {why}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    # No pytest-timeout on Debian 12: an alarm turns a hang into a failure.
    def on_alarm(signum, frame):
        raise TimeoutError(f"test exceeded {TEST_DEADLINE}s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TEST_DEADLINE)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # A failing test shows what the server logged.
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        lab = item.funcargs.get("lab")
        if lab is not None and lab.server is not None:
            report.sections.append((f"{lab.server.kind} log tail", lab.server.log_tail(60)))


@pytest.fixture(scope="session")
def server_kind():
    if SERVER_KIND not in ("pxed", "tftpd-hpa"):
        pytest.fail(f"PXED_TEST_SERVER={SERVER_KIND}: expected pxed or tftpd-hpa")
    if SERVER_KIND == "pxed" and not os.access(PXED_BIN, os.X_OK):
        pytest.skip(f"{PXED_BIN} not built (ninja -C build pxed)")
    return SERVER_KIND


@pytest.fixture(scope="session")
def workdir():
    d = Path(tempfile.mkdtemp(prefix="pxtest-"))
    yield d
    if os.environ.get("PXED_TEST_KEEP"):
        print(f"\nkept {d} (server logs, configs, served tree)")
    else:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def tree(workdir):
    """The served root. World-readable: tftpd-hpa drops to nobody after chroot."""
    root = workdir / "root"
    root.mkdir()
    for name, size in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            left = size
            while left:
                n = min(left, 4 * MIB)
                f.write(os.urandom(n))
                left -= n
    (root / "text.txt").write_bytes(NETASCII_TEXT)
    (root / "link-passwd").symlink_to("/etc/passwd")
    (root / "sub" / "link-climb").symlink_to("../../../../../../../../etc/passwd")
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            p = Path(dirpath) / f
            if not p.is_symlink():
                os.chmod(p, 0o644)
    os.chmod(workdir, 0o755)
    return root


@pytest.fixture(scope="module")
def lab(workdir, tree, server_kind, request):
    """One lab per test module; a module may set PXED_TFTP = {...},
    PXED_SERVER = {...} and PXED_HTTP = {...} (enables [http]) config overrides,
    and PXED_FILES = [...], raw lines added under [files]."""
    yield from netlab.served_lab(workdir, tree, server_kind, PXED_BIN,
                                 tftp_overrides=getattr(request.module, "PXED_TFTP", None),
                                 server_overrides=getattr(request.module, "PXED_SERVER", None),
                                 http_overrides=getattr(request.module, "PXED_HTTP", None),
                                 files_extra=getattr(request.module, "PXED_FILES", None))


@pytest.fixture
def out(tmp_path):
    """Where clients write what they fetched (same filesystem, any namespace)."""
    return tmp_path


@pytest.fixture
def raw(lab):
    """Factory of raw clients in the client namespace; all closed after the test."""
    made = []

    def new():
        c = tftp_raw.RawClient(lab.socket(), lab.server_ip)
        made.append(c)
        return c
    yield new
    for c in made:
        c.close()
