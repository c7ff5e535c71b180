"""The sandbox pxed puts itself in once bound: capabilities, no_new_privs, the
syscall filter, and that serving goes on inside it."""
import re
import subprocess
from pathlib import Path

import pytest

from netlab import curl_http, sha256_file
from suite import PXED_BIN

pytestmark = pytest.mark.pxed_only("pxed's own sandbox")

# Bind as root, then run as nobody inside the filter; HTTP too, so both file
# services are shown to work after the filter is loaded.
PXED_SERVER = {"user": "nobody"}
PXED_HTTP = {}

FILE = "sub/dir/random-1m.bin"
PROBES = ("unshare(0)", "setns(-1, 0)", "clone(CLONE_NEWUSER|CLONE_FS)", "mount(", "ptrace(", "execve(",
          "perf_event_open(", "reboot(", "setuid(", "setpriority(", "prlimit64(", "socket(AF_PACKET",
          "clone3(")


def check_sandbox(tmp_path, tree, **server):
    lines = [f'state_dir = "{tmp_path / "state"}"']
    for key, value in server.items():
        lines.append(f"{key} = {str(value).lower() if isinstance(value, bool) else repr(value)}")
    cfg = tmp_path / "pxed.toml"
    cfg.write_text("[server]\n" + "\n".join(lines).replace("'", '"') + f'\n[files]\nroot = "{tree}"\n')
    return subprocess.run([str(PXED_BIN), "serve", "-c", str(cfg), "--check-sandbox"],
                          capture_output=True, text=True, timeout=20)


def field(report, name):
    line = next(x for x in report.splitlines() if x.startswith(name))
    return line[len(name):].strip()


def probe_lines(report):
    return {p: next(x for x in report.splitlines() if x.strip().startswith(p)) for p in PROBES}


@pytest.mark.parametrize("user", ["nobody", ""])
def test_check_sandbox_loads_the_filter_and_every_probe_is_refused(tmp_path, tree, user):
    result = check_sandbox(tmp_path, tree, user=user)
    assert result.returncode == 0, result.stdout + result.stderr
    report = result.stdout
    assert field(report, "seccomp").startswith("mode 2 (filter), filter loaded:"), report
    assert field(report, "no_new_privs") == "set", report
    assert field(report, "bounding set") == "none", report
    if user:
        assert field(report, "capabilities") == "none", report
        assert "still root" not in report
    else:
        # Root without server.user keeps its permitted set (the state dir's
        # owner switch) and the calls that switch needs.
        assert field(report, "capabilities").startswith("=ep"), report
        assert "setfsuid, setfsgid and fchown stay allowed" in field(report, "still root"), report
    for call, line in probe_lines(report).items():
        expected = "ENOSYS" if call == "clone3(" else "EPERM"
        assert re.search(rf"\s{expected}\s+refused\s", line), line
    assert report.rstrip().endswith("sandbox holds"), report


def test_check_sandbox_says_when_the_filter_is_off(tmp_path, tree):
    result = check_sandbox(tmp_path, tree, user="nobody", sandbox=False)
    assert result.returncode == 1, result.stdout + result.stderr
    report = result.stdout
    assert field(report, "seccomp") == "mode 0 (none), filter off (server.sandbox = false)", report
    # The same probes, unfiltered: the kernel's own answers, never the filter's.
    lines = probe_lines(report)
    assert "allowed" in lines["unshare(0)"] and "NOT REFUSED" in lines["unshare(0)"], lines
    assert "EBADF" in lines["setns(-1, 0)"], lines
    assert report.rstrip().endswith("sandbox does NOT hold"), report


def status_of(pid):
    text = open(f"/proc/{pid}/status").read()
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def test_a_serving_pxed_is_filtered_without_capabilities_and_still_serves(lab, tree, out):
    ready = lab.server.wait_event("pxed.ready")
    assert ready.fields["sandbox"] == "seccomp", ready.line
    status = status_of(lab.server.proc.pid)
    assert status["Seccomp"].strip() == "2", status
    assert status["Seccomp_filters"].strip() == "1", status
    assert status["NoNewPrivs"].strip() == "1", status
    for cap in ("CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"):
        assert status[cap].strip() == "0000000000000000", (cap, status[cap])
    # Every thread, the workers started before the filter included (TSYNC).
    for task in Path(f"/proc/{lab.server.proc.pid}/task").iterdir():
        assert status_of(f"{lab.server.proc.pid}/task/{task.name}")["Seccomp"].strip() == "2", task
    # Serving goes on inside the filter: TFTP (a fresh socket per transfer) and HTTP (sendfile).
    got = out / "tftp"
    result = lab.client(["curl", "-sS", "-o", str(got), f"tftp://{lab.server_ip}/{FILE}"], timeout=60)
    assert result.returncode == 0, result.stderr
    assert sha256_file(got) == sha256_file(tree / FILE)
    got = out / "http"
    result = curl_http(lab, f"/{FILE}", out=got)
    assert result.returncode == 0, result.stderr
    assert sha256_file(got) == sha256_file(tree / FILE)
    assert not lab.server.events("pxed.sandbox"), lab.server.log_tail()
