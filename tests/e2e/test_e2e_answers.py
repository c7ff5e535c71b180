"""Unattended installs with the real Debian installer (debian-installer-12-netboot-amd64).

Two `once` machines (the second with PXED_E2E_SLOW=1) boot d-i's netboot kernel and initrd through pxed (lpxelinux.0, then
HTTP from the package's own directory mounted in the tree). The profile names pxed's
stock preseed; pxed adds `auto=true priority=critical url=...` to each machine's config,
so the installer fetches that machine's preseed from pxed (the log says who asked), takes
its answers (no question on the serial console) and goes straight to the mirror step,
asking pxed for the mirror the machine's vars name: a different one per machine. A
stranger asking for the first machine's preseed gets 404 and pxed warns; the done call
the preseed ends with, made from the machine's address, flips it to local boot.
"""
import os
import shutil
from pathlib import Path

import pytest

import e2e_lab
from e2e_cases import HTTP_BASE
from e2e_dhcp import BootPlan
from test_e2e_inventory import only_with, report_done

DI = Path("/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64")
STOCK = Path(__file__).resolve().parents[2] / "templates" / "preseed.cfg"
MAC_A = "52:54:00:e2:a0:01"
MAC_B = "52:54:00:e2:a0:02"
PLAN = BootPlan(bios="lpxelinux.0", default="local")
DI_TIMEOUT = 420  # seconds: d-i's initrd over HTTP and its first steps under TCG


def inventory(workdir):
    templates = Path(workdir) / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    shutil.copy(STOCK, templates / "preseed.cfg")
    return f'''
[[files.mount]]
at = "/d-i"
dir = "{DI}"

[[profile]]
name = "debian-auto"
kernel = "${{http}}/d-i/linux"
initrd = ["${{http}}/d-i/initrd.gz"]
append = "console=ttyS0,115200n8 hostname=${{name}} domain= DEBIAN_FRONTEND=text lowmem/low=1 netcfg/no_default_route=true netcfg/get_nameservers={e2e_lab.SERVER_IP}"
answer = "{templates / "preseed.cfg"}"
vars = {{ mirror_host = "{e2e_lab.SERVER_IP}", disk = "vda", root_password_crypted = "$6$e2e$x" }}

[[machine]]
mac = "{MAC_A}"
name = "inst-a"
profile = "debian-auto"
once = true
vars = {{ mirror_dir = "/mirror-a" }}

[[machine]]
mac = "{MAC_B}"
name = "inst-b"
profile = "debian-auto"
once = true
vars = {{ mirror_dir = "/mirror-b" }}
'''


def requests(lab, prefix):
    return [f for _, f in lab.pxed_events("http.request") if f.get("path", "").startswith(prefix)]


def served(lab, mac):
    return [f for _, f in lab.pxed_events("answer.served") if f.get("mac") == mac]


@pytest.mark.skipif(not (DI / "initrd.gz").exists(), reason="needs debian-installer-12-netboot-amd64")
def test_debian_installer_takes_each_machines_own_preseed(bare_netboot, workdir):
    only_with(bare_netboot, "pxed-full", "the installer's DHCP is the firmware's lease")
    with bare_netboot.served(PLAN, inventory(workdir)) as lab:
        a = bare_netboot.boot_in(lab, "bios", MAC_A, timeout=DI_TIMEOUT,
                                 until=lambda console: bool(requests(lab, "/mirror-a/")))
        assert requests(lab, "/mirror-a/"), f"inst-a never asked for its mirror: {a.summary()}\n{a.console_tail(40)}"
        got = served(lab, MAC_A)
        assert got and "the machine itself" in got[0].get("why", ""), got
        # The installer asked no question the preseed answers: it went from the preseed to the mirror.
        assert "Choose a language" not in a.console and "Country" not in a.console, a.console_tail(60)

        # A second installer with other answers: ~130 s more under TCG, so CI's run
        # leaves it to PXED_E2E_SLOW=1 (test_answers.py serves each machine its own
        # file in every run, by curl from each machine's address).
        if os.environ.get("PXED_E2E_SLOW") == "1":
            b = bare_netboot.boot_in(lab, "bios", MAC_B, timeout=DI_TIMEOUT,
                                     until=lambda console: bool(requests(lab, "/mirror-b/")))
            assert requests(lab, "/mirror-b/"), f"inst-b never asked for its mirror: {b.summary()}\n" \
                                                f"{b.console_tail(40)}"
            assert served(lab, MAC_B)

        # A stranger (the DHCP namespace's own address) asking for inst-a's preseed.
        r = e2e_lab.run(["ip", "netns", "exec", lab.dhcp_ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                         f"{HTTP_BASE}/pxed/v1/answers/{MAC_A.replace(':', '-')}/preseed.cfg"],
                        check=False, timeout=30)
        assert r.stdout == "404", r.stdout
        assert [f for _, f in lab.pxed_events("answer.refused") if f.get("mac") == MAC_A]

        # The preseed's late_command, made from inst-a's address: it installs no more.
        record = [f for _, f in lab.pxed_events("answer.served") if f.get("mac") == MAC_A][0]
        ip = record.get("ip", "")
        done = report_done(lab, ip)
        assert done.returncode == 0 and "installed" in done.stdout, (done.stdout, done.stderr)
