"""The inventory writes each loader's config for the machine that asks, over TFTP and
HTTP alike; a user's file wins; SIGHUP swaps the inventory without dropping a transfer,
and a broken edit keeps the last good one. curl is the client."""
import os
import re
import signal

import pytest

import netlab
import tftp_raw
from netlab import write_random_tree
from suite import PXED_BIN

pytestmark = pytest.mark.pxed_only("the inventory is pxed's")

MACHINE = "52:54:00:aa:00:01"
OWN_FILE_MAC = "52:54:00:aa:00:02"


def inventory(token):
    return f"""[boot]
bios = "lpxelinux.0"
default = "rescue"

[[profile]]
name = "install"
kernel = "/install/vmlinuz"
initrd = ["/install/initrd.gz"]
append = "auto=true url=${{http}}/preseed/${{name}}.cfg token={token}"

[[profile]]
name = "rescue"
kernel = "${{http}}/rescue/vmlinuz"
append = "rescue token={token}"

[[machine]]
mac = "{MACHINE}"
name = "web-01"
profile = "install"
"""


PXED_HTTP = {}
PXED_TFTP = {"idle_timeout": "30s"}
PXED_EXTRA = inventory("first")


@pytest.fixture(scope="module")
def lab(workdir, server_kind):
    """Its own tree: a big file for the transfer across a reload, and one user file."""
    root = workdir / "inventory-root"
    write_random_tree(root, {"sub/dir/random-1m.bin": (1 << 20) + 77})
    (root / "pxelinux.cfg").mkdir()
    (root / "pxelinux.cfg" / ("01-" + OWN_FILE_MAC.replace(":", "-"))).write_text("DEFAULT mine\n")
    for dirpath, _, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)
    yield from netlab.served_lab(workdir, root, server_kind, PXED_BIN, tftp_overrides=PXED_TFTP,
                                 http_overrides=PXED_HTTP, extra_toml=PXED_EXTRA)


def tftp_text(lab, name, out):
    got = out / "got"
    r = lab.client(["curl", "-s", "-o", str(got), f"tftp://{lab.server_ip}/{name}"], timeout=30)
    return (got.read_text() if r.returncode == 0 else None), r


def config_path(lab):
    return lab.workdir / f"pxed-{lab.tag}.toml"


def reload(lab, text, signal_it=True):
    mark = lab.server.mark()
    # Written elsewhere and renamed into place, as editors and config management do.
    fresh = config_path(lab).with_suffix(".new")
    fresh.write_text(lab.server.config_text().replace(PXED_EXTRA, text))
    fresh.rename(config_path(lab))
    if signal_it:
        os.kill(lab.server.proc.pid, signal.SIGHUP)
    return mark


def test_a_machine_named_in_the_inventory_gets_its_profile_by_mac_over_tftp(lab, out):
    text, r = tftp_text(lab, "pxelinux.cfg/01-" + MACHINE.replace(":", "-"), out)
    assert text is not None, r.stderr
    assert "LINUX ::install/vmlinuz" in text and "INITRD ::install/initrd.gz" in text, text
    assert f"url=http://{lab.server_ip}/preseed/web-01.cfg token=first" in text, text
    e = lab.server.wait_event("tftp.done", file="pxelinux.cfg/01-" + MACHINE.replace(":", "-"))
    assert "web-01" in e.fields["generated"] and "by name" in e.fields["generated"], e.fields


def test_a_machine_only_the_neighbour_table_knows_gets_the_default_at_its_first_name(lab, out):
    # No DHCP here: the client's address is tied to its MAC by the kernel's ARP cache.
    text, r = tftp_text(lab, "pxelinux.cfg/0A0B0C0D", out)
    assert text is not None, r.stderr
    assert "rescue token=first" in text, text
    e = lab.server.wait_event("tftp.done", file="pxelinux.cfg/0A0B0C0D")
    assert "by the neighbour table" in e.fields["generated"], e.fields
    text, r = tftp_text(lab, "pxelinux.cfg/default", out)
    assert text is not None and "rescue token=first" in text, (text, r.stderr)


def test_the_users_own_file_wins(lab, out):
    text, r = tftp_text(lab, "pxelinux.cfg/01-" + OWN_FILE_MAC.replace(":", "-"), out)
    assert text == "DEFAULT mine\n", (text, r.stderr)


def test_ipxe_says_who_it_is_and_gets_its_script_over_http(lab, out):
    got = out / "script"
    r = lab.client(["curl", "-sS", "-o", str(got), "-w", "%{http_code}",
                    f"http://{lab.server_ip}/boot.ipxe?mac={MACHINE}"], timeout=30)
    assert r.stdout == "200", r.stderr
    script = got.read_text()
    assert script.startswith("#!ipxe\n"), script
    assert re.search(r"^kernel /install/vmlinuz initrd=initrd.gz auto=true", script, re.M), script
    e = lab.server.wait_event("http.request", path=f"/boot.ipxe?mac={MACHINE}")
    assert "by iPXE's mac" in e.fields["generated"], e.fields


def test_sighup_swaps_the_inventory_and_a_transfer_in_flight_finishes(lab, raw, out):
    holder = raw()
    holder.rrq("sub/dir/random-1m.bin")
    first = holder.expect()
    assert first.op == tftp_raw.DATA and first.block == 1, first
    mark = reload(lab, inventory("second"))
    lab.server.wait_event("pxed.reload", since=mark)
    # The transfer that started before the reload goes on to the end.
    chunks, pkt = [first.data], first
    while len(pkt.data) == 512:
        holder.send(tftp_raw.ack(pkt.block))
        pkt = holder.expect()
        assert pkt.op == tftp_raw.DATA, pkt
        # A block sent again while the test waited for the reload is not new data.
        while pkt.block != (len(chunks) + 1) & 0xFFFF:
            pkt = holder.expect()
        chunks.append(pkt.data)
    holder.send(tftp_raw.ack(pkt.block))
    assert len(b"".join(chunks)) == (1 << 20) + 77
    text, _ = tftp_text(lab, "pxelinux.cfg/default", out)
    assert "rescue token=second" in text, text


def test_a_broken_edit_keeps_the_last_good_inventory_and_says_where(lab, out):
    good = reload(lab, inventory("third"))
    lab.server.wait_event("pxed.reload", since=good)
    mark = reload(lab, inventory("fourth").replace('profile = "install"', 'profile = "instal"'))
    e = lab.server.wait_event("pxed.reload_failed", since=mark)
    failures = [x.fields.get("error", "").replace('\\"', '"')
                for x in lab.server.events("pxed.reload_failed", since=mark)]
    assert any(re.search(r"pxed-.*\.toml:\d+: machine\.profile: unknown profile \"instal\"; did you mean "
                         r"\"install\"\?", f) for f in failures), failures
    assert e is not None
    text, _ = tftp_text(lab, "pxelinux.cfg/default", out)
    assert "rescue token=third" in text, text
    assert lab.server.proc.poll() is None


def test_an_edited_config_reloads_by_itself(lab, out):
    mark = reload(lab, inventory("fifth"), signal_it=False)
    lab.server.wait_event("pxed.reload", since=mark)
    text, _ = tftp_text(lab, "pxelinux.cfg/default", out)
    assert "rescue token=fifth" in text, text


def test_usr1_logs_the_counters_and_keeps_serving(lab, out):
    mark = lab.server.mark()
    os.kill(lab.server.proc.pid, signal.SIGUSR1)
    e = lab.server.wait_event("pxed.counters", since=mark)
    assert int(e.fields.get("tftp.done", "0")) >= 1, e.fields
    assert lab.server.proc.poll() is None
    text, _ = tftp_text(lab, "pxelinux.cfg/default", out)
    assert text is not None
