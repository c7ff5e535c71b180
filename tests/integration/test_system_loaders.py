"""Loaders from the system, nothing to copy: with an empty files.root, pxed serves
Debian's lpxelinux.0 and its modules (pxelinux, syslinux-common), syslinux.efi
(syslinux-efi) and iPXE (ipxe) byte-identical over TFTP and HTTP, the log says
which system file went out, and `pxed check` counts them as present.
"""
import os
import subprocess
from pathlib import Path

import pytest

import clients
import netlab
from netlab import sha256_file
from suite import PXED_BIN

pytestmark = pytest.mark.pxed_only("system loaders are pxed's own")

# Tree name -> the file Debian 12 installs (vfs/debian_loaders.hpp).
LOADERS = {
    "lpxelinux.0": "/usr/lib/PXELINUX/lpxelinux.0",
    "ldlinux.c32": "/usr/lib/syslinux/modules/bios/ldlinux.c32",
    "memdisk": "/usr/lib/syslinux/memdisk",
    "efi64/syslinux.efi": "/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi",
    "efi64/ldlinux.e64": "/usr/lib/syslinux/modules/efi64/ldlinux.e64",
    "undionly.kpxe": "/usr/lib/ipxe/undionly.kpxe",
    "ipxe.efi": "/boot/ipxe.efi",
}
# The brief's two: pxelinux and syslinux-common are in scripts/setup since the start.
REQUIRED = ("lpxelinux.0", "ldlinux.c32")


def installed(name):
    path = Path(LOADERS[name])
    if not path.is_file():
        if name in REQUIRED:
            pytest.fail(f"{path} missing: run scripts/setup (packages pxelinux, syslinux-common)")
        pytest.skip(f"{path} not installed")
    return path


@pytest.fixture(scope="module")
def empty_root(workdir):
    root = workdir / "empty-root"
    root.mkdir(exist_ok=True)
    os.chmod(root, 0o755)
    return root


@pytest.fixture(scope="module")
def lab(workdir, empty_root, server_kind):
    """Overrides conftest's lab: the served root is empty."""
    yield from netlab.served_lab(workdir, empty_root, server_kind, PXED_BIN,
                                 http_overrides={"idle_timeout": "5s"})


@pytest.mark.parametrize("name", list(LOADERS))
def test_tftp_serves_the_systems_loader_byte_identical(lab, out, name):
    want = installed(name)
    local = out / "got"
    mark = lab.server.mark()
    r = lab.client(clients.CLIENTS["curl-blksize1468"](lab.server_ip, name, local), timeout=120)
    assert r.returncode == 0, r.stderr
    assert sha256_file(local) == sha256_file(want)
    # The log says it was the system's file, and which: `system=` next to the usual fields.
    e = lab.server.wait_event("tftp.done", since=mark, file=name, result="ok")
    assert os.path.realpath(e.fields["system"]) == os.path.realpath(want), e.line


def test_http_serves_and_lists_the_systems_loaders(lab, out):
    want = installed("lpxelinux.0")
    local = out / "got"
    mark = lab.server.mark()
    r = netlab.curl_http(lab, "/lpxelinux.0", "-f", out=local)
    assert r.returncode == 0, r.stderr
    assert sha256_file(local) == sha256_file(want)
    e = lab.server.wait_event("http.request", since=mark, path="/lpxelinux.0")
    assert e.fields["system"] == str(want), e.line
    listing = netlab.curl_http(lab, "/", "-f")
    assert listing.returncode == 0, listing.stderr
    assert 'href="lpxelinux.0"' in listing.stdout and 'href="ldlinux.c32"' in listing.stdout, listing.stdout


def test_names_outside_the_table_and_escapes_are_not_served(lab, out):
    for name in ("README", "../usr/lib/PXELINUX/lpxelinux.0", "vmlinuz", "sub/ldlinux.c32"):
        r = lab.client(clients.CLIENTS["curl"](lab.server_ip, name, out / "got"), timeout=30)
        assert r.returncode != 0, f"{name} was served"
    r = netlab.curl_http(lab, "/..%2F..%2Fetc%2Fpasswd", "-f", out=out / "got")
    assert r.returncode != 0


def pxed(*args):
    return subprocess.run([str(PXED_BIN), *args], capture_output=True, text=True, timeout=20)


def test_check_passes_on_a_config_naming_lpxelinux_with_an_empty_root(tmp_path):
    installed("lpxelinux.0")
    root = tmp_path / "root"
    root.mkdir()
    cfg = tmp_path / "pxed.toml"
    cfg.write_text(f'[files]\nroot = "{root}"\n[boot]\nbios = "lpxelinux.0"\n')
    r = pxed("check", "-c", str(cfg))
    assert r.returncode == 0, r.stderr
    # Turned off, the same config fails and says what to do.
    cfg.write_text(f'[files]\nroot = "{root}"\nsystem_loaders = false\n[boot]\nbios = "lpxelinux.0"\n')
    r = pxed("check", "-c", str(cfg))
    assert r.returncode == 2
    assert f"{cfg}:5: boot.bios: lpxelinux.0: not in the tree" in r.stderr, r.stderr
    assert "system_loaders = true" in r.stderr, r.stderr


def test_a_profile_and_a_default_boot_with_the_systems_loaders(tmp_path):
    installed("lpxelinux.0")
    root = tmp_path / "root"
    root.mkdir()
    cfg = tmp_path / "pxed.toml"
    cfg.write_text(f'[files]\nroot = "{root}"\n[boot]\ndefault = "office"\n'
                   '[[profile]]\nname = "office"\nkernel = "http://10.0.0.1/vmlinuz"\n')
    r = pxed("lookup", "-c", str(cfg), "--mac", "52:54:00:00:00:01")
    assert r.returncode == 0, r.stderr
    fields = dict(line.split(None, 1) for line in r.stdout.splitlines() if " " in line.strip()
                  and not line.startswith(" "))
    assert fields["file"].strip() == "lpxelinux.0", r.stdout
    assert "[boot] bios (default)" in fields["why"], r.stdout
    assert fields["from"].strip() == "the system: /usr/lib/PXELINUX/lpxelinux.0", r.stdout
    check = pxed("check", "-c", str(cfg))
    if Path(LOADERS["efi64/syslinux.efi"]).is_file():
        assert check.returncode == 0, check.stderr
    else:
        assert "apt-get install syslinux-efi provides it" in check.stderr, check.stderr
