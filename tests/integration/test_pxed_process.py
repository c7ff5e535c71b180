"""What a sysadmin relies on around the protocol: privileges and the transfer cap."""
import time

import pytest

import tftp_raw
from netlab import run, sha256_file

pytestmark = pytest.mark.pxed_only("pxed's own process behaviour")

# Bind port 69 as root, then run as nobody; one transfer at a time so the
# second request meets a full server.
PXED_SERVER = {"user": "nobody"}
PXED_TFTP = {"max_transfers": 1, "idle_timeout": "5s"}

FILE = "sub/dir/random-1m.bin"


def test_serves_as_the_configured_user_after_binding_port_69(lab, tree, out):
    status = open(f"/proc/{lab.server.proc.pid}/status").read()
    uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    gid_line = next(line for line in status.splitlines() if line.startswith("Gid:"))
    nobody = run(["id", "-u", "nobody"]).stdout.strip()
    assert uid_line.split()[1:] == [nobody] * 4, uid_line
    assert gid_line.split()[1:] != ["0"] * 4, gid_line
    # Still listening on the privileged port it bound as root, and serving.
    local = out / "got"
    result = lab.client(["curl", "-s", "-o", str(local), f"tftp://{lab.server_ip}/{FILE}"], timeout=60)
    assert result.returncode == 0, result.stderr
    assert sha256_file(local) == sha256_file(tree / FILE)


def test_a_full_server_drops_a_request_unanswered_and_serves_its_retry(lab, raw):
    """An ERROR at the cap ends a firmware's boot; silence lets its RRQ timer try again."""
    holder = raw()
    holder.rrq(FILE)
    first = holder.expect()
    assert first.op == tftp_raw.DATA and first.block == 1, first
    holder.send(tftp_raw.ack(1))  # a real client: its transfer is never evicted
    assert holder.expect().block == 2
    # The holder stops ACKing: its transfer occupies the only slot.
    mark = lab.server.mark()
    late = raw()
    late.rrq(FILE)
    assert late.recv(0.7) is None, "a full server answered instead of staying silent"
    late.rrq(FILE)  # the firmware's retry, from the same port, still full
    assert late.recv(0.7) is None, "a full server answered instead of staying silent"
    # Logged once per interval with a count, not once per dropped request.
    dropped = lab.server.wait_event("tftp.refused", since=mark, reason="busy")
    assert dropped.fields.get("reply") == "none", dropped.line
    assert len(lab.server.events("tftp.refused", since=mark)) == 1
    # The holder gives up; the slot frees and the same client's next retry is served.
    holder.send(tftp_raw.error(0, "going away"))
    lab.server.wait_event("tftp.done", since=mark, result="client-error")
    data, first, _ = late.fetch(FILE, timeout=2.0, deadline=30.0)
    assert first.op == tftp_raw.DATA, first
    assert data is not None and len(data) == (1 << 20) + 77


def test_starts_with_the_open_file_limit_raised_to_the_hard_limit(lab):
    """A root shell's soft limit of 1,024 runs out at ~500 transfers: pxed raises it itself."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lab.server.stop()
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))
    try:
        mark = lab.server.mark()
        lab.server.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    ready = lab.server.wait_event("pxed.ready", since=mark)
    assert ready.fields["open_files"] == str(hard), ready
    limits = open(f"/proc/{lab.server.proc.pid}/limits").read()
    line = next(x for x in limits.splitlines() if x.startswith("Max open files"))
    assert line.split()[3:5] == [str(hard), str(hard)], line


def test_when_full_a_transfer_whose_client_never_answered_makes_room(lab, raw):
    """Forged RRQs fill every slot and never acknowledge: past a 2 s grace, a real
    request takes the oldest one's slot instead of getting "busy"."""
    silent = raw()
    silent.rrq(FILE)
    first = silent.expect()
    assert first.op == tftp_raw.DATA and first.block == 1, first
    time.sleep(2.2)  # never ACKs, as a forged source address cannot
    mark = lab.server.mark()
    real = raw()
    data, first, _ = real.fetch(FILE, timeout=2.0, deadline=30.0)
    assert first.op == tftp_raw.DATA, first
    assert data is not None and len(data) == (1 << 20) + 77
    lab.server.wait_event("tftp.done", since=mark, result="evicted")
