"""Images as the inventory's profiles: a menu of "iso:*" lists every image
files.iso_dir serves, by the entry its recipe gives, with no boot entry written
by the test; an image copied in appears in the menu within a second of its
iso.added, a removed one leaves it, and a machine given "iso:<name>" boots it.
The image is built by xorriso in Ubuntu's layout (casper/) with a volume id
Debian 12's osinfo-db knows. curl is the client, over TFTP and HTTP."""
import os
import re
import subprocess
import shutil
import time
from pathlib import Path

import pytest

import netlab
from suite import PXED_BIN

OSINFO = Path("/usr/share/osinfo")
UBUNTU_VOLUME = "Ubuntu 22.04.3 LTS amd64"
MACHINE = "52:54:00:aa:10:01"

pytestmark = [
    pytest.mark.pxed_only("the inventory and the image catalogue are pxed's"),
    pytest.mark.skipif(shutil.which("xorriso") is None, reason="xorriso not installed"),
    pytest.mark.skipif(not (OSINFO / "os").is_dir(), reason="osinfo-db not installed"),
]

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
name = "kiosk-01"
profile = "iso:ubuntu"
"""


@pytest.fixture(scope="module")
def built(workdir):
    return netlab.build_image(workdir, "ubuntu", UBUNTU_VOLUME,
                              {"casper/vmlinuz": b"k" * 3000, "casper/initrd": b"i" * 5000,
                               "casper/filesystem.squashfs": b"s" * 100})


@pytest.fixture(scope="module")
def iso_dir(workdir, built):
    d = workdir / "profile-images"
    d.mkdir()
    os.chmod(d, 0o755)
    netlab.install_image(d, built, "ubuntu.iso")
    # No OS anyone knows and no boot menu: only iPXE's sanboot of the whole image.
    netlab.install_image(d, netlab.build_image(workdir, "blank", "PXEDTEST", {"readme.txt": b"a disk image"}),
                         "zblank.iso")
    return d


@pytest.fixture(scope="module")
def lab(workdir, tree, server_kind, iso_dir):
    yield from netlab.served_lab(workdir, tree, server_kind, PXED_BIN, http_overrides={},
                                 files_extra=[f'iso_dir = "{iso_dir}"'], extra_toml=INVENTORY)


def tftp_text(lab, name, out):
    got = out / "got"
    got.unlink(missing_ok=True)
    r = lab.client(["curl", "-s", "-o", str(got), f"tftp://{lab.server_ip}/{name}"], timeout=30)
    assert r.returncode == 0, r.stderr
    return got.read_text()


def identified(lab):
    def done():
        r = netlab.curl_http(lab, "/api/v1/images", "-f")
        return r.returncode == 0 and '"state":"identified"' in r.stdout.replace(" ", "")
    netlab.wait_for(done, 20, "the image identified")


def test_the_default_menu_lists_every_image_with_its_recipe_and_local(lab, out):
    identified(lab)
    text = tftp_text(lab, "pxelinux.cfg/default", out)
    http = f"http://{lab.server_ip}"
    assert "LABEL iso-ubuntu\n" in text, text
    assert "MENU LABEL Ubuntu 22.04 LTS" in text, text
    assert f"LINUX {http}/iso/ubuntu/casper/vmlinuz" in text, text
    assert f"INITRD {http}/iso/ubuntu/casper/initrd" in text, text
    # casper fetches the whole image: its URL is in the arguments, and it is served.
    assert f"url={http}/iso/ubuntu.iso" in text, text
    assert "LOCALBOOT" in text, text
    for path, size in [("/iso/ubuntu/casper/vmlinuz", 3000), ("/iso/ubuntu.iso", os.path.getsize(
            lab.workdir / "profile-images" / "ubuntu.iso"))]:
        r = netlab.curl_http(lab, path, "-f", "-o", "/dev/null", "-w", "%{size_download}")
        assert r.returncode == 0 and int(r.stdout) == size, (path, r.stdout, r.stderr)


def test_an_image_only_ipxe_boots_is_sanbooted_by_ipxe_memdisk_under_pxelinux_and_listed_in_grub(lab, out):
    identified(lab)
    r = netlab.curl_http(lab, "/boot.ipxe", "-f")
    assert r.returncode == 0, r.stderr
    assert f"sanboot --no-describe http://{lab.server_ip}/iso/zblank.iso\n" in r.stdout, r.stdout
    # Small, and syslinux-common's memdisk is served: pxelinux loads it whole (BIOS).
    text = tftp_text(lab, "pxelinux.cfg/default", out)
    assert f"LINUX http://{lab.server_ip}/memdisk\n" in text, text
    assert f"INITRD http://{lab.server_ip}/iso/zblank.iso\n" in text, text
    text = tftp_text(lab, "grub/grub.cfg", out)
    assert "only iPXE boots this image (sanboot)" in text, text


def test_a_machine_given_an_image_boots_it_in_every_loader(lab, out):
    identified(lab)
    mac_name = "01-" + MACHINE.replace(":", "-")
    text = tftp_text(lab, f"pxelinux.cfg/{mac_name}", out)
    assert "DEFAULT iso-ubuntu" in text and "MENU" not in text, text
    assert "boot=casper ip=dhcp" in text, text
    r = netlab.curl_http(lab, f"/boot.ipxe?mac={MACHINE}", "-f")
    assert r.returncode == 0, r.stderr
    assert f"kernel http://{lab.server_ip}/iso/ubuntu/casper/vmlinuz" in r.stdout, r.stdout
    text = tftp_text(lab, f"grub/grub.cfg-{mac_name}", out)
    assert "/iso/ubuntu/casper/vmlinuz" in text and "url=" in text, text


def test_an_image_copied_in_joins_the_menu_and_leaves_it_when_removed(lab, iso_dir, built, out):
    identified(lab)
    mark = lab.server.mark()
    netlab.install_image(iso_dir, built, "xubuntu.iso")
    added = lab.server.wait_event("iso.added", since=mark, at="/iso/xubuntu")
    assert added.fields["os"] == "ubuntu22.04", added.fields
    start = time.monotonic()
    text = tftp_text(lab, "pxelinux.cfg/default", out)
    assert "LABEL iso-xubuntu\n" in text and "/iso/xubuntu/casper/vmlinuz" in text, text
    assert text.index("LABEL iso-xubuntu") > text.index("LABEL iso-ubuntu"), text  # by name
    assert time.monotonic() - start < 1.0

    mark = lab.server.mark()
    (iso_dir / "xubuntu.iso").unlink()
    lab.server.wait_event("iso.removed", since=mark, at="/iso/xubuntu")
    text = tftp_text(lab, "pxelinux.cfg/default", out)
    assert "iso-xubuntu" not in text and "LABEL iso-ubuntu" in text, text


def test_lookup_explains_an_image_profile_with_no_server_asked(lab):
    config = lab.workdir / f"pxed-{lab.tag}.toml"
    r = subprocess.run([str(PXED_BIN), "lookup", "-c", str(config), "--mac", MACHINE, "--arch", "bios",
                        "--server", lab.server_ip], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "-> profile iso:ubuntu" in r.stdout, r.stdout
    assert re.search(r"^images\s+2 served now", r.stdout, re.M), r.stdout
    assert f"LINUX http://{lab.server_ip}/iso/ubuntu/casper/vmlinuz" in r.stdout, r.stdout
    assert f"url=http://{lab.server_ip}/iso/ubuntu.iso" in r.stdout, r.stdout
