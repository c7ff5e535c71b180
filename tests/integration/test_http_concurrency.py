"""HTTP under 100 concurrent downloads: half from the plain tree, half from inside an
ISO image ([[files.mount]]); every body byte-exact and pxed's memory bounded.

The connection cap ([http] max_connections) defaults to 4096, above the 100 needed, so
the test runs pxed's default and checks that nobody was refused.
"""
import os
import shutil
import subprocess
import threading
import time

import pytest

import netlab
from netlab import sha256_file
from suite import MIB, PXED_BIN

pytestmark = [
    pytest.mark.pxed_only("HTTP is pxed's own"),
    pytest.mark.skipif(shutil.which("xorriso") is None, reason="xorriso not installed"),
]

DOWNLOADS = 100
RATE = "2M"  # per download: each lasts ~1.5-2.5 s, so all 100 are open at once
PLAIN = ["conc-5m.bin", "loss-2m.bin"]  # from conftest's tree
MEMBERS = {"images/pxeboot/vmlinuz": 3 * MIB + 1001, "images/pxeboot/initrd.img": 4 * MIB + 77}
# Over pxed's RSS at rest (measured 2026-11-28: 6.2 MiB at rest, +0.7 MiB at the peak).
# A copy of each body per connection would be 100 x 2-5 MiB; even a 1 MiB buffer per
# connection would be 100 MiB: either fails this bound.
RSS_GROWTH_MAX_KIB = 64 * 1024


@pytest.fixture(scope="module")
def iso_source(workdir):
    return netlab.write_random_tree(workdir / "conc-iso-src", MEMBERS)


@pytest.fixture(scope="module")
def lab(workdir, tree, server_kind, iso_source):
    """Overrides conftest's lab: the image must exist before pxed starts."""
    iso = workdir / "conc.iso"
    subprocess.run(["xorriso", "-as", "mkisofs", "-R", "-J", "-o", str(iso), str(iso_source)],
                   check=True, capture_output=True)
    os.chmod(iso, 0o644)
    yield from netlab.served_lab(workdir, tree, server_kind, PXED_BIN,
                                 http_overrides={"idle_timeout": "10s"},
                                 files_extra=["[[files.mount]]", 'at = "/iso"', f'iso = "{iso}"'])


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def established_on_80(pid):
    """Established TCP connections on local port 80, read in pxed's own namespace."""
    with open(f"/proc/{pid}/net/tcp") as f:
        next(f)
        return sum(1 for line in f
                   if line.split()[1].endswith(":0050") and line.split()[3] == "01")


class Sampler(threading.Thread):
    """Peak RSS and peak concurrent connections of pxed, every 20 ms until stopped."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_rss = 0
        self.peak_connections = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.peak_rss = max(self.peak_rss, vm_rss_kib(self.pid))
            self.peak_connections = max(self.peak_connections, established_on_80(self.pid))
            self.stop.wait(0.02)


def test_hundred_concurrent_downloads_plain_and_iso_are_byte_exact_in_bounded_memory(
        lab, tree, iso_source, out):
    pid = lab.server.proc.pid  # ip netns exec execs pxed: the same process
    with open(f"/proc/{pid}/comm") as f:
        assert f.read().strip() == "pxed"
    # Alternately plain and ISO, each alternating between its two files.
    plain = [(f"/{name}", tree / name) for name in PLAIN]
    members = [(f"/iso/{name}", iso_source / name) for name in MEMBERS]
    paths = [(plain if i % 2 == 0 else members)[(i // 2) % 2] for i in range(DOWNLOADS)]
    want = {src: sha256_file(src) for _, src in paths}
    # Warm up: code paths, the image's directory cache, page cache of every source.
    for path, _ in paths[:4]:
        r = lab.client(["curl", "-sSf", "-o", "/dev/null", f"http://{lab.server_ip}{path}"],
                       timeout=30)
        assert r.returncode == 0, r.stderr
    rss_rest = vm_rss_kib(pid)

    argv = ["curl", "-sS", "-f", "--parallel", "--parallel-immediate",
            "--parallel-max", str(DOWNLOADS), "--limit-rate", RATE, "--max-time", "60"]
    for i, (path, _) in enumerate(paths):
        argv += ["-o", str(out / f"d{i}"), f"http://{lab.server_ip}{path}"]
    mark = lab.server.mark()
    sampler = Sampler(pid)
    sampler.start()
    started = time.monotonic()
    try:
        r = lab.client(argv, timeout=70)
    finally:
        sampler.stop.set()
        sampler.join(timeout=5)
    elapsed = time.monotonic() - started
    assert r.returncode == 0, r.stderr
    growth = sampler.peak_rss - rss_rest
    print(f"\n{DOWNLOADS} downloads in {elapsed:.1f} s; pxed RSS at rest {rss_rest} KiB, "
          f"peak {sampler.peak_rss} KiB (+{growth}); peak connections {sampler.peak_connections}")

    for i, (_, src) in enumerate(paths):
        assert sha256_file(out / f"d{i}") == want[src], f"download {i} ({src.name}) differs"
        (out / f"d{i}").unlink()
    # Concurrent indeed: nearly all connections were open at the same moment.
    assert sampler.peak_connections >= 0.9 * DOWNLOADS, sampler.peak_connections
    assert growth < RSS_GROWTH_MAX_KIB, (rss_rest, sampler.peak_rss)
    # One access line per download (pxed may log the last ones just after curl is done).
    def logged():
        return len([e for e in lab.server.events("http.request", since=mark)
                    if e.fields.get("status") == "200"]) >= DOWNLOADS
    netlab.wait_for(logged, 5, f"{DOWNLOADS} http.request lines")
    assert not lab.server.events("http.refused", since=mark), "the connection cap refused some"
