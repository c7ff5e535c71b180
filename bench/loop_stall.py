"""What one expensive request costs everyone else: before/after numbers for issue 11.

Run as root (network namespaces): PXED_BIN=build/pxed /usr/bin/python3 bench/loop_stall.py
Starts pxed (ProxyDHCP, TFTP, HTTP) on the test suite's hostile image and a 2 GiB sparse file,
then times each expensive request and a DHCP DISCOVER sent while it runs, and SIGTERM.
"""
import os, sys, time, threading, tempfile, shutil, urllib.request, subprocess
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
import netlab, tftp_raw
import test_loop_free as T

work = Path(tempfile.mkdtemp(prefix="pxmeasure-"))
root = work / "loop-root"; root.mkdir()
with open(root / "big-sparse.txt", "wb") as f: f.truncate(T.BIG)
(root / "small.bin").write_bytes(os.urandom(1000))
for p in root.iterdir(): os.chmod(p, 0o644)
os.chmod(root, 0o755); os.chmod(work, 0o755)
iso = T.hostile_iso(work)
lab = netlab.create_lab(work)
try:
    lab.server = netlab.ServerProcess("pxed", lab, root, pxed_bin=Path(os.environ["PXED_BIN"]),
        server_overrides={"interfaces": ["pxs0"], "state_dir": str(work / "state")}, http_overrides={},
        files_extra=["[[files.mount]]", 'at = "/bad"', f'iso = "{iso}"'],
        extra_toml='\n[dhcp]\nmode = "proxy"\n\n[boot]\nbios = "lpxelinux.0"\n')
    lab.server.start()
    def dhcp_during(action):
        out = {}
        th = threading.Thread(target=lambda: out.setdefault("a", action()))
        th.start(); time.sleep(0.05)
        try: d = T.time_dhcp(lab)
        except Exception as e: d = f"none within 2 s ({type(e).__name__})"
        th.join(timeout=120)
        return out.get("a"), d
    def netascii():
        c = tftp_raw.RawClient(lab.socket(), lab.server_ip); t = time.monotonic()
        c.rrq("big-sparse.txt", mode="netascii", options={"tsize": 0}); p = c.expect(60)
        ms = (time.monotonic() - t) * 1000; c.send(tftp_raw.error(0, "x")); c.close()
        return f"{ms:.1f} ms ({p.options if p.op == tftp_raw.OACK else p})"
    def http(path):
        def go():
            t = time.monotonic()
            r = lab.client(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "120", f"http://{lab.server_ip}{path}"], timeout=130)
            return f"{(time.monotonic() - t) * 1000:.0f} ms status {r.stdout}"
        return go
    hop = "big/here/up/" * 19
    print("netascii RRQ 2 GiB with tsize: (first answer, DHCP ms meanwhile):", dhcp_during(netascii))
    for name, path in [("lookup in the big directory", "/bad/big/file-with-a-long-name-to-fill-the-directory-00003"),
                       ("38 link hops through it", "/bad/" + hop + "big/file-with-a-long-name-to-fill-the-directory-00002"),
                       ("listing of 500 links into it", "/bad/links/")]:
        print(f"HTTP {name}: (answer, DHCP ms meanwhile):", dhcp_during(http(path)))
    # SIGTERM while a hostile listing is being answered
    th = threading.Thread(target=http("/bad/links/")); th.start(); time.sleep(0.1)
    t = time.monotonic(); lab.server.proc.send_signal(15)
    try:
        rc = lab.server.proc.wait(timeout=90); print(f"SIGTERM during a hostile listing: exit {rc} after {time.monotonic() - t:.2f} s")
    except subprocess.TimeoutExpired:
        print("SIGTERM during a hostile listing: no exit within 90 s")
    th.join(timeout=130)
finally:
    netlab.destroy_lab(lab)
    shutil.rmtree(work, ignore_errors=True)
