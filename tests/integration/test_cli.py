"""The command line a sysadmin types: no network, no namespaces."""
import subprocess

import pytest

from suite import PXED_BIN


def pxed(*args, timeout=20):
    return subprocess.run([str(PXED_BIN), *args], capture_output=True, text=True, timeout=timeout)


def test_version_and_help_teach_the_subcommands():
    assert pxed("--version").stdout.startswith("pxed ")
    text = pxed("--help").stdout
    for word in ("serve", "check", "iso", "Examples"):
        assert word in text, word


def test_check_reports_every_problem_with_file_line_and_key(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[files]\nroot = "/nonexistent-pxed-root"\n[tftp]\nblksize_max = 70000\ncolour = "red"\n')
    result = pxed("check", "-c", str(cfg))
    assert result.returncode == 2, result
    lines = result.stderr.splitlines()
    assert f"{cfg}:2: files.root:" in lines[0], lines
    assert lines[1].startswith(f"{cfg}:4: tftp.blksize_max: must be 8..65464 (RFC 2348), got 70000"), lines
    assert f"{cfg}:5: tftp.colour: unknown key" in lines[2], lines


def test_check_accepts_a_good_file(tmp_path):
    cfg = tmp_path / "good.toml"
    cfg.write_text(f'[files]\nroot = "{tmp_path}"\n')
    result = pxed("check", "-c", str(cfg))
    assert result.returncode == 0, result.stderr


def test_iso_ls_reads_an_image_without_mounting_it(tmp_path):
    tree = tmp_path / "tree" / "images" / "pxeboot"
    tree.mkdir(parents=True)
    (tree / "vmlinuz").write_bytes(b"k" * 5000)
    iso = tmp_path / "boot.iso"
    made = subprocess.run(["xorriso", "-as", "mkisofs", "-R", "-J", "-V", "PXEDTEST", "-o", str(iso),
                           str(tmp_path / "tree")], capture_output=True, text=True, timeout=60)
    if made.returncode != 0:
        pytest.skip(f"xorriso failed: {made.stderr[-300:]}")
    result = pxed("iso", "ls", str(iso), "images/pxeboot")
    assert result.returncode == 0, result.stderr
    assert "rock-ridge" in result.stdout and "PXEDTEST" in result.stdout
    assert any(line.split()[-1] == "vmlinuz" and "5000" in line for line in result.stdout.splitlines())
    missing = pxed("iso", "ls", str(iso), "nope")
    assert missing.returncode == 1 and "nope" in missing.stderr


LOOKUP_CONFIG = """[files]
root = "{root}"
[boot]
bios = "lpxelinux.0"
efi64 = "syslinux.efi"
ipxe = "${{http}}/boot.ipxe"
[[boot.host]]
mac = "52:54:00:12:34:56"
efi64 = "grubx64.efi"
"""


@pytest.mark.parametrize("args, file, why", [
    (["--mac", "52:54:00:00:00:01"], "lpxelinux.0", "[boot] bios"),
    (["--mac", "52:54:00:00:00:01", "--arch", "efi64"], "syslinux.efi", "[boot] efi64"),
    (["--mac", "52:54:00:12:34:56", "--arch", "9"], "grubx64.efi", "host 52:54:00:12:34:56"),
    (["--mac", "52:54:00:00:00:01", "--ipxe", "--server", "10.9.8.7"], "http://10.9.8.7/boot.ipxe", "[boot] ipxe"),
])
def test_lookup_explains_what_a_machine_boots(tmp_path, args, file, why):
    cfg = tmp_path / "pxed.toml"
    cfg.write_text(LOOKUP_CONFIG.format(root=tmp_path))
    result = pxed("lookup", "-c", str(cfg), *args)
    assert result.returncode == 0, result.stderr
    fields = dict(line.split(None, 1) for line in result.stdout.splitlines() if " " in line)
    assert fields["file"].strip() == file, result.stdout
    assert why in fields["why"], result.stdout


def test_lookup_says_when_nothing_boots(tmp_path):
    cfg = tmp_path / "pxed.toml"
    cfg.write_text(LOOKUP_CONFIG.format(root=tmp_path))
    result = pxed("lookup", "-c", str(cfg), "--mac", "52:54:00:00:00:01", "--arch", "arm64")
    assert result.returncode == 0
    assert "nothing" in result.stdout
