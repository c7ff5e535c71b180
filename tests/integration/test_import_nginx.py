"""`pxed import dnsmasq ... --nginx ...`: the seed's dnsmasq + nginx + `mount -o loop`
stack (README "Moving from dnsmasq + nginx") and Debian's own default nginx site in, a
pxed.toml that `pxed check` accepts out, and a file served through the imported tree
to curl in a test-made namespace. nginx itself (`nginx -t`) proves each nginx input is
what nginx reads. The loop mount comes from an fstab the test writes (--fstab): this
kernel cannot mount ISO images, and an import must not need the mounts anyway."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import netlab
from netlab import sha256_file
from suite import PXED_BIN

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
DEBIAN_SITE = Path("/etc/nginx/sites-available/default")
DEBIAN_CONF = Path("/etc/nginx/nginx.conf")

pytestmark = pytest.mark.pxed_only("pxed import is pxed's own")


def pxed(*args, timeout=20):
    return subprocess.run([str(PXED_BIN), *args], capture_output=True, text=True, timeout=timeout)


def nginx_accepts(conf, prefix):
    """nginx's own parser: -t reads the configuration (and its includes) and exits."""
    result = subprocess.run([NGINX, "-t", "-q", "-p", str(prefix), "-e", str(prefix / "error.log"),
                             "-c", str(conf)], capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, f"nginx rejects its input:\n{result.stderr}"


def import_and_check(tmp_path, dnsmasq, nginx, *extra):
    """pxed import (to a file), then pxed check on it with state_dir in tmp_path;
    returns the TOML as written, the notes, and the checked file."""
    out = tmp_path / "pxed.toml"
    result = pxed("import", "dnsmasq", str(dnsmasq), "--nginx", str(nginx), *extra, "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert text.startswith(f"# pxed.toml written by `pxed import dnsmasq {dnsmasq} --nginx {nginx}`")
    assert 'state_dir = "/var/lib/pxed"' in text  # never the machine's, from a test
    checked = tmp_path / "checked.toml"
    checked.write_text(text.replace('"/var/lib/pxed"', f'"{tmp_path / "state"}"'))
    check = pxed("check", "--skip-host", "-c", str(checked))
    assert check.returncode == 0, f"{check.stderr}\n{text}"
    notes = [line for line in result.stderr.splitlines() if not line.startswith(str(out))]
    return text, notes, checked


def serve(lab, checked):
    """pxed serving the checked file in the lab's server namespace, as it is."""
    lab.server = netlab.ServerProcess("pxed", lab, "/", pxed_bin=PXED_BIN)
    text = checked.read_text()
    lab.server.config_text = lambda: text
    lab.server.start()


def curl(lab, url, out):
    return lab.client(["curl", "-sS", "-g", "--max-time", "30", "-o", str(out), "-w", "%{http_code}", url],
                      timeout=40)


@pytest.fixture
def seed(tmp_path):
    """The seed machine's files: /srv/tftp (loaders, the empty centos7 mount point),
    /srv/iso/centos.iso (a real image xorriso built), an fstab loop-mounting it there."""
    srv = tmp_path / "srv"
    tftp = srv / "tftp"
    (tftp / "centos7").mkdir(parents=True)
    (tftp / "lpxelinux.0").write_bytes(os.urandom(4096))
    (srv / "iso").mkdir()
    kernel = os.urandom(300_000)
    built = netlab.build_image(tmp_path, "centos", "CentOS 7 x86_64",
                               {"images/pxeboot/vmlinuz": kernel, ".treeinfo": b"[general]\nfamily = CentOS\n"})
    iso = srv / "iso" / "CentOS-7-x86_64-Minimal-2009.iso"
    shutil.move(built, iso)
    fstab = tmp_path / "fstab"
    fstab.write_text(f"UUID=0a3407de / ext4 errors=remount-ro 0 1\n"
                     f"{iso} {tftp}/centos7 iso9660 loop,ro 0 0\n")
    return {"srv": srv, "tftp": tftp, "iso": iso, "fstab": fstab, "kernel": kernel}


def test_the_seed_stack_becomes_one_tree_with_the_image_mounted(tmp_path, seed):
    tftp = seed["tftp"]
    dnsmasq = tmp_path / "dnsmasq.conf"
    dnsmasq.write_text(f"""\
port=0
interface=pxs0
dhcp-range=10.77.0.0,proxy
dhcp-boot=lpxelinux.0
enable-tftp
tftp-root={tftp}
""")
    # README "Moving from dnsmasq + nginx": the seed's nginx.conf, with its site in an
    # include as Debian lays it out, plus what a real site accumulates.
    conf_dir = tmp_path / "nginx"
    (conf_dir / "sites-enabled").mkdir(parents=True)
    nginx = conf_dir / "nginx.conf"
    nginx.write_text("""\
worker_processes 1;
pid nginx.pid;
events { worker_connections 64; }
http {
    sendfile on;
    default_type application/octet-stream;
    access_log off;
    include sites-enabled/*.conf;
}
""")
    (conf_dir / "sites-enabled" / "pxe.conf").write_text(f"""\
# the seed's boot server: the TFTP tree over HTTP, the CentOS image loop-mounted in it
server {{
    listen 80 default_server;
    server_name pxe.lab;
    root {tftp};
    autoindex on;
    location /iso/ {{
        alias {seed["srv"]}/iso/;
    }}
    location /api/ {{
        proxy_pass http://127.0.0.1:9000;
    }}
}}
""")
    nginx_accepts(nginx, conf_dir)
    text, notes, checked = import_and_check(tmp_path, dnsmasq, nginx, "--fstab", str(seed["fstab"]))
    assert f'root = "{tftp}"' in text
    assert (f'# {tftp}/centos7 is {seed["iso"]} mounted ({seed["fstab"]}:2)\n'
            f'at = "/centos7"\niso = "{seed["iso"]}"\n') in text, text
    assert f'at = "/iso"\ndir = "{seed["srv"]}/iso"\n' in text, text
    assert '[http]\nenabled = true\nlisten = "0.0.0.0:80"\n' in text
    site = conf_dir / "sites-enabled" / "pxe.conf"
    assert notes == [f"{site}:11: proxy_pass http://127.0.0.1:9000;: not translated: pxed proxies nothing: "
                     "it serves files from its tree"], notes

    # Served as imported, in a test-made namespace: 0.0.0.0 there is the namespace's own.
    lab = netlab.create_lab(tmp_path)
    try:
        serve(lab, checked)
        got = tmp_path / "vmlinuz"
        assert curl(lab, f"http://{lab.server_ip}/centos7/images/pxeboot/vmlinuz", got).stdout == "200"
        assert got.read_bytes() == seed["kernel"]
        assert curl(lab, f"http://{lab.server_ip}/iso/{seed['iso'].name}", got).stdout == "200"
        assert sha256_file(got) == sha256_file(seed["iso"])
        assert curl(lab, f"http://{lab.server_ip}/lpxelinux.0", got).stdout == "200"
        assert got.read_bytes() == (tftp / "lpxelinux.0").read_bytes()
    finally:
        netlab.destroy_lab(lab)


@pytest.mark.skipif(not DEBIAN_SITE.exists(), reason="nginx-common not installed")
def test_debians_default_site_serves_var_www_html(tmp_path):
    # /etc/nginx/sites-available/default as Debian 12's nginx-common ships it:
    # root /var/www/html, IPv4 and IPv6 on 80, index files, try_files.
    dnsmasq = tmp_path / "dnsmasq.conf"
    dnsmasq.write_text("port=0\n")  # a dnsmasq that serves nothing: nginx is the whole story here
    text, notes, checked = import_and_check(tmp_path, dnsmasq, DEBIAN_SITE)
    assert 'root = "/var/www/html"' in text
    assert 'listen = ["0.0.0.0:80", "[::]:80"]' in text
    # Only what pxed does differently: it lists a directory rather than serving index.html.
    assert len(notes) == 1, notes
    assert notes[0].startswith(f"{DEBIAN_SITE}:"), notes
    assert ": index index.html index.htm index.nginx-debian.html;: approximately: pxed answers a directory " \
           "with its listing" in notes[0], notes

    page = Path("/var/www/html/index.nginx-debian.html")
    if not page.exists():
        return
    lab = netlab.create_lab(tmp_path)
    try:
        serve(lab, checked)
        got = tmp_path / "page.html"
        assert curl(lab, f"http://{lab.server_ip}/{page.name}", got).stdout == "200"
        assert got.read_bytes() == page.read_bytes()
    finally:
        netlab.destroy_lab(lab)


@pytest.mark.skipif(not DEBIAN_CONF.exists(), reason="nginx-common not installed")
def test_debians_whole_nginx_conf_with_its_includes(tmp_path):
    # nginx.conf includes modules-enabled/*.conf, mime.types, conf.d/*.conf and
    # sites-enabled/*: what `pxed import` reads is what nginx -t reads.
    dnsmasq = tmp_path / "dnsmasq.conf"
    dnsmasq.write_text("port=0\n")  # a dnsmasq that serves nothing: nginx is the whole story here
    text, notes, _ = import_and_check(tmp_path, dnsmasq, DEBIAN_CONF)
    enabled = sorted(os.listdir("/etc/nginx/sites-enabled"))
    if enabled == ["default"] and os.path.realpath("/etc/nginx/sites-enabled/default") == str(DEBIAN_SITE):
        assert 'root = "/var/www/html"' in text
        # Named by the path nginx.conf included it by, as nginx -t names it.
        assert len(notes) == 1 and notes[0].startswith("/etc/nginx/sites-enabled/default:"), notes
        assert ": index index.html" in notes[0], notes


def test_an_nginx_file_nginx_would_reject_is_refused_with_its_line(tmp_path):
    dnsmasq = tmp_path / "dnsmasq.conf"
    dnsmasq.write_text("enable-tftp\n")
    nginx = tmp_path / "nginx.conf"
    nginx.write_text("http {\n  server {\n    root /srv;\n  \n")
    result = pxed("import", "dnsmasq", str(dnsmasq), "--nginx", str(nginx))
    assert result.returncode == 1
    assert result.stderr == f'{nginx}:5: unexpected end of file, expecting "}}"\n', result.stderr
    missing = pxed("import", "dnsmasq", str(dnsmasq), "--nginx", str(tmp_path / "nope.conf"))
    assert missing.returncode == 1 and "nope.conf" in missing.stderr
