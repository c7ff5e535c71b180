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
    assert result.returncode == 1, "exit code 1: nothing to boot"
    assert "nothing" in result.stdout


INVENTORY_CONFIG = LOOKUP_CONFIG + """default = "office"
[[profile]]
name = "centos7-ks"
kernel = "/centos7/vmlinuz"
initrd = ["/centos7/initrd.img"]
append = "inst.repo=${{http}}/centos7 hostname=${{name}}"
[[profile]]
name = "office"
menu = ["centos7-ks", "local"]
default = "local"
timeout = "10s"
[[machine]]
mac = "88:99:aa:bb:cc:dd"
name = "db-03"
profile = "centos7-ks"
"""


def lookup_inventory(tmp_path, *args, files=()):
    root = tmp_path / "root"
    for f in files:
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        (root / f).write_text("# mine\n")
    root.mkdir(exist_ok=True)
    cfg = tmp_path / "pxed.toml"
    # [boot] default belongs to [boot]: insert it before the first [[boot.host]].
    text = INVENTORY_CONFIG.format(root=root).replace('default = "office"\n', "")
    text = text.replace("[[boot.host]]", 'default = "office"\n[[boot.host]]', 1)
    cfg.write_text(text)
    return pxed("lookup", "-c", str(cfg), *args)


def test_lookup_names_the_rule_and_every_name_pxelinux_asks(tmp_path):
    r = lookup_inventory(tmp_path, "--mac", "88:99:aa:bb:cc:dd", "--ip", "10.0.0.23",
                         "--uuid", "4c4c4544-0000-0000-0000-000000000003")
    assert r.returncode == 0, r.stderr
    assert "machine db-03 (pxed.toml:" in r.stdout and "-> profile centos7-ks (pxed.toml:" in r.stdout, r.stdout
    asks = [line for line in r.stdout.splitlines() if "->" in line and "pxelinux.cfg/" in line]
    assert asks and "pxelinux.cfg/4c4c4544-0000-0000-0000-000000000003" in asks[0], r.stdout
    assert "generated for db-03" in asks[0], r.stdout
    assert "inst.repo=http://10.0.0.1/centos7 hostname=db-03" in r.stdout, r.stdout


def test_lookup_shows_the_users_own_file_winning(tmp_path):
    r = lookup_inventory(tmp_path, "--mac", "88:99:aa:bb:cc:dd", "--ip", "10.0.0.23",
                         files=["pxelinux.cfg/0A000017"])
    assert r.returncode == 0, r.stderr
    asks = [line for line in r.stdout.splitlines() if "pxelinux.cfg/" in line]
    assert "not found" in asks[0], r.stdout  # 01-<mac>: yields to the user's file further on
    mine = [line for line in asks if "0A000017" in line]
    assert mine and "your file (tree)" in mine[0], r.stdout
    assert "# mine" in r.stdout


def test_lookup_grub_without_ip_says_it_cannot_tell(tmp_path):
    r = lookup_inventory(tmp_path, "--mac", "88:99:aa:bb:cc:dd", "--arch", "efi64", "--loader", "grub")
    assert r.returncode == 0, r.stderr
    assert "pass --ip" in r.stdout, r.stdout
    r = lookup_inventory(tmp_path, "--mac", "88:99:aa:bb:cc:dd", "--arch", "efi64", "--loader", "grub",
                         "--ip", "10.0.0.23")
    assert "grub/grub.cfg-01-88-99-aa-bb-cc-dd" in r.stdout and "generated for db-03" in r.stdout, r.stdout
    assert "menuentry" in r.stdout, r.stdout


def test_lookup_menu_for_a_machine_only_the_default_names(tmp_path):
    r = lookup_inventory(tmp_path, "--mac", "52:54:00:00:00:09", "--ipxe")
    assert r.returncode == 0, r.stderr
    assert "[boot] default" in r.stdout and "profile office" in r.stdout, r.stdout
    assert "#!ipxe" in r.stdout and "menu" in r.stdout, r.stdout


def test_lookup_refuses_bad_input_with_exit_code_2(tmp_path):
    r = lookup_inventory(tmp_path, "--mac", "88:99:aa:bb:cc:dd", "--ip", "10.0.0.300", "--loader", "lilo")
    assert r.returncode == 2
    assert "--ip" in r.stderr and "--loader" in r.stderr
