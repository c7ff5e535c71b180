"""Real firmware boots a real kernel through pxed.

Each test boots one QEMU machine in a fresh lab (see e2e_lab) and asserts:
- the guest's init printed the token that only the expected config holds, and the
  machine powered itself off (so the kernel and the initramfs both arrived intact);
- pxed served the boot loader and the config it should have (tftp.done lines) and
  the kernel and initrd over HTTP out of the ISO mount (http.request lines);
- pxed was still running after the boot.
"""
import pytest

import e2e_cases as cases
import e2e_guest
from e2e_dhcp import BootPlan

PXELINUX = BootPlan(bios="lpxelinux.0", efi64="efi64/syslinux.efi",
                    hosts={cases.MAC_BY_HEXIP: cases.HEXIP_ADDRESS})
SCRIPT = BootPlan(ipxe=f"{cases.HTTP_BASE}/{cases.SCRIPT}")


def expect_booted(out, token):
    r = out.result
    assert r.tokens(), f"no marker on the serial console ({r.summary()})"
    assert r.tokens() == [token], f"booted the wrong config: {r.summary()}, expected {token}"
    assert r.returncode == 0, f"the guest did not power off cleanly: {r.summary()}"
    assert out.pxed_alive, "pxed died during the boot"


def expect_kernel_from_iso(out, vmlinuz, initrd):
    """Both images went out over HTTP, whole, from the ISO mount's paths."""
    served = {e["path"]: e for e in out.pxed_events("http.request")
              if e.get("method") == "GET" and e.get("status") == "200"}
    for path, local in ((e2e_guest.KERNEL_PATH, vmlinuz), (e2e_guest.INITRD_PATH, initrd)):
        assert path in served, f"pxed logged no HTTP GET {path} with status 200"
        assert served[path]["bytes"] == str(local.stat().st_size), \
            f"{path}: pxed sent {served[path]['bytes']} bytes of {local.stat().st_size}"


def expect_kernel_from_iso_over_tftp(out, vmlinuz, initrd):
    done = {e["file"].lstrip("/"): e for e in out.pxed_events("tftp.done") if e.get("result") == "ok"}
    for path, local in ((e2e_guest.KERNEL_PATH, vmlinuz), (e2e_guest.INITRD_PATH, initrd)):
        assert path.lstrip("/") in done, f"pxed logged no successful tftp.done for {path}"
        assert done[path.lstrip("/")]["bytes"] == str(local.stat().st_size)


def expect_tftp(out, *files):
    done = {e["file"] for e in out.pxed_events("tftp.done") if e.get("result") == "ok"}
    for f in files:
        assert f in done, f"pxed logged no successful tftp.done for {f} (got {sorted(done)})"


# -- (a) BIOS: SeaBIOS + iPXE ROM -> lpxelinux.0 over pxed's TFTP -> config lookup ----
def test_bios_pxelinux_config_by_mac(netboot, tokens, guest):
    out = netboot.boot("bios", cases.MAC_BY_MAC, PXELINUX)
    expect_booted(out, tokens["mac"])
    expect_tftp(out, "lpxelinux.0", "ldlinux.c32",
                f"pxelinux.cfg/{cases.mac_config(cases.MAC_BY_MAC)}")
    expect_kernel_from_iso(out, *guest[:2])


def test_bios_pxelinux_config_by_hex_ip(netboot, tokens, guest):
    out = netboot.boot("bios", cases.MAC_BY_HEXIP, PXELINUX)
    expect_booted(out, tokens["hexip"])
    expect_tftp(out, "lpxelinux.0", f"pxelinux.cfg/{cases.HEXIP_CONFIG}")
    # pxelinux asked for the MAC file and the full address first, and pxed said no.
    refused = {e["file"] for e in out.pxed_events("tftp.refused")}
    assert f"pxelinux.cfg/{cases.mac_config(cases.MAC_BY_HEXIP)}" in refused
    assert f"pxelinux.cfg/{cases.hex_ip(cases.HEXIP_ADDRESS)}" in refused
    expect_kernel_from_iso(out, *guest[:2])


def test_bios_pxelinux_default_config(netboot, tokens, guest):
    out = netboot.boot("bios", cases.MAC_DEFAULT, PXELINUX)
    expect_booted(out, tokens["default"])
    expect_tftp(out, "lpxelinux.0", "pxelinux.cfg/default")
    expect_kernel_from_iso(out, *guest[:2])


# -- (b) BIOS: the iPXE ROM gets the script URL (user class "iPXE") -------------------
def test_bios_ipxe_script(netboot, tokens, guest):
    out = netboot.boot("bios", cases.MAC_SCRIPT_BIOS, SCRIPT)
    expect_booted(out, tokens["script"])
    assert any(e["path"] == f"/{cases.SCRIPT}" and e.get("status") == "200"
               for e in out.pxed_events("http.request")), "the script was not fetched over HTTP"
    assert not out.pxed_events("tftp.done"), "an iPXE client needs no TFTP here"
    expect_kernel_from_iso(out, *guest[:2])


# -- (c) UEFI: OVMF with the NIC's iPXE EFI driver, and OVMF's own PXE ----------------
@pytest.mark.uefi
def test_uefi_ipxe_script(netboot, tokens, guest):
    out = netboot.boot("uefi-ipxe", cases.MAC_SCRIPT_UEFI, SCRIPT)
    expect_booted(out, tokens["script"])
    expect_kernel_from_iso(out, *guest[:2])


@pytest.mark.uefi
def test_uefi_pxe_syslinux_efi_config_by_mac(netboot, tokens, guest):
    out = netboot.boot("uefi-pxe", cases.MAC_EFI_BY_MAC, PXELINUX)
    expect_booted(out, tokens["efi-mac"])
    expect_tftp(out, "efi64/syslinux.efi", "efi64/ldlinux.e64",
                f"efi64/pxelinux.cfg/{cases.mac_config(cases.MAC_EFI_BY_MAC)}")
    expect_kernel_from_iso(out, *guest[:2])


# Debian 12's signed network GRUB: its prefix is (tftp,<next-server>)/grub, and it
# has no http module, so the ISO's kernel comes over TFTP here.
@pytest.mark.uefi
def test_uefi_pxe_grub(netboot, tokens, guest):
    out = netboot.boot("uefi-pxe", cases.MAC_GRUB, BootPlan(efi64=cases.GRUB_LOADER))
    expect_booted(out, tokens["grub"])
    expect_tftp(out, cases.GRUB_LOADER, f"/{cases.GRUB_CONFIG}")
    expect_kernel_from_iso_over_tftp(out, *guest[:2])


# UEFI HTTP boot (no TFTP at all): OVMF fetches iPXE's snponly.efi from pxed over HTTP,
# iPXE (through OVMF's network driver) then runs the script.
@pytest.mark.uefi
def test_uefi_http_boot_ipxe_script(netboot, tokens, guest):
    plan = BootPlan(efi64_http=f"{cases.HTTP_BASE}/{cases.SNPONLY}",
                    ipxe=f"{cases.HTTP_BASE}/{cases.SCRIPT}")
    out = netboot.boot("uefi-http", cases.MAC_HTTP_BOOT, plan)
    expect_booted(out, tokens["script"])
    assert any(e["path"] == f"/{cases.SNPONLY}" and e.get("method") == "GET"
               and e.get("status") == "200" for e in out.pxed_events("http.request")), \
        "OVMF did not fetch the loader over HTTP"
    assert not out.pxed_events("tftp.done"), "UEFI HTTP boot needs no TFTP"
    expect_kernel_from_iso(out, *guest[:2])
