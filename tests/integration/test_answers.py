"""Answer files: a profile's template rendered per machine and served to that machine only.
Machine A (busybox udhcpc's lease from pxed in full mode, then curl from the leased
address) finds its answer file's URL in the config pxed writes for it, fetches its own
preseed, and its done call ends its `once` install; a stranger with another lease, or an
address pxed gave nobody, gets 404 and pxed warns (answer.refused); the API's token opens
any machine's file. A value from the secrets file is served to the machine, never logged,
and hidden by `pxed template render` unless --show-secrets."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import netlab
from conftest import PXED_BIN
from dhcp_clients import boot_as
from dhcp_clients import tftp_text as tftp

A_MAC = "52:54:00:aa:dd:01"
STRANGER_MAC = "52:54:00:aa:dd:02"
TOKEN = "answers-test-token-0123456789"
SECRET = "$6$from-the-secrets-file$Zq9"
MACHINE_TOKEN = "db-01-own-token-42"
HOOK_PORT = 18899
# A CMDB in the server's namespace: writes each POST's path and body to a file, answers 204.
HOOK_SERVER = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(sys.argv[2], "ab") as f:
            f.write(self.path.encode() + b" " + body + b"\\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""
STOCK = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture(scope="module")
def alab(workdir, server_kind):
    if server_kind != "pxed":
        pytest.skip("needs pxed")
    root = workdir / "answers-root"
    netlab.write_random_tree(root, {"inst/vmlinuz": 4096, "inst/initrd.gz": 8192})
    templates = workdir / "templates"
    templates.mkdir(exist_ok=True)
    shutil.copy(STOCK / "preseed.cfg", templates / "preseed.cfg")
    (templates / "hardware.cfg").write_text("{{name}}: {{manufacturer}} {{product}} serial {{serial}}\n")
    secrets_file = workdir / "answers-secrets.toml"
    secrets_file.write_text(f'[machine."{A_MAC}"]\nroot_password_crypted = "{SECRET}"\n'
                            f'answers_token = "{MACHINE_TOKEN}"\n')
    os.chmod(secrets_file, 0o600)
    token_file = workdir / "answers.token"
    token_file.write_text(TOKEN + "\n")
    os.chmod(token_file, 0o600)
    lab = netlab.create_lab(workdir)
    try:
        netlab.run(["ip", "-n", lab.client_ns, "addr", "flush", "dev", "pxc0"])
        toml = f"""
[api]
token_file = "{token_file}"

[boot]
bios = "lpxelinux.0"
default = "local"

[[profile]]
name = "debian-auto"
kernel = "/inst/vmlinuz"
initrd = ["/inst/initrd.gz"]
append = "hostname=${{name}} domain="
answer = ["templates/preseed.cfg", "templates/hardware.cfg"]
vars = {{ mirror_host = "deb.debian.org", mirror_dir = "/debian", disk = "sda", root_password_crypted = "$6$profile" }}

[[machine]]
mac = "{A_MAC}"
name = "db-01"
profile = "debian-auto"
once = true
vars = {{ mirror_host = "mirror.lab.example", disk = "vda" }}
"""
        netlab.start_full_dhcp_pxed(lab, workdir, root, PXED_BIN, extra_toml=toml, server_overrides={
            "secrets_file": str(secrets_file), "done_hook": f"http://127.0.0.1:{HOOK_PORT}/cmdb/pxed"})
        yield lab
        rc = lab.server.proc.poll() if lab.server.proc else None
        assert rc is None, f"pxed exited with {rc}\n{lab.server.log_tail(60)}"
    finally:
        netlab.destroy_lab(lab)


def http(lab, url, *extra):
    r = lab.client(["curl", "-s", *extra, "-w", "\n%{http_code}", url], timeout=30)
    body, _, code = r.stdout.rpartition("\n")
    return int(code), body


def a_url(lab):
    return f"http://{lab.server_ip}/pxed/v1/answers/{A_MAC.replace(':', '-')}/preseed.cfg"


def test_the_machine_finds_its_url_in_its_config_and_gets_its_own_answers(alab, tmp_path):
    ip = boot_as(alab, A_MAC, tmp_path)
    config = tftp(alab, "pxelinux.cfg/default", tmp_path)
    assert config and f"auto=true priority=critical url={a_url(alab)}" in config, config
    url = re.search(r"url=(\S+)", config).group(1)
    mark = alab.server.mark()
    code, body = http(alab, url)
    assert code == 200, body
    assert "d-i netcfg/get_hostname string db-01" in body, body
    assert "d-i mirror/http/hostname string mirror.lab.example" in body, body   # the machine's var
    assert "d-i mirror/http/directory string /debian" in body, body             # the profile's
    assert "d-i partman-auto/disk string /dev/vda" in body, body
    assert f"root-password-crypted password {SECRET}" in body, body                # its secret, over the var
    done = f"http://{alab.server_ip}/pxed/v1/done?mac={A_MAC}"
    assert f"wget -q -O /dev/null '{done}'" in body, body
    e = alab.server.wait_event("answer.served", since=mark, mac=A_MAC, file="preseed.cfg", status=200)
    assert e.fields.get("ip") == ip and "the machine itself (lease)" in e.fields.get("why", ""), e.line


def test_the_smbios_ipxe_reported_is_in_the_machines_answers(alab, tmp_path):
    boot_as(alab, A_MAC, tmp_path)
    url = f"http://{alab.server_ip}/pxed/v1/answers/{A_MAC.replace(':', '-')}/hardware.cfg"
    code, body = http(alab, url)
    assert code == 200 and body == "db-01:   serial \n", (code, body)
    # [boot] ipxe's default URL: iPXE fills in its SMBIOS settings.
    code, _ = http(alab, f"http://{alab.server_ip}/boot.ipxe?mac={A_MAC}&serial=CZ1234&manufacturer=HPE"
                         "&product=ProLiant%20DL360")
    assert code == 200
    code, body = http(alab, url)
    assert code == 200 and body == "db-01: HPE ProLiant DL360 serial CZ1234\n", (code, body)


def test_a_stranger_gets_404_and_pxed_warns(alab, tmp_path):
    boot_as(alab, STRANGER_MAC, tmp_path)
    mark = alab.server.mark()
    code, body = http(alab, a_url(alab))
    assert code == 404 and "rootpw" not in body and "mirror" not in body, (code, body)
    e = alab.server.wait_event("answer.refused", since=mark, mac=A_MAC, status=404)
    assert e.level.startswith("warn"), e
    assert STRANGER_MAC in e.fields.get("why", ""), e.fields
    # An address pxed gave nobody.
    netlab.run(["ip", "-n", alab.client_ns, "addr", "flush", "dev", "pxc0"])
    netlab.run(["ip", "-n", alab.client_ns, "addr", "add", f"{alab.net}.77/24", "dev", "pxc0"])
    mark = alab.server.mark()
    code, _ = http(alab, a_url(alab))
    assert code == 404
    alab.server.wait_event("answer.refused", since=mark, mac=A_MAC)


def test_the_machines_own_token_opens_its_answers_from_anywhere(alab):
    # Run after the stranger's test: the client has an address pxed gave nobody.
    code, body = http(alab, a_url(alab) + f"?token={MACHINE_TOKEN}")
    assert code == 200 and "db-01" in body, (code, body)
    code, body = http(alab, a_url(alab), "-H", f"Authorization: Bearer {MACHINE_TOKEN}")
    assert code == 200 and "db-01" in body, (code, body)
    code, _ = http(alab, a_url(alab) + "?token=db-01-own-token-43")
    assert code == 404
    assert MACHINE_TOKEN not in alab.server.log_text()


def test_the_apis_token_opens_any_machines_answers(alab):
    code, body = http(alab, a_url(alab), "-H", f"Authorization: Bearer {TOKEN}")
    assert code == 200 and "db-01" in body, (code, body)
    code, _ = http(alab, a_url(alab), "-H", "Authorization: Bearer not-the-token")
    assert code == 404


def test_the_done_call_from_the_template_ends_the_once_install_and_tells_the_hook(alab, tmp_path):
    received = tmp_path / "hook.log"
    hook = subprocess.Popen(["ip", "netns", "exec", alab.server_ns, "/usr/bin/python3", "-c", HOOK_SERVER,
                             str(HOOK_PORT), str(received)], stdin=subprocess.DEVNULL)
    try:
        netlab.wait_for(lambda: subprocess.run(["ip", "netns", "exec", alab.server_ns, "ss", "-Hltn",
                                                f"sport = :{HOOK_PORT}"], capture_output=True, text=True).stdout
                        or None, 10, "the hook's listener")
        done_and_hook(alab, tmp_path, received)
    finally:
        hook.kill()
        hook.wait(timeout=10)


def done_and_hook(alab, tmp_path, received):
    boot_as(alab, A_MAC, tmp_path)
    code, body = http(alab, a_url(alab))
    assert code == 200
    done = re.search(r"wget -q -O /dev/null '([^']+)'", body).group(1)
    code, reply = http(alab, done)
    assert code == 200 and "installed" in reply, reply
    alab.server.wait_event("machine.done", mac=A_MAC, once="true")
    config = tftp(alab, "pxelinux.cfg/default", tmp_path)
    assert config and "LOCALBOOT 0" in config and "preseed" not in config, config
    e = alab.server.wait_event("machine.hook", mac=A_MAC, status=204)
    assert e.fields.get("url") == f"http://127.0.0.1:{HOOK_PORT}/cmdb/pxed", e.line
    path, _, body = received.read_text().partition(" ")
    record = json.loads(body)
    assert path == "/cmdb/pxed", path
    assert record["mac"] == A_MAC and record["name"] == "db-01" and record["once"] is True, record
    assert record["profile"] == "debian-auto" and record["vars"]["mirror_host"] == "mirror.lab.example", record
    assert SECRET not in body, body


def test_the_secret_is_served_but_never_logged(alab):
    # The log is at debug level, and the machine fetched its file in an earlier test.
    assert alab.server.events("answer.served"), alab.server.log_tail()
    assert SECRET not in alab.server.log_text() and "from-the-secrets-file" not in alab.server.log_text()


def test_template_render_and_check_from_the_cli(alab):
    cfg = str(alab.workdir / f"pxed-{alab.tag}.toml")
    r = subprocess.run([str(PXED_BIN), "template", "render", "-c", cfg, "--mac", A_MAC, "preseed.cfg"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "mirror_host" in r.stdout and "mirror.lab.example" in r.stdout and "(machine)" in r.stdout, r.stdout
    assert "d-i netcfg/get_hostname string db-01" in r.stdout, r.stdout
    assert SECRET not in r.stdout and "root-password-crypted password <secret>" in r.stdout, r.stdout
    r = subprocess.run([str(PXED_BIN), "template", "render", "-c", cfg, "--mac", A_MAC, "--show-secrets"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and f"root-password-crypted password {SECRET}" in r.stdout, r.stdout
    # The lab's interface and addresses live in its namespace, not here: the answer files are what is checked.
    r = subprocess.run([str(PXED_BIN), "check", "--skip-host", "-c", cfg], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
