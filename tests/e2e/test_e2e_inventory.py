"""One inventory decides every boot: the tree holds only the loaders, and pxed writes
each loader's config for the machine that asks.

Two machines, two profiles (each carrying its own token on the kernel command line):
the marker on the serial console proves which generated config the firmware's loader
read, and pxed's tftp.done / http.request lines say the file was generated and for whom.
"""
import json
import os
import subprocess

import pytest

import e2e_lab

import e2e_cases as cases
import e2e_guest
from e2e_cases import HTTP_BASE
from e2e_dhcp import BootPlan

MAC_ALPHA = "52:54:00:e2:e1:01"
MAC_BETA = "52:54:00:e2:e1:02"
MAC_IPXE = "52:54:00:e2:e1:03"
MAC_EFI = "52:54:00:e2:e1:04"
MAC_GRUB = "52:54:00:e2:e1:05"
MAC_HTTP = "52:54:00:e2:e1:06"
MAC_ONCE = "52:54:00:e2:e1:07"
MAC_LOCAL = "52:54:00:e2:e1:08"
MAC_LOCAL_EFI = "52:54:00:e2:e1:09"


def inventory(tokens):
    """Kernel and initrd as paths in the tree (the ISO mount): pxelinux fetches them over
    TFTP, iPXE over HTTP relative to its script; one ${http} URL shows expansion."""
    def profile(name, token):
        return (f'[[profile]]\nname = "{name}"\n'
                f'kernel = "${{http}}{e2e_guest.KERNEL_PATH}"\n'
                f'initrd = ["{e2e_guest.INITRD_PATH}"]\n'
                f'append = "{e2e_guest.CMDLINE} pxed_token={token} host=${{name}}"\n')
    # Debian 12's signed GRUB has no http module: its profile names tree paths (TFTP).
    gamma = (f'[[profile]]\nname = "gamma"\nkernel = "{e2e_guest.KERNEL_PATH}"\n'
             f'initrd = ["{e2e_guest.INITRD_PATH}"]\n'
             f'append = "{e2e_guest.CMDLINE} loglevel=6 pxed_token={tokens["inv-alpha"]} host=${{name}}"\n')
    return (profile("alpha", tokens["inv-alpha"]) + profile("beta", tokens["inv-beta"]) + gamma +
            f'[[machine]]\nmac = "{MAC_ALPHA}"\nname = "alpha-01"\nprofile = "alpha"\n'
            f'[[machine]]\nmac = "{MAC_IPXE}"\nname = "ipxe-01"\nprofile = "alpha"\n'
            f'[[machine]]\nmac = "{MAC_GRUB}"\nname = "grub-01"\nprofile = "gamma"\n'
            f'[[machine]]\nmac = "{MAC_HTTP}"\nname = "http-01"\nprofile = "alpha"\n'
            f'[[machine]]\nmac = "{MAC_ONCE}"\nname = "once-01"\nprofile = "alpha"\nonce = true\n'
            f'[[group]]\nname = "efi"\nmatch = {{ arch = "efi64" }}\nprofile = "alpha"\n')


PXELINUX = BootPlan(bios="lpxelinux.0", efi64="efi64/syslinux.efi", default="beta")
# [boot] ipxe's default: iPXE expands ${mac} and its SMBIOS settings in the file name DHCP
# gives it, so the script says who asks and pxed records the machine's serial.
SCRIPT = BootPlan(default="beta")
# Debian's signed shim, which loads grubx64.efi from beside itself: both from the system.
SHIM = BootPlan(efi64="efi64/shimx64.efi", default="beta")
HTTP_BOOT = BootPlan(efi64_http=f"{HTTP_BASE}/{cases.SNPONLY}", ipxe=f"{HTTP_BASE}/boot.ipxe", default="beta")


def only_with(netboot, provider, why):
    """Keeps the suite's time: a case whose DHCP side another test already proves runs
    with one provider. PXED_E2E_EVERY_PROVIDER=1 runs every case with every provider."""
    if os.environ.get("PXED_E2E_EVERY_PROVIDER") != "1" and netboot.provider_factory().name != provider:
        pytest.skip(f"runs with {provider} only: {why}")


def expect_token(out, token):
    r = out.result
    assert r.tokens() == [token], f"booted {r.tokens()}, expected {token} ({r.summary()})"
    assert r.returncode == 0, f"the guest did not power off cleanly: {r.summary()}"
    assert out.pxed_alive, "pxed died during the boot"


def generated(out, event, key):
    return [e for e in out.pxed_events(event) if "generated" in e and e.get(key)]


def test_bios_pxelinux_machine_gets_its_profile(bare_netboot, tokens, guest):
    only_with(bare_netboot, "pxed-proxy", "in full mode the once test's first boot is this boot")
    out = bare_netboot.boot("bios", MAC_ALPHA, PXELINUX, inventory=inventory(tokens))
    expect_token(out, tokens["inv-alpha"])
    served = generated(out, "tftp.done", "file")
    assert served, "no generated pxelinux config was served"
    assert served[0]["file"].startswith("pxelinux.cfg/"), served[0]
    assert "alpha-01" in served[0]["generated"], served[0]


def test_bios_pxelinux_unknown_machine_gets_the_default(bare_netboot, tokens, guest):
    only_with(bare_netboot, "pxed-full", "the proxy path is the machine test's")
    out = bare_netboot.boot("bios", MAC_BETA, PXELINUX, inventory=inventory(tokens))
    expect_token(out, tokens["inv-beta"])
    assert any("[boot] default" in e["generated"] for e in generated(out, "tftp.done", "file"))


def test_bios_ipxe_script_is_generated_for_the_machine(bare_netboot, tokens, guest):
    only_with(bare_netboot, "pxed-full", "the script names its machine itself, whoever gave the address")
    with bare_netboot.served(SCRIPT, inventory(tokens)) as lab:
        bare_netboot.boot_in(lab, "bios", MAC_IPXE)
        out = bare_netboot.last
        expect_token(out, tokens["inv-alpha"])
        scripts = [e for e in generated(out, "http.request", "path") if e["path"].startswith("/boot.ipxe")]
        assert scripts and "ipxe-01" in scripts[0]["generated"], scripts
        assert "by iPXE's mac" in scripts[0]["generated"], scripts
        m = machine_ip(lab, MAC_IPXE)
        assert (m["serial"], m["manufacturer"], m["product"]) == ("E2E-525400e2e103", "pxed e2e", "Test Rig 1"), m
        # The API followed the boot: QEMU's iPXE ROM asked DHCP, then the boot file DHCP named
        # (the script: the loader stage, as for any firmware), its kernel and initrd.
        machine = api_get(lab, f"/api/v1/machines/{MAC_IPXE}")
        reached = machine["machine"]["reached_ms"]
        stages = [s for s in ("dhcp", "loader", "config", "kernel", "initrd") if s in reached]
        assert stages == ["dhcp", "loader", "kernel", "initrd"], machine["events"]
        assert [reached[s] for s in stages] == sorted(reached[s] for s in stages), reached
        assert machine["machine"]["ip"] == m["ip"] and not machine["machine"]["problem"], machine["machine"]
        kinds = {e["event"] for e in machine["events"]}
        assert {"http.request", "machine.stage"} <= kinds and kinds & {"dhcp.ack", "dhcp.proxy_ack"}, kinds


@pytest.mark.uefi
def test_uefi_syslinux_efi_group_by_arch(bare_netboot, tokens, guest):
    only_with(bare_netboot, "pxed-proxy", "syslinux.efi is the proxy-mode UEFI loader (FIRMWARE.md 29)")
    out = bare_netboot.boot("uefi-pxe", MAC_EFI, PXELINUX, inventory=inventory(tokens))
    expect_token(out, tokens["inv-alpha"])
    served = generated(out, "tftp.done", "file")
    assert served and served[0]["file"].startswith("efi64/pxelinux.cfg/"), served
    assert "group efi" in served[0]["generated"], served[0]


# Secure Boot enforced (OVMF with Microsoft's keys): the Microsoft-signed shim and Debian's
# signed GRUB come from the system's packages, and Debian's signed kernel boots. GRUB asks
# a fixed grub/grub.cfg and sends no MAC: pxed knows it by the address it leased (full
# mode only: GRUB 2.06 never reads a ProxyDHCP answer, FIRMWARE.md 29).
@pytest.mark.uefi
def test_uefi_secure_boot_shim_and_grub_get_the_machines_config_by_address(bare_netboot, tokens, guest):
    out = bare_netboot.boot("uefi-pxe-sb", MAC_GRUB, SHIM, inventory=inventory(tokens))
    expect_token(out, tokens["inv-alpha"])
    assert "locked down from EFI Secure Boot" in out.result.console, "the kernel did not run under Secure Boot"
    done = {e["file"]: e for e in out.pxed_events("tftp.done")}
    for loader in ("efi64/shimx64.efi", "efi64/grubx64.efi"):
        assert loader in done and done[loader].get("system"), f"{loader} not from the system: {done.get(loader)}"
    served = generated(out, "tftp.done", "file")
    assert served and "grub.cfg" in served[0]["file"], served
    assert "grub-01" in served[0]["generated"], served[0]


# UEFI HTTP boot: OVMF fetches snponly.efi over HTTP, iPXE asks DHCP again and fetches the
# script pxed writes for the machine it knows by address (no ?mac= here).
@pytest.mark.uefi
def test_uefi_http_boot_script_known_by_address(bare_netboot, tokens, guest):
    only_with(bare_netboot, "pxed-proxy", "by lease (full mode) is the GRUB test's")
    out = bare_netboot.boot("uefi-http", MAC_HTTP, HTTP_BOOT, inventory=inventory(tokens))
    expect_token(out, tokens["inv-alpha"])
    scripts = [e for e in generated(out, "http.request", "path") if e["path"].startswith("/boot.ipxe")]
    assert scripts and "http-01" in scripts[0]["generated"] and "by address" in scripts[0]["generated"], scripts


def machine_ip(lab, mac):
    """The address the machine had, as pxed recorded it (its lease, or the one it asked
    the other DHCP server for)."""
    r = subprocess.run([str(lab.pxed.argv[0]), "machines", "-c", str(lab.workdir / "pxed.toml"), "--json"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    machines = {m["mac"]: m for m in json.loads(r.stdout)}
    assert machines.get(mac, {}).get("ip"), machines.get(mac)
    return machines[mac]


def api_get(lab, path):
    """pxed's JSON API, asked from the server's own namespace."""
    r = e2e_lab.run(["ip", "netns", "exec", lab.srv_ns, "curl", "-sS", "--max-time", "10", "--fail",
                     f"{HTTP_BASE}{path}"], timeout=20)
    return json.loads(r.stdout)


def report_done(lab, ip):
    """The installer's last step, made from the machine's own address (it is powered off
    now): the DHCP namespace borrows the address for one HTTP call."""
    e2e_lab.run(["ip", "-n", lab.srv_ns, "neigh", "flush", "to", ip], check=False)
    e2e_lab.run(["ip", "-n", lab.dhcp_ns, "addr", "add", f"{ip}/24", "dev", "pxe2e-dhcp"])
    try:
        r = e2e_lab.run(["ip", "netns", "exec", lab.dhcp_ns, "curl", "-sS", "--max-time", "20",
                         "--interface", ip, f"{HTTP_BASE}/pxed/v1/done"], check=False, timeout=30)
    finally:
        e2e_lab.run(["ip", "-n", lab.dhcp_ns, "addr", "del", f"{ip}/24", "dev", "pxe2e-dhcp"], check=False)
    return r


# Install once, then boot from disk: the machine boots its profile, the install reports
# done, and the next boot's generated config says LOCALBOOT: SeaBIOS moves on to the disk,
# whose boot sector prints its own marker and powers off.
def test_once_machine_installs_then_boots_its_own_disk(bare_netboot, tokens, guest, workdir):
    disk = e2e_guest.local_disk(workdir / "once-disk.img", tokens["local"])
    with bare_netboot.served(PXELINUX, inventory(tokens)) as lab:
        first = bare_netboot.boot_in(lab, "bios", MAC_ONCE, disk=disk)
        assert first.tokens() == [tokens["inv-alpha"]], f"first boot: {first.summary()}"
        record = machine_ip(lab, MAC_ONCE)
        assert record["install"] == "pending" and record["stage"] in ("initrd", "installer"), record
        done = report_done(lab, record["ip"])
        assert done.returncode == 0 and "installed" in done.stdout, (done.stdout, done.stderr)
        second = bare_netboot.boot_in(lab, "bios", MAC_ONCE, disk=disk)
        assert second.tokens() == [tokens["local"]], f"second boot: {second.summary()}"
        assert second.returncode == 0, second.summary()
        local = [e for e in e2e_lab.log_events(lab.pxed.log_text(), "tftp.done")
                 if "generated" in e[1] and "once: installed" in e[1]["generated"]]
        assert local, "the second boot's config did not come from the installed once rule"


# [boot] local_boot = "next-device": a machine the inventory boots locally (here by [boot]
# default) gets an address and no boot file; QEMU's iPXE ROM gives up and SeaBIOS moves on
# to the disk, whose boot sector prints its own marker.
def test_a_local_machine_gets_no_boot_offer_and_the_firmware_boots_its_disk(bare_netboot, tokens, guest, workdir):
    only_with(bare_netboot, "pxed-full", "the decision is the same in proxy mode (unit and integration tests)")
    disk = e2e_guest.local_disk(workdir / "next-device-disk.img", tokens["local"])
    plan = BootPlan(bios="lpxelinux.0", default="local", local_boot="next-device")
    with bare_netboot.served(plan, inventory(tokens)) as lab:
        result = bare_netboot.boot_in(lab, "bios", MAC_LOCAL, disk=disk)
        assert result.tokens() == [tokens["local"]], f"boot: {result.summary()}"
        log = lab.pxed.log_text()
        if lab.provider.name == "pxed-full":  # an address without a file
            offers = [e for _, e in e2e_lab.log_events(log, "dhcp.offer") if e.get("mac") == MAC_LOCAL]
            assert offers and not any(e.get("file") for e in offers), offers
        else:  # beside Kea: pxed stays silent
            silent = [e for _, e in e2e_lab.log_events(log, "dhcp.ignored") if e.get("mac") == MAC_LOCAL]
            assert any("next-device" in e.get("why", "") for e in silent), silent
        assert not e2e_lab.log_events(lab.pxed.log_text(), "tftp.done"), "a local machine fetched a file"


# The same beside Kea (proxy mode: pxed stays silent) with OVMF's own PXE: Kea's answer has
# no boot file, OVMF tries its next boot option, the disk, whose GRUB prints the marker.
# OVMF tries the NIC's UEFI HTTP boot (IPv4) before the disk and waits out its DHCP
# timeouts: 128 s under TCG here, so this case runs only with PXED_E2E_SLOW=1.
@pytest.mark.uefi
def test_a_local_uefi_machine_gets_no_boot_offer_and_ovmf_boots_its_disk(bare_netboot, tokens, guest, workdir):
    if os.environ.get("PXED_E2E_SLOW") != "1":
        pytest.skip("OVMF tries its own HTTP boot first (~130 s): PXED_E2E_SLOW=1 runs it")
    only_with(bare_netboot, "pxed-proxy", "full mode is the SeaBIOS case's")
    disk = e2e_guest.local_efi_disk(workdir / "next-device-efi.img", tokens["local"])
    plan = BootPlan(efi64="efi64/syslinux.efi", default="local", local_boot="next-device")
    with bare_netboot.served(plan, inventory(tokens).replace('match = { arch = "efi64" }', 'match = { arch = "arm64_efi" }')) as lab:
        result = bare_netboot.boot_in(lab, "uefi-pxe", MAC_LOCAL_EFI, disk=disk, timeout=300)
        assert result.tokens() == [tokens["local"]], f"boot: {result.summary()}"
        log = lab.pxed.log_text()
        silent = [e for _, e in e2e_lab.log_events(log, "dhcp.ignored") if e.get("mac") == MAC_LOCAL_EFI]
        assert any("next-device" in e.get("why", "") for e in silent), silent
        assert not e2e_lab.log_events(log, "tftp.done"), "a local machine fetched a file"
