"""One inventory decides every boot: the tree holds only the loaders, and pxed writes
each loader's config for the machine that asks.

Two machines, two profiles (each carrying its own token on the kernel command line):
the marker on the serial console proves which generated config the firmware's loader
read, and pxed's tftp.done / http.request lines say the file was generated and for whom.
"""
import pytest

import e2e_guest
from e2e_cases import HTTP_BASE
from e2e_dhcp import BootPlan

MAC_ALPHA = "52:54:00:e2:e1:01"
MAC_BETA = "52:54:00:e2:e1:02"
MAC_IPXE = "52:54:00:e2:e1:03"
MAC_EFI = "52:54:00:e2:e1:04"


def inventory(tokens):
    """Kernel and initrd as paths in the tree (the ISO mount): pxelinux fetches them over
    TFTP, iPXE over HTTP relative to its script; one ${http} URL shows expansion."""
    def profile(name, token):
        return (f'[[profile]]\nname = "{name}"\n'
                f'kernel = "${{http}}{e2e_guest.KERNEL_PATH}"\n'
                f'initrd = ["{e2e_guest.INITRD_PATH}"]\n'
                f'append = "{e2e_guest.CMDLINE} pxed_token={token} host=${{name}}"\n')
    return (profile("alpha", tokens["inv-alpha"]) + profile("beta", tokens["inv-beta"]) +
            f'[[machine]]\nmac = "{MAC_ALPHA}"\nname = "alpha-01"\nprofile = "alpha"\n'
            f'[[machine]]\nmac = "{MAC_IPXE}"\nname = "ipxe-01"\nprofile = "alpha"\n'
            f'[[group]]\nname = "efi"\nmatch = {{ arch = "efi64" }}\nprofile = "alpha"\n')


PXELINUX = BootPlan(bios="lpxelinux.0", efi64="efi64/syslinux.efi", default="beta")
# iPXE expands ${mac} in the file name DHCP gives it: the script says who asks.
SCRIPT = BootPlan(ipxe=f"{HTTP_BASE}/boot.ipxe?mac=${{mac}}", default="beta")


def expect_token(out, token):
    r = out.result
    assert r.tokens() == [token], f"booted {r.tokens()}, expected {token} ({r.summary()})"
    assert r.returncode == 0, f"the guest did not power off cleanly: {r.summary()}"
    assert out.pxed_alive, "pxed died during the boot"


def generated(out, event, key):
    return [e for e in out.pxed_events(event) if "generated" in e and e.get(key)]


def test_bios_pxelinux_machine_gets_its_profile(bare_netboot, tokens, guest):
    out = bare_netboot.boot("bios", MAC_ALPHA, PXELINUX, inventory=inventory(tokens))
    expect_token(out, tokens["inv-alpha"])
    served = generated(out, "tftp.done", "file")
    assert served, "no generated pxelinux config was served"
    assert served[0]["file"].startswith("pxelinux.cfg/"), served[0]
    assert "alpha-01" in served[0]["generated"], served[0]


def test_bios_pxelinux_unknown_machine_gets_the_default(bare_netboot, tokens, guest):
    out = bare_netboot.boot("bios", MAC_BETA, PXELINUX, inventory=inventory(tokens))
    expect_token(out, tokens["inv-beta"])
    assert any("[boot] default" in e["generated"] for e in generated(out, "tftp.done", "file"))


def test_bios_ipxe_script_is_generated_for_the_machine(bare_netboot, tokens, guest):
    out = bare_netboot.boot("bios", MAC_IPXE, SCRIPT, inventory=inventory(tokens))
    expect_token(out, tokens["inv-alpha"])
    scripts = [e for e in generated(out, "http.request", "path") if e["path"].startswith("/boot.ipxe")]
    assert scripts and "ipxe-01" in scripts[0]["generated"], scripts
    assert "by iPXE's mac" in scripts[0]["generated"], scripts


@pytest.mark.uefi
def test_uefi_syslinux_efi_group_by_arch(bare_netboot, tokens, guest):
    out = bare_netboot.boot("uefi-pxe", MAC_EFI, PXELINUX, inventory=inventory(tokens))
    expect_token(out, tokens["inv-alpha"])
    served = generated(out, "tftp.done", "file")
    assert served and served[0]["file"].startswith("efi64/pxelinux.cfg/"), served
    assert "group efi" in served[0]["generated"], served[0]
