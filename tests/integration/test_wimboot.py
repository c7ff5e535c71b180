"""The two boot methods for images with no kernel pxed can name: a Windows
image through wimboot, a small image through memdisk under pxelinux.

A Windows-like image (UDF bridge built by genisoimage -udf, the volume id and
publisher of Windows 10 media, its boot files in mixed case as Windows media
spell them) sits in files.iso_dir; a fake wimboot is put in files.root while
pxed runs and taken away again. The test fetches the iPXE script as iPXE would
(/boot.ipxe?mac=...), then every URL the script names, and checks each is
served whole with the bytes of the image's file. No Windows boots here: the
files are stand-ins, and wimboot itself is a stand-in (ipxe.org ships it;
Debian does not).
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import netlab
from suite import PXED_BIN

OSINFO = Path("/usr/share/osinfo")
MEMDISK = Path("/usr/lib/syslinux/memdisk")
MACHINE = "52:54:00:aa:20:01"

pytestmark = [
    pytest.mark.pxed_only("the image catalogue and its boot entries are pxed's"),
    pytest.mark.skipif(shutil.which("genisoimage") is None, reason="genisoimage not installed (scripts/setup)"),
    pytest.mark.skipif(shutil.which("xorriso") is None, reason="xorriso not installed"),
    pytest.mark.skipif(not (OSINFO / "os").is_dir(), reason="osinfo-db not installed"),
]

# Windows media's own spelling: UDF keeps it, and wimboot's URLs must too.
WINDOWS_FILES = {
    "bootmgr": 4000,
    "Boot/BCD": 3000,
    "Boot/boot.sdi": 5000,
    "efi/Boot/bootx64.efi": 6000,
    "efi/Microsoft/Boot/BCD": 3500,
    "sources/boot.wim": 200_000,
    "sources/install.wim": 1000,
}

INVENTORY = f"""[boot]
bios = "lpxelinux.0"
default = "images"

[[profile]]
name = "images"
label = "pxed images"
menu = ["iso:*", "local"]
default = "local"
timeout = "10s"

[[machine]]
mac = "{MACHINE}"
name = "win-01"
profile = "iso:win10"
"""


@pytest.fixture(scope="module")
def windows_source(workdir):
    return netlab.write_random_tree(workdir / "win10-src", WINDOWS_FILES)


@pytest.fixture(scope="module")
def root(workdir):
    """A files.root of the module's own: wimboot comes and goes in it."""
    d = workdir / "wimboot-root"
    d.mkdir()
    (d / "hello.txt").write_text("hello\n")
    os.chmod(d, 0o755)
    os.chmod(d / "hello.txt", 0o644)
    return d


@pytest.fixture(scope="module")
def iso_dir(workdir, windows_source):
    d = workdir / "wimboot-images"
    d.mkdir()
    os.chmod(d, 0o755)
    win = workdir / "win10.built"
    subprocess.run(["genisoimage", "-quiet", "-udf", "-V", "CCCOMA_X64FRE_EN-US_DV9",
                    "-publisher", "MICROSOFT CORPORATION", "-o", str(win), str(windows_source)],
                   check=True, capture_output=True, timeout=60)
    netlab.install_image(d, win, "win10.iso")
    # No OS anyone knows, no boot menu, and small: sanboot, or memdisk for pxelinux.
    netlab.install_image(d, netlab.build_image(workdir, "wblank", "PXEDTEST", {"readme.txt": b"a disk image"}),
                         "zblank.iso")
    return d


@pytest.fixture(scope="module")
def lab(workdir, root, server_kind, iso_dir):
    yield from netlab.served_lab(workdir, root, server_kind, PXED_BIN, http_overrides={},
                                 files_extra=[f'iso_dir = "{iso_dir}"'], extra_toml=INVENTORY)


def identified(lab):
    def done():
        r = netlab.curl_http(lab, "/api/v1/images", "-f")
        return r.returncode == 0 and r.stdout.replace(" ", "").count('"state":"identified"') == 1
    netlab.wait_for(done, 20, "the Windows image identified")


def fetch_text(lab, path):
    r = netlab.curl_http(lab, path, "-f")
    assert r.returncode == 0, (path, r.stderr)
    return r.stdout


def tftp_text(lab, name, out):
    got = out / name.replace("/", "_")
    r = lab.client(["curl", "-s", "-o", str(got), f"tftp://{lab.server_ip}/{name}"], timeout=30)
    assert r.returncode == 0, r.stderr
    return got.read_text()


def fetched_bytes(lab, url, out):
    """url fetched from the client namespace as iPXE would: status 200, the bytes."""
    got = out / "fetched"
    got.unlink(missing_ok=True)
    r = lab.client(["curl", "-sS", "--max-time", "60", "-A", "iPXE/1.21.1", "-o", str(got), "-w", "%{http_code}",
                    url], timeout=70)
    assert r.stdout == "200", (url, r.stdout, r.stderr)
    return got.read_bytes()


def put_wimboot(lab, root, data):
    mark = lab.server.mark()
    tmp = root / ".wimboot.part"
    tmp.write_bytes(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, root / "wimboot")
    lab.server.wait_event("iso.program", since=mark, program="wimboot", state="served")


def test_without_wimboot_the_menu_says_where_to_put_it(lab, root, out):
    identified(lab)
    script = fetch_text(lab, f"/boot.ipxe?mac={MACHINE}")
    assert "kernel " not in script, script
    assert f"put wimboot (ipxe.org/wimboot, not packaged by Debian) at {root}/wimboot" in script, script
    text = tftp_text(lab, "pxelinux.cfg/default", out)
    assert "iso:win10 left out: " in text and f"at {root}/wimboot" in text, text


def test_wimboot_put_in_the_tree_boots_the_image_through_ipxe(lab, root, windows_source, out):
    identified(lab)
    wimboot = os.urandom(30_000)
    put_wimboot(lab, root, wimboot)
    try:
        script = fetch_text(lab, f"/boot.ipxe?mac={MACHINE}")
        http = f"http://{lab.server_ip}"
        lines = [line for line in script.splitlines() if line and not line.startswith("#")]
        assert lines[0] == f"kernel {http}/wimboot", script
        assert lines[-1] == "boot", script
        named = []
        for line in lines[1:-1]:
            m = re.fullmatch(r"initrd --name (\S+) (\S+) (\S+)", line)
            assert m and m.group(1) == m.group(3), line
            named.append((m.group(1), m.group(2)))
        # BIOS (the machine's firmware is not known: a ROM without option 93):
        # bootmgr and the BIOS BCD, by the image's own spelling.
        assert named == [("bootmgr", f"{http}/iso/win10/bootmgr"),
                         ("BCD", f"{http}/iso/win10/Boot/BCD"),
                         ("boot.sdi", f"{http}/iso/win10/Boot/boot.sdi"),
                         ("boot.wim", f"{http}/iso/win10/sources/boot.wim")], script
        assert fetched_bytes(lab, f"{http}/wimboot", out) == wimboot
        for name, url in named:
            member = url.removeprefix(f"{http}/iso/win10/")
            assert fetched_bytes(lab, url, out) == (windows_source / member).read_bytes(), name

        # pxelinux and GRUB list it, saying to chain to iPXE.
        text = tftp_text(lab, "pxelinux.cfg/default", out)
        assert "(Windows PE) (pxed: cannot boot here)" in text, text
        assert "only iPXE boots this image (wimboot): chain to iPXE" in text, text
        text = tftp_text(lab, "grub/grub.cfg", out)
        assert "only iPXE boots this image (wimboot)" in text, text
    finally:
        mark = lab.server.mark()
        (root / "wimboot").unlink()
        lab.server.wait_event("iso.program", since=mark, program="wimboot", state="gone")
    assert "put wimboot" in fetch_text(lab, f"/boot.ipxe?mac={MACHINE}")


def test_a_small_image_boots_with_memdisk_under_pxelinux_and_sanboot_under_ipxe(lab, iso_dir, out):
    if not MEMDISK.is_file():
        pytest.skip("syslinux-common's memdisk not installed (scripts/setup)")
    identified(lab)
    http = f"http://{lab.server_ip}"
    text = tftp_text(lab, "pxelinux.cfg/default", out)
    block = text[text.index("LABEL iso-zblank\n"):]
    block = block[:block.find("\n\n")] if "\n\n" in block else block
    assert f"  LINUX {http}/memdisk\n" in block, text
    assert f"  INITRD {http}/iso/zblank.iso\n" in block, text
    assert "  APPEND iso raw" in block, text
    assert "PXEDTEST (pxed: cannot boot here)" not in text, text
    assert fetched_bytes(lab, f"{http}/memdisk", out) == MEMDISK.read_bytes()
    assert fetched_bytes(lab, f"{http}/iso/zblank.iso", out) == (iso_dir / "zblank.iso").read_bytes()
    assert f"sanboot --no-describe {http}/iso/zblank.iso\n" in fetch_text(lab, "/boot.ipxe")


def test_iso_info_shows_the_wimboot_entry_and_what_it_needs(iso_dir):
    r = subprocess.run([str(PXED_BIN), "iso", "info", str(iso_dir / "win10.iso"), "--http", "http://10.77.0.1"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^boot +wimboot \(wimboot\)$", r.stdout, re.M), r.stdout
    assert re.search(r"^boot-initrd +bootmgr http://10.77.0.1/iso/win10/bootmgr \(bios\)$", r.stdout, re.M), r.stdout
    assert re.search(r"^boot-needs +wimboot .* at files.root/wimboot$", r.stdout, re.M), r.stdout
    assert re.search(r"^entry-ipxe +kernel http://10.77.0.1/wimboot$", r.stdout, re.M), r.stdout
    # iso info's iPXE entry is a UEFI machine's: bootx64.efi and the UEFI BCD.
    assert "initrd --name bootx64.efi http://10.77.0.1/iso/win10/efi/Boot/bootx64.efi bootx64.efi" in r.stdout
    assert "initrd --name BCD http://10.77.0.1/iso/win10/efi/Microsoft/Boot/BCD BCD" in r.stdout, r.stdout
