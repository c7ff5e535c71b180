"""Changes through the API (docs/api.md "Changes"): curl from a test-made namespace
reinstalls a machine, marks it done and assigns it a profile with the bearer token in
[api] token_file; without it, or with another, 401. The API answers on its own address
([api] listen) while the boot listener answers 404 there. The effect is read back with
`pxed lookup` and `pxed machines` beside the running server, and the token never
appears in pxed's log. A token file others may read keeps pxed from starting."""
import json
import os
import subprocess

import pytest

import netlab
from conftest import PXED_BIN

TOKEN = "T0ken-" + "c0ffee" * 8
ONCE_MAC = "52:54:00:aa:dd:01"
FRESH_MAC = "52:54:00:aa:dd:02"  # a machine pxed never saw
API_PORT = 8080


@pytest.fixture(scope="module")
def wlab(workdir, tree, server_kind):
    if server_kind != "pxed":
        pytest.skip("pxed's own API")
    token_file = workdir / "api.token"
    token_file.write_text(TOKEN + "\n")
    os.chmod(token_file, 0o600)
    lab = netlab.create_lab(workdir)
    try:
        toml = f"""
[api]
listen = "{lab.server_ip}:{API_PORT}"
token_file = "{token_file}"

[boot]
bios = "lpxelinux.0"
default = "local"

[[profile]]
name = "install"
kernel = "/vmlinuz"
initrd = ["/initrd.img"]

[[profile]]
name = "rescue"
kernel = "/rescue/vmlinuz"

[[machine]]
mac = "{ONCE_MAC}"
name = "db-01"
profile = "install"
once = true
"""
        lab.server = netlab.ServerProcess("pxed", lab, tree, pxed_bin=PXED_BIN, http_overrides={},
                                          extra_toml=toml)
        lab.server.start()
        yield lab
        rc = lab.server.proc.poll() if lab.server.proc else None
        assert rc is None, f"pxed exited with {rc}\n{lab.server.log_tail(60)}"
    finally:
        netlab.destroy_lab(lab)


def config_of(lab):
    return str(lab.workdir / f"pxed-{lab.tag}.toml")


def api(lab, method, path, token=None, body=None, port=API_PORT, headers=()):
    """curl's answer: (status, JSON or text body, response headers)."""
    argv = ["curl", "-sS", "--max-time", "10", "-X", method, "-D", "-", "-w", "\n%{http_code}"]
    for h in headers:
        argv += ["-H", h]
    if token is not None:
        argv += ["-H", f"Authorization: Bearer {token}"]
    if body is not None:
        argv += ["-H", "Content-Type: application/json", "--data-binary", body]
    r = lab.client(argv + [f"http://{lab.server_ip}:{port}{path}"], timeout=20)
    text, _, code = r.stdout.rpartition("\n")
    head, payload, last = "", text.replace("\r\n", "\n"), "HTTP/1.1 100"
    while last.startswith("HTTP/1.1 100"):  # interim answers first: kept in head
        last, _, payload = payload.partition("\n\n")
        head += last + "\n"
    try:
        payload = json.loads(payload)
    except ValueError:
        pass
    return int(code), payload, head.lower()


def lookup(lab, mac):
    r = subprocess.run([str(PXED_BIN), "lookup", "-c", config_of(lab), "--mac", mac],
                       capture_output=True, text=True, timeout=20)
    return r.stdout + r.stderr


def test_a_write_without_the_token_or_with_another_is_401(wlab):
    code, body, head = api(wlab, "POST", f"/api/v1/machines/{ONCE_MAC}/reinstall")
    assert code == 401, body
    assert 'www-authenticate: bearer realm="pxed"' in head
    code, body, head = api(wlab, "POST", f"/api/v1/machines/{ONCE_MAC}/reinstall", token="Wrong-token")
    assert code == 401, body
    assert 'error="invalid_token"' in head
    code, body, head = api(wlab, "GET", f"/api/v1/machines/{ONCE_MAC}/reinstall", token=TOKEN)
    assert code == 405 and "allow: post" in head, (code, body)
    assert wlab.server.events("machine.reinstall") == []


def test_assigning_a_profile_with_the_token_changes_what_lookup_says(wlab):
    assert "profile install" in lookup(wlab, ONCE_MAC)
    code, body, _ = api(wlab, "PUT", f"/api/v1/machines/{ONCE_MAC}/profile", token=TOKEN,
                        body='{"profile": "rescue"}')
    assert code == 200, body
    assert body["action"] == "assign" and body["boot"]["profile"] == "rescue", repr(body)
    assert body["boot"]["assigned"]["by"] == "api"
    wlab.server.wait_event("machine.assign", mac=ONCE_MAC, action="assign", profile="rescue")
    said = lookup(wlab, ONCE_MAC)
    assert "profile rescue assigned through the API at" in said, said
    # An unknown profile and a body that is not {"profile": ...} change nothing.
    code, body, _ = api(wlab, "PUT", f"/api/v1/machines/{ONCE_MAC}/profile", token=TOKEN, body='{"profile": "nope"}')
    assert code == 400 and "nope" in body["error"], body
    code, body, _ = api(wlab, "PUT", f"/api/v1/machines/{ONCE_MAC}/profile", token=TOKEN, body="rescue")
    assert code == 400, body
    code, body, _ = api(wlab, "PUT", f"/api/v1/machines/{ONCE_MAC}/profile", token=TOKEN,
                        body='{"profile": "' + "x" * 5000 + '"}')
    assert code == 413, body
    assert "profile rescue assigned" in lookup(wlab, ONCE_MAC)
    # Unassigned: the inventory's choice again.
    code, body, _ = api(wlab, "DELETE", f"/api/v1/machines/{ONCE_MAC}/profile", token=TOKEN)
    assert code == 200 and body["boot"]["profile"] == "install" and body["boot"]["assigned"] is None, body
    wlab.server.wait_event("machine.unassign", mac=ONCE_MAC)
    assert "assigned" not in lookup(wlab, ONCE_MAC)


def test_a_body_is_read_after_100_continue_and_a_chunked_one_needs_a_length(wlab):
    padded = '{"profile": "rescue", "note": "' + "x" * 2000 + '"}'
    code, body, head = api(wlab, "PUT", f"/api/v1/machines/{FRESH_MAC}/profile", token=TOKEN, body=padded,
                           headers=["Expect: 100-continue"])
    assert code == 200 and body["boot"]["profile"] == "rescue", body
    assert "100 continue" in head
    code, body, _ = api(wlab, "PUT", f"/api/v1/machines/{FRESH_MAC}/profile", token=TOKEN,
                        body='{"profile": "rescue"}', headers=["Transfer-Encoding: chunked"])
    assert code == 411, body


def test_a_machine_pxed_never_saw_may_be_assigned_in_advance(wlab):
    code, body, _ = api(wlab, "PUT", f"/api/v1/machines/{FRESH_MAC}/profile", token=TOKEN,
                        body='{"profile": "rescue"}')
    assert code == 200, body
    assert "profile rescue assigned through the API" in lookup(wlab, FRESH_MAC)
    r = subprocess.run([str(PXED_BIN), "machines", "-c", config_of(wlab), "--json"],
                       capture_output=True, text=True, timeout=20)
    listed = {m["mac"]: m for m in json.loads(r.stdout)}
    assert listed[FRESH_MAC]["seen"] is False and listed[FRESH_MAC]["profile"] == "rescue", listed
    assert listed[FRESH_MAC]["assigned"]["by"] == "api"
    # Marking done a machine nobody knows is refused.
    code, body, _ = api(wlab, "POST", "/api/v1/machines/52:54:00:aa:dd:99/done", token=TOKEN)
    assert code == 404, body


def test_done_then_reinstall_through_the_api_is_what_the_installer_and_the_cli_do(wlab):
    code, body, _ = api(wlab, "POST", f"/api/v1/machines/{ONCE_MAC}/done", token=TOKEN)
    assert code == 200 and body["boot"]["profile"] == "local", body
    wlab.server.wait_event("machine.done", mac=ONCE_MAC, by="api")
    assert "once: installed" in lookup(wlab, ONCE_MAC)
    code, body, _ = api(wlab, "POST", f"/api/v1/machines/{ONCE_MAC}/reinstall", token=TOKEN)
    assert code == 200 and body["boot"]["profile"] == "install", body
    wlab.server.wait_event("machine.reinstall", mac=ONCE_MAC, action="reinstall")
    assert "once: install pending" in lookup(wlab, ONCE_MAC)


def test_the_cli_assigns_beside_the_running_pxed_and_the_api_sees_it(wlab):
    r = subprocess.run([str(PXED_BIN), "machines", "-c", config_of(wlab), "assign", ONCE_MAC, "rescue"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and "told the running pxed" in r.stdout, r.stdout + r.stderr
    r = subprocess.run([str(PXED_BIN), "machines", "-c", config_of(wlab), "assign", ONCE_MAC, "nope"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 2 and "nope" in r.stderr, r.stderr

    def running_pxed_boots():
        code, body, _ = api(wlab, "POST", f"/api/v1/machines/{ONCE_MAC}/reinstall", token=TOKEN)
        assert code == 200, body
        return body["boot"] if body["boot"]["assigned"] else None
    boot = netlab.wait_for(running_pxed_boots, 10, "the running pxed to read the assignment")
    assert boot["profile"] == "rescue" and boot["assigned"]["by"] == "cli", boot
    assert "assigned with pxed machines assign" in boot["rule"]
    r = subprocess.run([str(PXED_BIN), "machines", "-c", config_of(wlab), "unassign", ONCE_MAC],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and "assignment removed" in r.stdout, r.stdout + r.stderr


def test_the_api_answers_on_its_own_address_and_not_on_the_boot_listener(wlab):
    code, body, _ = api(wlab, "GET", "/api/v1/machines")
    assert code == 200 and "machines" in body, body
    for path in ("/api/v1/machines", "/healthz", "/metrics", "/ui/"):
        code, _, _ = api(wlab, "GET", path, port=80)
        assert code == 404, path
    code, _, _ = api(wlab, "POST", f"/api/v1/machines/{ONCE_MAC}/reinstall", token=TOKEN, port=80)
    assert code == 405, "the boot listener takes no writes"
    # The machines' files stay on the boot listener, and only there.
    assert api(wlab, "GET", "/text.txt", port=80)[0] == 200
    assert api(wlab, "GET", "/text.txt")[0] == 404


def test_pxed_status_asks_the_apis_own_address(wlab):
    r = wlab.client([str(PXED_BIN), "status", "-c", config_of(wlab), "--json"], timeout=20)
    assert r.returncode == 0, r.stderr
    assert "machines" in json.loads(r.stdout)


def test_the_token_never_reaches_the_log(wlab):
    log = wlab.server.log_text()
    assert "route=/api/" in log and "status=401" in log
    assert TOKEN not in log
    assert "Wrong-token" not in log
    assert "Bearer" not in log and "bearer" not in log


def run_serve(tmp_path, token_mode):
    token_file = tmp_path / "api.token"
    token_file.write_text(TOKEN + "\n")
    os.chmod(token_file, token_mode)
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    # Loopback only, and pxed stops at the token before it binds anything.
    cfg = tmp_path / "pxed.toml"
    cfg.write_text(f"""[server]
state_dir = "{tmp_path / 'state'}"
[files]
root = "{root}"
[tftp]
listen = "127.0.0.1:16969"
[http]
enabled = true
listen = "127.0.0.1:18080"
[api]
token_file = "{token_file}"
""")
    (tmp_path / "state").mkdir(exist_ok=True)
    check = subprocess.run([str(PXED_BIN), "check", "-c", str(cfg)], capture_output=True, text=True, timeout=20)
    return cfg, token_file, check


def test_a_token_file_others_may_read_keeps_pxed_from_starting(tmp_path):
    cfg, token_file, check = run_serve(tmp_path, 0o644)
    assert check.returncode == 2
    assert f"pxed.toml:11: api.token_file: {token_file}: mode 0644" in check.stderr, check.stderr
    serve = subprocess.run([str(PXED_BIN), "serve", "-c", str(cfg)], capture_output=True, text=True, timeout=20)
    assert serve.returncode == 1
    said = serve.stdout + serve.stderr
    assert "pxed.fatal" in said and str(token_file) in said and "mode 0644" in said, said
    assert TOKEN not in said


def test_check_accepts_an_owner_only_token_file(tmp_path):
    _, _, check = run_serve(tmp_path, 0o600)
    assert check.returncode == 0, check.stderr
