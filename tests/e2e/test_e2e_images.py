"""Images that boot themselves: no boot entry is written by the test.

Two images are built in the layouts of real releases, each holding the e2e guest's
kernel and initramfs where that release keeps its own (Ubuntu's casper/, Rocky's
images/pxeboot/), with the volume ids osinfo-db knows them by. pxed identifies each,
works out its network-install arguments, and offers it as the profile iso:<name>. The
guest's init prints its kernel command line: the recipe's install source, pointing at
pxed, is the proof, and that URL then serves what the installer would fetch (the whole
image with Range for casper, the repository for anaconda).
"""
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import e2e_lab
from e2e_cases import HTTP_BASE
from e2e_dhcp import BootPlan
from test_e2e_inventory import only_with

OSINFO = Path("/usr/share/osinfo")
UBUNTU_VOLUME = "Ubuntu 22.04.3 LTS amd64"
ROCKY_VOLUME = "Rocky-9-2-x86_64-dvd"
MAC_MENU = "52:54:00:e2:e3:01"
MAC_ROCKY_EFI = "52:54:00:e2:e3:02"

pytestmark = [
    pytest.mark.skipif(shutil.which("xorriso") is None, reason="xorriso not installed"),
    pytest.mark.skipif(not (OSINFO / "os").is_dir(), reason="osinfo-db not installed"),
]

# [boot] default is the plan's ("images"): the provider writes [boot]. The recipes
# name no console; the serial console the test reads is the profile's own append.
INVENTORY = f"""[[profile]]
name = "images"
label = "pxed e2e images"
menu = ["local", "iso:*"]
default = "iso:ubuntu"
timeout = "1s"

[[profile]]
name = "rocky-serial"
image = "rocky"
append = "console=ttyS0 panic=-1"

[[machine]]
mac = "{MAC_ROCKY_EFI}"
name = "rocky-efi"
profile = "rocky-serial"
"""

PLAN = BootPlan(bios="lpxelinux.0", efi64="efi64/syslinux.efi", default="images")


def build(workdir, name, volume, files):
    src = Path(tempfile.mkdtemp(prefix=f"{name}-src-", dir=workdir))
    for path, content in files.items():
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, src / path)
        else:
            (src / path).write_bytes(content)
    out = workdir / f"{name}-built.iso"
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-R", "-J", "-V", volume, "-o", str(out), str(src)],
                   check=True, capture_output=True, timeout=120)
    shutil.rmtree(src, ignore_errors=True)
    os.chmod(out, 0o644)
    return out


@pytest.fixture(scope="module")
def images(workdir, guest):
    vmlinuz, initrd, _ = guest
    return {
        "ubuntu": build(workdir, "ubuntu", UBUNTU_VOLUME, {
            "casper/vmlinuz": vmlinuz, "casper/initrd": initrd, "casper/filesystem.squashfs": b"s" * 4096}),
        "rocky": build(workdir, "rocky", ROCKY_VOLUME, {
            "images/pxeboot/vmlinuz": vmlinuz, "images/pxeboot/initrd.img": initrd,
            ".treeinfo": b"[general]\nfamily = Rocky Linux\nversion = 9.2\n",
            "repodata/repomd.xml": b"<?xml version=\"1.0\"?><repomd/>\n"}),
    }


@pytest.fixture
def iso_dir(workdir):
    d = Path(tempfile.mkdtemp(prefix="iso-dir-", dir=workdir))
    os.chmod(d, 0o755)
    return d


def copy_in(iso_dir, built, name):
    """As a user copies an image in: written beside, then renamed into place."""
    tmp = iso_dir / f".{name}.part"
    shutil.copyfile(built, tmp)
    os.chmod(tmp, 0o644)
    tmp.rename(iso_dir / name)


def wait_identified(lab, at):
    """Until iso.added or iso.identified says what the image at `at` is."""
    def known():
        return any(kind in ("iso.added", "iso.identified") and f.get("at") == at and "os" in f
                   for kind, f in e2e_lab.log_events(lab.pxed.log_text()))
    e2e_lab.wait_for(known, 30, f"{at} identified")


def command_line(result):
    for line in result.console.splitlines():
        at = line.find("PXED-E2E-CMDLINE ")
        if at >= 0:
            return line[at + len("PXED-E2E-CMDLINE "):].strip()
    raise AssertionError(f"the guest printed no command line ({result.summary()}):\n{result.console_tail(40)}")


def fetch(lab, url, *extra):
    return e2e_lab.run(["ip", "netns", "exec", lab.srv_ns, "curl", "-sS", "--max-time", "20", "--fail",
                        "-o", "/dev/null", "-w", "%{http_code} %{size_download}", *extra, url], timeout=30)


def test_bios_an_image_copied_in_while_pxed_runs_is_in_the_menu_and_boots_by_casper(
        bare_netboot, guest, images, iso_dir):
    only_with(bare_netboot, "pxed-proxy", "the image's path is the same whoever gives the address")
    with bare_netboot.served(PLAN, INVENTORY, files_extra=[f'iso_dir = "{iso_dir}"']) as lab:
        copy_in(iso_dir, images["ubuntu"], "ubuntu.iso")
        wait_identified(lab, "/iso/ubuntu")
        result = bare_netboot.boot_in(lab, "bios", MAC_MENU)
        line = command_line(result)
        http = f"http://{lab.server_ip}"
        assert "boot=casper" in line and "ip=dhcp" in line, line
        url = re.search(r"\burl=(\S+)", line)
        assert url and url.group(1) == f"{http}/iso/ubuntu.iso", line
        # The menu pxelinux read lists the image and local, and was generated for this machine.
        configs = [e for e in bare_netboot.last.pxed_events("tftp.done") if "generated" in e]
        assert configs and "profile images" in configs[0]["generated"], configs
        # casper downloads the image it was given: served whole, and by ranges.
        size = os.path.getsize(iso_dir / "ubuntu.iso")
        r = fetch(lab, url.group(1))
        assert r.stdout == f"200 {size}", r.stdout
        r = fetch(lab, url.group(1), "-r", "32768-32867")
        assert r.stdout == "206 100", r.stdout


@pytest.mark.uefi
def test_uefi_a_machine_given_an_image_boots_it_with_its_repository(bare_netboot, guest, images, iso_dir):
    only_with(bare_netboot, "pxed-proxy", "syslinux.efi is the proxy-mode UEFI loader (FIRMWARE.md 29)")
    copy_in(iso_dir, images["rocky"], "rocky.iso")
    with bare_netboot.served(PLAN, INVENTORY, files_extra=[f'iso_dir = "{iso_dir}"']) as lab:
        wait_identified(lab, "/iso/rocky")
        result = bare_netboot.boot_in(lab, "uefi-pxe", MAC_ROCKY_EFI)
        line = command_line(result)
        repo = re.search(r"\binst\.repo=(\S+)", line)
        assert repo and repo.group(1) == f"http://{lab.server_ip}/iso/rocky/", line
        configs = [e for e in bare_netboot.last.pxed_events("tftp.done") if "generated" in e]
        assert configs and "profile rocky-serial" in configs[0]["generated"], configs
        # anaconda reads the repository from the image as a folder.
        r = fetch(lab, repo.group(1) + "repodata/repomd.xml")
        assert r.stdout.startswith("200 "), r.stdout
        r = fetch(lab, repo.group(1) + ".treeinfo")
        assert r.stdout.startswith("200 "), r.stdout


# -- the images Debian's own packages ship -------------------------------------------
MEMTEST_ISO = Path("/usr/lib/memtest86+/memtest86+x64.iso")  # package memtest86+
IPXE_ISO = Path("/usr/lib/ipxe/ipxe.iso")                     # package ipxe
MAC_MEMTEST = "52:54:00:e2:e3:03"
MAC_IPXE_ISO = "52:54:00:e2:e3:04"

# iPXE, once running, is handed a script: its DHCP request is told from the ROM's by that.
REAL_PLAN = BootPlan(bios="lpxelinux.0", ipxe=f"{HTTP_BASE}/boot.ipxe", default="images")
REAL = f"""[[profile]]
name = "images"
menu = ["iso:*", "local"]
default = "local"

[[profile]]
name = "memtest-serial"
image = "memtest86+x64"
append = "console=ttyS0,115200"

[[machine]]
mac = "{MAC_MEMTEST}"
profile = "memtest-serial"

[[machine]]
mac = "{MAC_IPXE_ISO}"
profile = "iso:ipxe"
"""


@pytest.mark.skipif(not MEMTEST_ISO.exists() or not IPXE_ISO.exists(), reason="memtest86+ or ipxe not installed")
def test_bios_the_images_debian_ships_boot_memtest86_and_ipxe(bare_netboot, guest, iso_dir):
    only_with(bare_netboot, "pxed-proxy", "the images' paths are the same whoever gives the address")
    for image in (MEMTEST_ISO, IPXE_ISO):
        copy_in(iso_dir, image, image.name)
    with bare_netboot.served(REAL_PLAN, REAL, files_extra=[f'iso_dir = "{iso_dir}"']) as lab:
        wait_identified(lab, "/iso/memtest86+x64")
        wait_identified(lab, "/iso/ipxe")
        # memtest86+ never powers off: its own screen on the serial console is the proof.
        result = bare_netboot.boot_in(lab, "bios", MAC_MEMTEST, timeout=90,
                                      until=lambda console: "Memtest86+" in console)
        assert result.stopped == "until", f"memtest86+ did not show itself ({result.summary()}):\n" \
                                          f"{result.console_tail(30)}"
        fetched = [e for e in bare_netboot.last.pxed_events("http.request") if "memtest" in e.get("path", "")]
        assert fetched and fetched[0]["status"] == "200", fetched

        # iPXE's image: its isolinux menu names ipxe.lkrn; once it runs it asks DHCP again itself.
        def ipxe_asked_again(console):
            events = e2e_lab.log_events(lab.pxed.log_text())
            loaded = [i for i, (kind, f) in enumerate(events)
                      if kind == "http.request" and f.get("path") == "/iso/ipxe/ipxe.krn" and f.get("status") == "200"]
            return bool(loaded) and any(kind.startswith("dhcp.") and f.get("mac") == MAC_IPXE_ISO and
                                        "ipxe" in f.get("file", "") for kind, f in events[loaded[0]:])
        result = bare_netboot.boot_in(lab, "bios", MAC_IPXE_ISO, timeout=60, until=ipxe_asked_again)
        assert result.stopped == "until", f"the image's iPXE never asked DHCP ({result.summary()}):\n" \
                                          f"{e2e_lab.tail(lab.pxed.log_path)}"


# -- memdisk: a small image with no kernel pxed can name, under pxelinux ----------------
MAC_MEMDISK = "52:54:00:e2:e3:05"
BANNER = "PXED-MEMDISK-BANNER booted from its own El Torito record"


def banner_boot_sector(text):
    """A 2048-byte El Torito no-emulation boot image (x86 real mode) that writes
    text to COM1, then halts: the image's own banner. Only COM1: SeaBIOS's serial
    console would echo INT 10h output into the same file, interleaved. Position
    independent (call/pop), since BIOSes start it at 0000:7C00 or 07C0:0000."""
    code = bytes([
        0x0E,              # push cs
        0x1F,              # pop ds
        0xE8, 0x00, 0x00,  # call +0
        0x5E,              # pop si            (si = offset 5)
        0x83, 0xC6, 0x13,  # add si, 0x13     (the text at offset 0x18)
        0xFC,              # cld
        0xAC,              # 0x0a: lodsb
        0x08, 0xC0,        # or al, al
        0x74, 0x06,        # jz 0x15
        0xBA, 0xF8, 0x03,  # mov dx, 0x3f8
        0xEE,              # out dx, al        (COM1)
        0xEB, 0xF5,        # jmp 0x0a
        0xF4,              # 0x15: hlt
        0xEB, 0xFD,        # jmp 0x15
    ])
    assert len(code) == 0x18
    return (code + f"\r\n{text}\r\n".encode() + b"\0").ljust(2048, b"\0")


MEMDISK_PLAN = BootPlan(bios="lpxelinux.0", default="local")
MEMDISK_INVENTORY = f"""[[machine]]
mac = "{MAC_MEMDISK}"
profile = "iso:banner"
"""


@pytest.mark.skipif(not Path("/usr/lib/syslinux/memdisk").exists(), reason="syslinux-common's memdisk not installed")
def test_bios_a_small_image_with_no_kernel_boots_through_memdisk(bare_netboot, workdir, iso_dir):
    only_with(bare_netboot, "pxed-proxy", "the image's path is the same whoever gives the address")
    src = Path(tempfile.mkdtemp(prefix="banner-src-", dir=workdir))
    (src / "boot.bin").write_bytes(banner_boot_sector(BANNER))
    (src / "readme.txt").write_text("a small image with a boot record and no kernel\n")
    built = workdir / "banner-built.iso"
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-R", "-J", "-V", "PXEDBANNER", "-b", "boot.bin",
                    "-no-emul-boot", "-boot-load-size", "4", "-o", str(built), str(src)],
                   check=True, capture_output=True, timeout=120)
    os.chmod(built, 0o644)
    copy_in(iso_dir, built, "banner.iso")
    with bare_netboot.served(MEMDISK_PLAN, MEMDISK_INVENTORY, files_extra=[f'iso_dir = "{iso_dir}"']) as lab:
        wait_identified(lab, "/iso/banner")
        result = bare_netboot.boot_in(lab, "bios", MAC_MEMDISK, timeout=90, until=lambda console: BANNER in console)
        assert result.stopped == "until", f"the image's banner never showed ({result.summary()}):\n" \
                                          f"{result.console_tail(30)}"
        # lpxelinux.0 fetched memdisk (syslinux-common's, served by pxed) and the whole image over HTTP.
        fetched = {e.get("path"): e.get("status") for e in bare_netboot.last.pxed_events("http.request")}
        assert fetched.get("/memdisk") == "200", fetched
        assert fetched.get("/iso/banner.iso") == "200", fetched
