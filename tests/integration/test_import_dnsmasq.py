"""`pxed import dnsmasq`: real dnsmasq configurations in, a pxed.toml that `pxed check`
accepts out. dnsmasq itself (`dnsmasq --test`, which only parses) proves each input is
what dnsmasq reads; a dhclient in a test-made namespace proves a translated reservation."""
import shutil
import subprocess

import pytest

import netlab
from dhcp_clients import Dhclient, dhcp_options, file_field, pxe_request, set_mac
from suite import PXED_BIN

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"


def pxed(*args, timeout=20):
    return subprocess.run([str(PXED_BIN), *args], capture_output=True, text=True, timeout=timeout)


def dnsmasq_accepts(conf):
    """dnsmasq's own parser: --test reads the configuration and exits, answering nothing."""
    result = subprocess.run([DNSMASQ, "--test", "-C", str(conf)], capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, f"dnsmasq rejects its input:\n{result.stderr}"
    assert "syntax check OK" in result.stderr, result.stderr


def import_and_check(tmp_path, conf, loaders=("lpxelinux.0",)):
    """pxed import, then pxed check on the result (state_dir moved into tmp_path);
    returns the TOML and the notes."""
    out = tmp_path / "pxed.toml"
    result = pxed("import", "dnsmasq", str(conf), "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.startswith(f"# pxed.toml written by `pxed import dnsmasq {conf}`")
    # Never the machine's /var/lib/pxed from a test.
    assert 'state_dir = "/var/lib/pxed"' in text
    checked = tmp_path / "checked.toml"
    checked.write_text(text.replace('"/var/lib/pxed"', f'"{tmp_path / "state"}"'))
    # eth1 and the like are the importing machine's, not this one's.
    check = pxed("check", "--skip-host", "-c", str(checked))
    assert check.returncode == 0, f"{check.stderr}\n{text}"
    notes = [line for line in result.stderr.splitlines() if not line.startswith(str(out))]
    return text, notes


@pytest.fixture
def tftp_root(tmp_path):
    root = tmp_path / "tftp"
    root.mkdir()
    for name in ("lpxelinux.0", "undionly.kpxe", "ipxe.efi", "netboot.xyz.kpxe", "netboot.xyz.efi",
                 "netboot.xyz-arm64.efi"):
        (root / name).write_bytes(b"loader")
    return root


def test_readme_mapping_in_full_mode(tmp_path, tftp_root):
    # README "Moving from dnsmasq + nginx", each row's left side, as one file.
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(f"""\
port=0
interface=eth1
bind-interfaces
dhcp-range=10.77.0.100,10.77.0.199,12h
dhcp-host=52:54:00:12:34:56,10.77.0.50
dhcp-option=3,10.77.0.254
dhcp-option=6,10.77.0.254
dhcp-option=15,lab.example
dhcp-match=set:efi64,option:client-arch,7
dhcp-match=set:efi64,option:client-arch,9
dhcp-boot=tag:efi64,ipxe.efi
dhcp-boot=lpxelinux.0
dhcp-userclass=set:ipxe,iPXE
dhcp-boot=tag:ipxe,http://10.77.0.1/boot.ipxe
enable-tftp
tftp-root={tftp_root}
""")
    dnsmasq_accepts(conf)
    text, notes = import_and_check(tmp_path, conf)
    assert 'mode = "full"' in text
    assert 'network = "10.77.0.0/24"\nrange = ["10.77.0.100", "10.77.0.199"]\nrouter = "10.77.0.254"' in text
    assert 'mac = "52:54:00:12:34:56"\nip = "10.77.0.50"' in text
    assert 'bios = "lpxelinux.0"\nefi64 = "ipxe.efi"\nipxe = "http://10.77.0.1/boot.ipxe"' in text
    # dnsmasq reads the netmask off the interface; an import cannot, and says so.
    assert notes == [f"{conf}:4: dhcp-range=10.77.0.100,10.77.0.199,12h: approximately: no netmask: dnsmasq took "
                     "it from the interface; assumed /24 (255.255.255.0), check network"], notes


def test_readme_mapping_in_proxy_mode_with_a_menu(tmp_path, tftp_root):
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(f"""\
port=0
interface=eth1
dhcp-range=10.77.0.0,proxy
pxe-prompt="Press F8 for menu",5
pxe-service=x86PC,"Install Debian",lpxelinux
pxe-service=x86PC,"Boot from local disk",0
pxe-service=x86-64_EFI,"UEFI network boot",ipxe.efi
enable-tftp
tftp-root={tftp_root}
""")
    dnsmasq_accepts(conf)
    text, notes = import_and_check(tmp_path, conf)
    assert 'mode = "proxy"' in text and "[[dhcp.subnet]]" not in text
    assert 'prompt = "Press F8 for menu"\ntimeout = 5' in text
    assert 'label = "Install Debian"\nfile = "lpxelinux.0"' in text
    assert 'efi64 = "ipxe.efi"' in text
    assert notes == []


def test_a_netboot_xyz_proxy_setup_with_an_included_directory(tmp_path, tftp_root):
    # Shaped like netboot.xyz's documentation for dnsmasq beside an existing DHCP
    # server (proxy mode, arch tags, iPXE chaining to a menu), plus Debian's
    # conf-dir habit; written for this test.
    d = tmp_path / "dnsmasq.d"
    d.mkdir()
    (d / "10-tftp.conf").write_text(f"enable-tftp\ntftp-root={tftp_root}\n")
    (d / "20-dns.conf").write_text("server=9.9.9.9\nno-resolv\n")
    (d / "README.bak").write_text("this is not read\n")
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(f"""\
# netboot.xyz, proxy DHCP beside the router's DHCP server
interface=eth1
bind-interfaces
dhcp-range=192.168.1.0,proxy,255.255.255.0
log-dhcp

dhcp-match=set:bios,option:client-arch,0
dhcp-match=set:efi64,option:client-arch,7
dhcp-match=set:efi64,option:client-arch,9
dhcp-match=set:arm64,option:client-arch,11
dhcp-match=set:ipxe,175

dhcp-boot=tag:bios,netboot.xyz.kpxe
dhcp-boot=tag:efi64,tag:!ipxe,netboot.xyz.efi
dhcp-boot=tag:arm64,netboot.xyz-arm64.efi
dhcp-boot=tag:ipxe,http://boot.netboot.xyz/menu.ipxe
pxe-service=tag:!ipxe,x86PC,"netboot.xyz (BIOS)",netboot.xyz.kpxe
pxe-service=tag:!ipxe,X86-64_EFI,"netboot.xyz (UEFI)",netboot.xyz.efi
dhcp-option=vendor:PXEClient,6,2b

conf-dir={d},.bak
""")
    dnsmasq_accepts(conf)
    text, notes = import_and_check(tmp_path, conf)
    assert 'mode = "proxy"' in text
    assert ('bios = "netboot.xyz.kpxe"\nefi64 = "netboot.xyz.efi"\narm64 = "netboot.xyz-arm64.efi"\n'
            'ipxe = "http://boot.netboot.xyz/menu.ipxe"') in text
    assert f'root = "{tftp_root}"' in text
    assert "not read" not in text and "[boot.menu]" not in text
    # Every line pxed cannot say, by file and line; nothing else.
    assert notes == [
        f"{conf}:19: dhcp-option=vendor:PXEClient,6,2b: not translated: pxed sends no vendor-encapsulated options "
        "of its own choosing",
        f"{d}/20-dns.conf:1: server=9.9.9.9: not translated: DNS: pxed serves no DNS, keep a DNS server for it",
        f"{d}/20-dns.conf:2: no-resolv: not translated: DNS: pxed serves no DNS, keep a DNS server for it",
    ], notes


def test_a_full_lab_network_like_the_arch_wiki_one(tmp_path, tftp_root):
    # Shaped like the Arch wiki's PXE page and dnsmasq's example file: one LAN,
    # DNS off, static leases, pxelinux for BIOS and GRUB for UEFI; written for this test.
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(f"""\
port=0
interface=eth1
domain=lan.example
dhcp-range=set:lan,192.168.0.50,192.168.0.150,255.255.255.0,24h
dhcp-option=tag:lan,option:router,192.168.0.1
dhcp-option=tag:lan,option:dns-server,192.168.0.1,1.1.1.1
dhcp-option=option:ntp-server,192.168.0.1
dhcp-host=52:54:00:00:00:01,192.168.0.10,nas
dhcp-host=52:54:00:00:00:02,192.168.0.11,printer,infinite
dhcp-host=52:54:00:00:00:03,laptop
dhcp-authoritative
dhcp-leasefile=/var/lib/misc/dnsmasq.leases
dhcp-match=set:efi-x86_64,option:client-arch,7
dhcp-boot=tag:efi-x86_64,grubx64.efi
dhcp-boot=lpxelinux.0
enable-tftp
tftp-root={tftp_root}
tftp-secure
""")
    (tftp_root / "grubx64.efi").write_bytes(b"grub")
    dnsmasq_accepts(conf)
    text, notes = import_and_check(tmp_path, conf)
    assert 'router = "192.168.0.1"\ndns = ["192.168.0.1", "1.1.1.1"]\ndomain = "lan.example"\nlease_time = "24h"' in text
    assert 'mac = "52:54:00:00:00:01"\nip = "192.168.0.10"\nhostname = "nas"' in text
    assert 'bios = "lpxelinux.0"\nefi64 = "grubx64.efi"' in text
    lines = [n.split(": ", 1)[0] for n in notes]
    assert lines == [f"{conf}:{n}" for n in (7, 9, 10, 12, 18)], notes


def serve_imported(lab, workdir, tmp_path, root, conf):
    """pxed serving the file imported from conf (which dnsmasq accepts, and which imports
    with no note) as it is, in the lab's server namespace; only its state_dir is the lab's."""
    dnsmasq_accepts(conf)
    text, notes = import_and_check(tmp_path, conf)
    assert notes == []
    text = text.replace('"/var/lib/pxed"', f'"{workdir / ("state-" + lab.tag)}"')
    lab.server = netlab.ServerProcess("pxed", lab, root, pxed_bin=PXED_BIN)
    lab.server.config_text = lambda: text
    lab.server.start()


def test_the_command_line(tmp_path):
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text("enable-tftp\ntftp-root=/srv/tftp\nfrobnicate\n")
    to_stdout = pxed("import", "dnsmasq", str(conf))
    assert to_stdout.returncode == 0
    assert 'root = "/srv/tftp"' in to_stdout.stdout
    assert to_stdout.stderr == f"{conf}:3: frobnicate: not translated: pxed has no equivalent of frobnicate\n"
    out = tmp_path / "pxed.toml"
    out.write_text("mine\n")
    refused = pxed("import", "dnsmasq", str(conf), "-o", str(out))
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert out.read_text() == "mine\n"
    forced = pxed("import", "dnsmasq", str(conf), "-o", str(out), "--force")
    assert forced.returncode == 0 and out.read_text() == to_stdout.stdout
    missing = pxed("import", "dnsmasq", str(tmp_path / "nope.conf"))
    assert missing.returncode == 1 and "nope.conf" in missing.stderr
    assert pxed("import", "dnsmasq").returncode == 2
    assert "import" in pxed("--help").stdout


def test_an_imported_reservation_is_what_dhclient_gets(tmp_path, workdir):
    lab = netlab.create_lab(workdir)
    client = None
    try:
        netlab.run(["ip", "-n", lab.client_ns, "addr", "flush", "dev", "pxc0"])
        net = f"10.241.{lab.subnet}"
        root = tmp_path / "tftp"
        root.mkdir()
        (root / "lpxelinux.0").write_bytes(b"loader")
        conf = tmp_path / "dnsmasq.conf"
        conf.write_text(f"""\
port=0
interface=pxs0
dhcp-range={net}.100,{net}.149,255.255.255.0,10m
dhcp-option=option:router,{net}.1
dhcp-option=option:dns-server,{net}.1
dhcp-option=option:domain-name,lab.test
dhcp-host=52:54:00:aa:bb:07,{net}.50,imported-01
dhcp-boot=lpxelinux.0
enable-tftp
tftp-root={root}
""")
        serve_imported(lab, workdir, tmp_path, root, conf)
        set_mac(lab, "pxc0", "52:54:00:aa:bb:07")
        client = Dhclient(lab, "pxc0", tmp_path)
        bound = client.bind(lab.server)
        assert bound["new_ip_address"] == f"{net}.50"
        assert bound["new_routers"] == f"{net}.1"
        assert bound["new_domain_name"] == "lab.test"
        assert bound["new_host_name"] == "imported-01"
        assert bound["new_dhcp_lease_time"] == "600"
        lab.server.wait_event("dhcp.ack", mac="52:54:00:aa:bb:07", ip=f"{net}.50")
    finally:
        if client:
            client.stop()
        netlab.destroy_lab(lab)


def test_an_imported_proxy_setup_answers_each_firmware_its_loader(tmp_path, workdir):
    lab = netlab.create_lab(workdir)
    try:
        net = f"10.241.{lab.subnet}"
        root = tmp_path / "tftp"
        root.mkdir()
        for name in ("netboot.xyz.kpxe", "netboot.xyz.efi"):
            (root / name).write_bytes(b"loader")
        conf = tmp_path / "dnsmasq.conf"
        conf.write_text(f"""\
port=0
interface=pxs0
dhcp-range={net}.0,proxy
dhcp-match=set:bios,option:client-arch,0
dhcp-match=set:efi64,option:client-arch,7
dhcp-userclass=set:ipxe,iPXE
dhcp-boot=tag:bios,netboot.xyz.kpxe
dhcp-boot=tag:efi64,tag:!ipxe,netboot.xyz.efi
dhcp-boot=tag:ipxe,http://{net}.1/menu.ipxe
enable-tftp
tftp-root={root}
""")
        serve_imported(lab, workdir, tmp_path, root, conf)
        for mac, arch, user_class, loader in (("52:54:00:01:00:01", 0, None, "netboot.xyz.kpxe"),
                                              ("52:54:00:01:00:02", 7, None, "netboot.xyz.efi"),
                                              ("52:54:00:01:00:03", 7, b"iPXE", f"http://{net}.1/menu.ipxe")):
            replies = pxe_request(lab, "pxc0", mac, arch=arch, user_class=user_class, wait=5)
            assert replies, lab.server.log_tail()
            reply = replies[0][0]
            opts = dhcp_options(reply)
            assert reply.yiaddr == "0.0.0.0"  # ProxyDHCP: boot information, no address
            got = file_field(reply) or opts.get("boot-file-name", b"").decode()
            assert got == loader, (arch, user_class, opts, lab.server.log_tail())
    finally:
        netlab.destroy_lab(lab)
