"""`pxed iso info`: which OS an image holds, by osinfo-db's rules, from the
image's volume descriptor. Images are built by xorriso with the layout and
volume ids of real releases (the ids are what osinfo-db's own rules describe);
the real ISO images Debian ships (ipxe, memtest86+) are read too."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from suite import PXED_BIN

OSINFO = Path("/usr/share/osinfo")

pytestmark = [
    pytest.mark.skipif(shutil.which("xorriso") is None, reason="xorriso not installed"),
]
needs_osinfo = pytest.mark.skipif(not (OSINFO / "os").is_dir(), reason="osinfo-db not installed")


def pxed(*args, timeout=30):
    return subprocess.run([str(PXED_BIN), *args], capture_output=True, text=True, timeout=timeout)


def build_iso(path, files, *mkisofs_args):
    tree = path.with_suffix(".tree")
    for name, content in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(content)
    subprocess.run(["xorriso", "-as", "mkisofs", "-R", "-J", *mkisofs_args, "-o", str(path), str(tree)],
                   check=True, capture_output=True, timeout=60)
    return path


def fields(text):
    """`key  value` lines as a dict; a key alone is an empty field. An indented
    line goes on the field above it (the entry-* blocks), after a newline."""
    out, key = {}, None
    for line in text.splitlines():
        if not line:
            continue
        if line[0].isspace() and key is not None:
            out[key] += "\n" + line.strip()
            continue
        parts = line.split(None, 1)
        key = parts[0]
        out[key] = parts[1].strip() if len(parts) > 1 else ""
    return out


# (name, mkisofs args, files in the image, expected os id, kind, kernel, initrd)
FAMILIES = [
    ("debian-11.5.0-amd64-netinst", ["-V", "Debian 11.5.0 amd64 n"],
     {"install.amd/vmlinuz": b"k" * 3000, "install.amd/initrd.gz": b"i" * 5000, "dists/bullseye/Release": b"r"},
     "http://debian.org/debian/11", "installer", "install.amd/vmlinuz", "install.amd/initrd.gz"),
    ("ubuntu-22.04.1-live-server-amd64", ["-V", "Ubuntu-Server 22.04.1 LTS amd64"],
     {"casper/vmlinuz": b"k" * 3000, "casper/initrd": b"i" * 5000},
     "http://ubuntu.com/ubuntu/22.04", "live, installer", "casper/vmlinuz", "casper/initrd"),
    ("Fedora-Server-dvd-x86_64-36", ["-V", "Fedora-S-dvd-x86_64-36", "-sysid", "LINUX"],
     {"isolinux/vmlinuz": b"k" * 3000, "isolinux/initrd.img": b"i" * 5000, "images/install.img": b"s"},
     "http://fedoraproject.org/fedora/36", "installer", "isolinux/vmlinuz", "isolinux/initrd.img"),
]


@needs_osinfo
@pytest.mark.parametrize("name, args, files, os_id, kind, kernel, initrd", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_identifies_a_release_and_finds_its_kernel_and_initrd(tmp_path, name, args, files, os_id, kind, kernel, initrd):
    iso = build_iso(tmp_path / f"{name}.iso", files, *args)
    result = pxed("iso", "info", str(iso))
    assert result.returncode == 0, result.stderr
    f = fields(result.stdout)
    assert f["os"] == os_id, result.stdout
    assert f["arch"] == "x86_64"
    assert f["kind"] == kind
    assert f["kernel"] == f"{kernel} ({len(files[kernel])} bytes)", result.stdout
    assert f["initrd"] == f"{initrd} ({len(files[initrd])} bytes)", result.stdout
    assert f["volume-id"] in f["rule"] and os_id in f["rule"], result.stdout

    as_json = json.loads(pxed("iso", "info", "--json", str(iso)).stdout)
    assert as_json["identified"] is True
    assert as_json["os"]["id"] == os_id
    assert as_json["os"]["kernel"] == {"path": kernel, "present": True, "size": len(files[kernel])}
    assert as_json["primary_volume"]["volume_id"] == args[1]
    assert as_json["osinfo_db"]["problems"] == 0


# (name, boot method, rule, the kernel's path in the image, what the command line must say)
BOOTS = {
    "debian-11.5.0-amd64-netinst": ("none", "debian-installer", None, None),
    "ubuntu-22.04.1-live-server-amd64": ("linux", "casper", "casper/vmlinuz",
                                         "url=http://10.77.0.1/iso/ubuntu-22.04.1-live-server-amd64.iso"),
    "Fedora-Server-dvd-x86_64-36": ("linux", "anaconda", "isolinux/vmlinuz",
                                    "inst.stage2=http://10.77.0.1/iso/Fedora-Server-dvd-x86_64-36/"),
}


@needs_osinfo
@pytest.mark.parametrize("name, args, files, os_id, kind, kernel, initrd", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_says_how_pxed_would_boot_the_image(tmp_path, name, args, files, os_id, kind, kernel, initrd):
    iso = build_iso(tmp_path / f"{name}.iso", files, *args)
    method, rule, kernel_path, argument = BOOTS[name]
    result = pxed("iso", "info", "--http", "http://10.77.0.1/", str(iso))
    f = fields(result.stdout)
    assert f["boot"] == f"{method} ({rule})", result.stdout
    assert f["boot-reason"], result.stdout
    boot = json.loads(pxed("iso", "info", "--json", "--http", "http://10.77.0.1", str(iso)).stdout)["boot"]
    assert (boot["method"], boot["rule"]) == (method, rule), boot
    if method == "none":
        assert "netboot" in boot["reason"], boot
        return
    assert boot["kernel"] == f"http://10.77.0.1/iso/{name}/{kernel_path}", boot
    assert f["boot-kernel"] == boot["kernel"]
    assert argument in boot["args"].split(), boot
    # The entry each loader's generated config gives a machine whose profile is the image:
    # HTTP where the loader has it, the same tree over TFTP for GRUB.
    assert f"LINUX {boot['kernel']}" in f["entry-pxelinux"].splitlines(), f["entry-pxelinux"]
    assert f"LINUX {boot['kernel']}" in f["entry-syslinux-efi"].splitlines(), f["entry-syslinux-efi"]
    assert f"linux (tftp,10.77.0.1)/iso/{name}/{kernel_path} " in f["entry-grub"], f["entry-grub"]
    assert f["entry-ipxe"].startswith(f"kernel {boot['kernel']} "), f["entry-ipxe"]
    # Without --http the URLs say where pxed's address goes.
    assert fields(pxed("iso", "info", str(iso)).stdout)["boot-kernel"].startswith("http://SERVER/iso/")


@needs_osinfo
def test_a_kernel_osinfo_names_but_the_image_lacks_is_said(tmp_path):
    iso = build_iso(tmp_path / "debian-no-initrd.iso", {"install.amd/vmlinuz": b"k"}, "-V", "Debian 11.6.0 amd64 n")
    f = fields(pxed("iso", "info", str(iso)).stdout)
    assert f["os"] == "http://debian.org/debian/11"
    assert f["initrd"] == "install.amd/initrd.gz (not in the image)"


@needs_osinfo
def test_alpine_is_identified_though_osinfo_names_no_kernel(tmp_path):
    iso = build_iso(tmp_path / "alpine.iso", {"boot/vmlinuz-lts": b"k"}, "-V", "alpine-std 3.16.2 x86_64")
    f = fields(pxed("iso", "info", str(iso)).stdout)
    assert f["os"] == "http://alpinelinux.org/alpinelinux/3.16", f
    assert f["kernel"] == "(osinfo names none)"


@needs_osinfo
def test_centos_7_rebuilt_at_another_size_is_unknown_and_says_why(tmp_path):
    """osinfo-db tells CentOS 7 releases apart by their exact DVD size."""
    iso = build_iso(tmp_path / "CentOS-7-x86_64-Minimal.iso",
                    {"isolinux/vmlinuz": b"k", "isolinux/initrd.img": b"i"}, "-V", "CentOS 7 x86_64", "-sysid", "LINUX")
    result = pxed("iso", "info", str(iso))
    assert result.returncode == 0, result.stderr
    f = fields(result.stdout)
    assert f["os"] == "unknown"
    assert 'volume-id "CentOS 7 x86_64"' in f["reason"]
    assert "nearest: http://centos.org/centos/7.0" in f["reason"] and "volume-size" in f["reason"], f["reason"]


REAL_IMAGES = ["/usr/lib/ipxe/ipxe.iso", "/usr/lib/memtest86+/memtest86+x64.iso"]


@needs_osinfo
@pytest.mark.parametrize("image", REAL_IMAGES)
def test_the_real_images_debian_ships_are_read_and_unknown_with_the_reason(image):
    """osinfo-db describes OS media, not iPXE's or memtest86+'s images: the
    answer is "unknown", with what was compared."""
    if not os.path.exists(image):
        pytest.skip(f"{image} not installed (scripts/setup)")
    result = pxed("iso", "info", image)
    assert result.returncode == 0, result.stderr
    f = fields(result.stdout)
    volume_id = subprocess.run(["xorriso", "-indev", image, "-pvd_info"], capture_output=True,
                               text=True).stdout.split("Volume Id    : ", 1)[1].splitlines()[0]
    assert f["volume-id"] == volume_id
    assert f["os"] == "unknown"
    assert f["reason"].startswith(f'no osinfo-db media rule matches volume-id "{volume_id}"'), f["reason"]
    as_json = json.loads(pxed("iso", "info", "--json", image).stdout)
    assert as_json["identified"] is False and as_json["os"] is None


OWN_DB = """<libosinfo version="0.0.1">
  <os id="http://example.org/acme/2">
    <short-id>acme2</short-id>
    <name>ACME Linux 2</name>
    <version>2</version>
    <family>linux</family>
    <distro>acme</distro>
    <media arch="aarch64" live="true" installer="false">
      <iso><volume-id>^ACME 2 </volume-id><publisher-id>ACME</publisher-id></iso>
      <kernel>live/vmlinuz</kernel>
    </media>
  </os>
</libosinfo>
"""


def test_osinfo_dir_reads_another_database(tmp_path):
    """--osinfo-dir: what `osinfo-db-import --dir` writes, read without the system's."""
    (tmp_path / "db/os/example.org").mkdir(parents=True)
    (tmp_path / "db/os/example.org/acme-2.xml").write_text(OWN_DB)
    iso = build_iso(tmp_path / "acme.iso", {"live/vmlinuz": b"k" * 10}, "-V", "ACME 2 arm", "-publisher", "ACME Corp")
    result = pxed("iso", "info", "--osinfo-dir", str(tmp_path / "db"), str(iso))
    assert result.returncode == 0, result.stderr
    f = fields(result.stdout)
    assert f["os"] == "http://example.org/acme/2"
    assert f["kind"] == "live"
    assert f["arch"] == "aarch64"
    assert f["family"] == "linux / acme"
    assert f["publisher-id"] == "ACME CORP"  # xorriso upper-cases it, as ECMA-119 wants
    assert f["rule"] == ('volume-id "ACME 2 arm" ~ /^ACME 2 /, publisher-id "ACME CORP" ~ /ACME/ '
                         f'(http://example.org/acme/2 media #1, {tmp_path}/db/os/example.org/acme-2.xml)')

    empty = pxed("iso", "info", "--osinfo-dir", str(tmp_path / "none"), str(iso))
    assert empty.returncode == 0
    assert fields(empty.stdout)["os"] == "unknown"
    assert "no osinfo-db entries loaded" in fields(empty.stdout)["reason"]

    (tmp_path / "db/os/example.org/broken.xml").write_text("<libosinfo><os")
    broken = pxed("iso", "info", "--osinfo-dir", str(tmp_path / "db"), str(iso))
    assert fields(broken.stdout)["os"] == "http://example.org/acme/2"
    assert "broken.xml: not XML" in broken.stderr


def test_what_is_not_an_image_fails_clearly(tmp_path):
    (tmp_path / "text.iso").write_text("hello")
    result = pxed("iso", "info", str(tmp_path / "text.iso"))
    assert result.returncode == 1
    assert "text.iso" in result.stderr and "not an ISO 9660 image" in result.stderr
    missing = pxed("iso", "info", str(tmp_path / "missing.iso"))
    assert missing.returncode == 1 and "No such file" in missing.stderr


@needs_osinfo
@pytest.mark.skipif(shutil.which("genisoimage") is None, reason="genisoimage not installed")
def test_a_windows_udf_bridge_image_is_identified_from_its_iso9660_side(tmp_path):
    """Windows media are UDF with an ISO 9660 bridge: pxed reads the UDF names,
    and osinfo-db's rules read the ISO 9660 primary descriptor."""
    tree = tmp_path / "win"
    (tree / "sources").mkdir(parents=True)
    (tree / "sources/boot.wim").write_bytes(b"w" * 4096)
    (tree / "bootmgr").write_bytes(b"b" * 100)
    iso = tmp_path / "Win10_22H2_English_x64.iso"
    subprocess.run(["genisoimage", "-quiet", "-udf", "-V", "CCCOMA_X64FRE_EN-US_DV9",
                    "-publisher", "MICROSOFT CORPORATION", "-o", str(iso), str(tree)],
                   check=True, capture_output=True, timeout=60)
    result = pxed("iso", "info", str(iso))
    assert result.returncode == 0, result.stderr
    f = fields(result.stdout)
    assert f["naming"] == "udf", result.stdout
    assert f["os"] == "http://microsoft.com/win/10", result.stdout
    assert f["family"] == "winnt / win"
    assert f["arch"] == "x86_64"
    assert f["kernel"] == "(osinfo names none)"


def test_a_hostile_volume_descriptor_is_shown_not_obeyed(tmp_path):
    """Control bytes and bytes that are not UTF-8 in the descriptor: the text
    escapes them, --json replaces them, neither fails."""
    iso = build_iso(tmp_path / "hostile.iso", {"a": b"a"}, "-V", "PLACEHOLDER")
    data = bytearray(iso.read_bytes())
    volume_id = 0x8000 + 40  # ECMA-119 8.4.6 in the descriptor at sector 16
    data[volume_id:volume_id + 32] = b"\xff\xfe\x1b[2J\nos  fake".ljust(32, b" ")
    iso.write_bytes(bytes(data))
    result = pxed("iso", "info", str(iso))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\\xff\\xfe\\x1b[2J\\x0aos  fake" in result.stdout, result.stdout
    f = fields(result.stdout)
    assert f["os"] == "unknown"
    as_json = pxed("iso", "info", "--json", str(iso))
    assert as_json.returncode == 0, as_json.stderr
    parsed = json.loads(as_json.stdout)
    assert parsed["primary_volume"]["volume_id"].startswith("\ufffd\ufffd\x1b[2J\nos  fake")
