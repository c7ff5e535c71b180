"""pxed remembers every machine that asked and installs a `once` machine once: it boots
its profile until the installer's done call, then its disk, until `pxed machines
reinstall`. The machine is busybox udhcpc (a lease from pxed in full mode), curl over
TFTP and HTTP from the leased address, and pxed's own CLI reading the store beside the
running server."""
import json
import os
import signal
import subprocess

import pytest

import netlab
from conftest import PXED_BIN
from dhcp_clients import boot_as, file_field, pxe_request, set_mac
from dhcp_clients import tftp_text as tftp

ONCE_MAC = "52:54:00:aa:cc:01"
STRANGER_MAC = "52:54:00:aa:cc:02"


@pytest.fixture(scope="module")
def mlab(workdir, server_kind):
    if server_kind != "pxed":
        pytest.skip("needs pxed")
    root = workdir / "machines-root"
    netlab.write_random_tree(root, {"inst/vmlinuz": 4096, "inst/initrd.gz": 8192, "inst/Packages/bash.deb": 100})
    lab = netlab.create_lab(workdir)
    try:
        netlab.run(["ip", "-n", lab.client_ns, "addr", "flush", "dev", "pxc0"])
        toml = f"""
[boot]
bios = "lpxelinux.0"
default = "local"

[[profile]]
name = "install"
kernel = "/inst/vmlinuz"
initrd = ["/inst/initrd.gz"]
append = "auto=true done=${{http}}/pxed/v1/done"

[[machine]]
mac = "{ONCE_MAC}"
name = "db-01"
profile = "install"
once = true
"""
        netlab.start_full_dhcp_pxed(lab, workdir, root, PXED_BIN, extra_toml=toml)
        yield lab
        rc = lab.server.proc.poll() if lab.server.proc else None
        assert rc is None, f"pxed exited with {rc}\n{lab.server.log_tail(60)}"
    finally:
        netlab.destroy_lab(lab)


def http(lab, path):
    r = lab.client(["curl", "-s", "-w", "\n%{http_code}", f"http://{lab.server_ip}{path}"], timeout=30)
    body, _, code = r.stdout.rpartition("\n")
    return int(code), body


def machines(lab):
    r = subprocess.run([str(PXED_BIN), "machines", "-c", str(lab.workdir / f"pxed-{lab.tag}.toml"), "--json"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return {m["mac"]: m for m in json.loads(r.stdout)}


def test_a_once_machine_installs_reports_done_and_then_boots_its_disk(mlab, tmp_path):
    ip = boot_as(mlab, ONCE_MAC, tmp_path)
    config = tftp(mlab, "pxelinux.cfg/default", tmp_path)
    assert config and "LINUX ::inst/vmlinuz" in config, config
    assert tftp(mlab, "inst/vmlinuz", tmp_path) is not None
    assert tftp(mlab, "inst/initrd.gz", tmp_path) is not None
    r = mlab.client(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                     f"http://{mlab.server_ip}/inst/Packages/bash.deb"], timeout=30)
    assert r.stdout == "200", r.stderr
    mlab.server.wait_event("tftp.done", file="inst/initrd.gz")
    seen = netlab.wait_for(lambda: machines(mlab).get(ONCE_MAC, {}).get("stage") == "installer" or None, 10,
                           "the installer stage in the store")
    m = machines(mlab)[ONCE_MAC]
    assert m["name"] == "db-01" and m["ip"] == ip and m["arch"] == "bios", m
    assert m["kernel"] == "inst/vmlinuz" and m["initrd"] == "inst/initrd.gz", m
    assert m["install"] == "pending", m
    assert seen

    code, body = http(mlab, "/pxed/v1/done")
    assert code == 200, body
    assert "db-01" in body and "installed" in body, body
    mlab.server.wait_event("machine.done", mac=ONCE_MAC, once="true")
    netlab.wait_for(lambda: machines(mlab)[ONCE_MAC]["install"].startswith("done") or None, 10, "done in the store")
    assert machines(mlab)[ONCE_MAC]["stage"] == "done"
    config = tftp(mlab, "pxelinux.cfg/default", tmp_path)
    assert config and "LOCALBOOT 0" in config and "vmlinuz" not in config, config


def test_the_install_state_survives_a_restart_and_reinstall_brings_the_profile_back(mlab, tmp_path):
    mlab.server.stop()
    mlab.server.start()
    boot_as(mlab, ONCE_MAC, tmp_path)
    assert "LOCALBOOT 0" in tftp(mlab, "pxelinux.cfg/default", tmp_path)
    mark = mlab.server.mark()
    r = subprocess.run([str(PXED_BIN), "machines", "-c", str(mlab.workdir / f"pxed-{mlab.tag}.toml"),
                        "reinstall", ONCE_MAC], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "install pending" in r.stdout and "told the running pxed" in r.stdout, r.stdout
    mlab.server.wait_event("pxed.reload", since=mark)
    netlab.wait_for(lambda: "LINUX ::inst/vmlinuz" in (tftp(mlab, "pxelinux.cfg/default", tmp_path) or "") or None,
                    10, "the install profile again")


def test_only_the_machine_itself_may_report_done(mlab, tmp_path):
    netlab.run(["ip", "-n", mlab.client_ns, "addr", "flush", "dev", "pxc0"])
    netlab.run(["ip", "-n", mlab.client_ns, "addr", "add", f"{mlab.net}.77/24", "dev", "pxc0"])
    code, body = http(mlab, "/pxed/v1/done")
    assert code == 403 and "cannot tell which machine" in body, (code, body)
    boot_as(mlab, STRANGER_MAC, tmp_path)
    code, body = http(mlab, f"/pxed/v1/done?mac={ONCE_MAC}")
    assert code == 403 and STRANGER_MAC in body, (code, body)
    code, body = http(mlab, "/pxed/v1/done")
    assert code == 200 and "not a once machine" in body, body
    code, _ = http(mlab, "/pxed/v1/nothing")
    assert code == 404


def test_machines_lists_unknown_machines_and_known_ones_never_seen(mlab):
    listed = machines(mlab)
    assert listed[STRANGER_MAC]["known"] is False and listed[STRANGER_MAC]["rule"].startswith("[boot] default")
    assert listed[STRANGER_MAC]["profile"] == "local"
    r = subprocess.run([str(PXED_BIN), "machines", "-c", str(mlab.workdir / f"pxed-{mlab.tag}.toml")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.splitlines()[0].startswith("MAC"), r.stdout
    assert ONCE_MAC in r.stdout and "db-01" in r.stdout


def test_ipxe_reports_the_machines_serial_manufacturer_and_product(mlab, tmp_path):
    """[boot] ipxe's default URL has iPXE fill in SMBIOS settings; pxed records them for the
    machine the request comes from, never for another MAC named in the query."""
    boot_as(mlab, STRANGER_MAC, tmp_path)
    # The forged one first: observations are stored in order, so once the real one shows, so would it.
    code, _ = http(mlab, f"/boot.ipxe?mac={ONCE_MAC}&serial=FORGED")
    assert code == 200
    code, body = http(mlab, f"/boot.ipxe?mac={STRANGER_MAC}&uuid=&serial=SN%2042&manufacturer=QEMU"
                            "&product=Standard%20PC%20%28i440FX%29")
    assert code == 200 and body.startswith("#!ipxe"), (code, body)
    m = netlab.wait_for(lambda: machines(mlab)[STRANGER_MAC] if machines(mlab)[STRANGER_MAC]["serial"] else None,
                        10, "the serial in the store")
    assert (m["serial"], m["manufacturer"], m["product"]) == ("SN 42", "QEMU", "Standard PC (i440FX)"), m
    assert machines(mlab)[ONCE_MAC]["serial"] == "", "a query naming another machine recorded its serial"


def test_local_boot_by_the_firmware_means_no_boot_offer_after_a_reload(mlab, tmp_path):
    """[boot] local_boot = "next-device", added by a reload: the stranger (default local)
    gets its address and no boot file, so its firmware tries its next device; the once
    machine, whose install is pending again, still gets its loader."""
    def offer(mac):
        set_mac(mlab, "pxc0", mac)
        replies = [r for _ in range(4) for r in pxe_request(mlab, "pxc0", mac, arch=0, wait=2.0)][:1]
        assert replies, f"no offer for {mac}"
        return replies[0][0]

    assert file_field(offer(STRANGER_MAC)) == "lpxelinux.0"
    config = mlab.workdir / f"pxed-{mlab.tag}.toml"
    text = config.read_text()
    mark = mlab.server.mark()
    config.write_text(text.replace('default = "local"\n', 'default = "local"\nlocal_boot = "next-device"\n', 1))
    os.kill(mlab.server.proc.pid, signal.SIGHUP)
    try:
        mlab.server.wait_event("pxed.reload", since=mark)
        stranger = offer(STRANGER_MAC)
        assert stranger.yiaddr != "0.0.0.0" and file_field(stranger) == "", stranger.show(dump=True)
        assert file_field(offer(ONCE_MAC)) == "lpxelinux.0"
    finally:
        mark = mlab.server.mark()
        config.write_text(text)
        os.kill(mlab.server.proc.pid, signal.SIGHUP)
        mlab.server.wait_event("pxed.reload", since=mark)
