"""The dashboard (/ui/) in headless Chromium: it loads with no console errors,
and a machine that boots through pxed appears in it and moves through its
stages live, without a reload; the inventory names it, so its row is there
before it asks, "not seen". The machine is a PXE DISCOVER (scapy) and
busybox udhcpc for its lease, then curl fetching what a pxelinux boot fetches;
the browser runs inside the lab's client namespace, so nothing leaves the lab.
The images of a files.iso_dir (built by xorriso with a volume id osinfo-db
knows, and one it does not) and the machine's lease show in their sections,
and follow an image copied in and a lease given back, live.
Screenshots (a laptop's window and a phone's) are kept in $PXED_ARTIFACTS
(/tmp/pxed-artifacts by default)."""
import os
import shutil
import time
from pathlib import Path

import pytest

import netlab
from conftest import PXED_BIN
from dhcp_clients import pxe_request, set_mac, udhcpc

MAC = "52:54:00:d5:b0:01"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("PXED_ARTIFACTS", "/tmp/pxed-artifacts"))
STEP_TIMEOUT = 10  # seconds for the page to show one step: the stream is pushed, not polled

webdriver = pytest.importorskip("selenium.webdriver", reason="python3-selenium (scripts/setup)")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def images(workdir):
    """files.iso_dir with an image osinfo-db knows (Debian 11's netinst) and one it does not."""
    if shutil.which("xorriso") is None:
        return None
    d = workdir / "dashboard-isos"
    d.mkdir()
    os.chmod(d, 0o755)
    built = {"debian": netlab.build_image(workdir, "debian", "Debian 11.5.0 amd64 n", {"install.amd/vmlinuz": b"k" * 100}),
             "blank": netlab.build_image(workdir, "blank", "PXEDTEST", {"readme.txt": b"nothing"})}
    netlab.install_image(d, built["debian"], "debian-11.iso")
    netlab.install_image(d, built["blank"], "blank.iso")
    return {"dir": d, "built": built}


@pytest.fixture(scope="module")
def dlab(workdir, server_kind, images):
    if server_kind != "pxed":
        pytest.skip("pxed's own dashboard")
    if not (os.access(CHROMEDRIVER, os.X_OK) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip("chromium and chromium-driver (scripts/setup)")
    root = workdir / "dashboard-root"
    netlab.write_random_tree(root, {"inst/vmlinuz": 4096, "inst/initrd.gz": 65536, "inst/Packages/bash.deb": 100})
    lab = netlab.create_lab(workdir)
    try:
        # The machine's MAC before the browser starts: a link going down under an open
        # page is an error in its console. The lab's own address stays for the browser
        # (Chromium with no address thinks it is offline); the machine's fetches come
        # from the address DHCP gives it (curl --interface).
        set_mac(lab, "pxc0", MAC)
        toml = f"""
[boot]
bios = "lpxelinux.0"
default = "install"

[[profile]]
name = "install"
kernel = "/inst/vmlinuz"
initrd = ["/inst/initrd.gz"]
append = "auto=true"

[[machine]]
mac = "{MAC}"
name = "web-01"
profile = "install"
once = true
"""
        netlab.start_full_dhcp_pxed(lab, workdir, root, PXED_BIN, extra_toml=toml,
                                    files_extra=[f'iso_dir = "{images["dir"]}"'] if images else None)
        yield lab
    finally:
        netlab.destroy_lab(lab)


@pytest.fixture
def browser(dlab, tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", f"--user-data-dir={tmp_path / 'profile'}",
                "--no-first-run", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--metrics-recording-only"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with netlab.inside(dlab.client_ns):
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER, log_path=os.devnull), options=options)
        try:
            driver.set_page_load_timeout(20)
            yield driver
        finally:
            driver.quit()


def console_errors(driver):
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def wait_until(driver, what, predicate, timeout=STEP_TIMEOUT):
    try:
        # A row is redrawn in place as its machine moves: an element found a moment
        # ago may be gone by the time it is read; the next poll finds the new one.
        return WebDriverWait(driver, timeout, poll_frequency=0.1,
                             ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: predicate(d))
    except Exception as e:  # selenium's TimeoutException says nothing of what we waited for
        raise AssertionError(f"the dashboard did not show {what} within {timeout}s") from e


def row_stage(driver):
    rows = driver.find_elements(By.CSS_SELECTOR, f'#machines tr[data-mac="{MAC}"]')
    return rows[0].get_attribute("data-stage") if rows else None


def screenshot(driver, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    print(f"\nscreenshot: {path}")
    return path


def fetch(lab, url, out, source):
    r = lab.client(["curl", "-sS", "--max-time", "20", "--interface", source, "-o", str(out), url], timeout=30)
    assert r.returncode == 0, f"{url}: {r.stderr}"


def test_a_machine_appears_and_moves_through_its_stages_live(dlab, browser, tmp_path):
    base = f"http://{dlab.server_ip}"
    with netlab.inside(dlab.client_ns):
        browser.get(f"{base}/ui")  # the bare name redirects to the directory
        assert browser.current_url == f"{base}/ui/", browser.current_url
        assert browser.title == "pxed"
        wait_until(browser, "its stream live",
                   lambda d: d.find_element(By.ID, "connection").get_attribute("data-state") == "live")
        # The inventory names the machine: its row is there before it asks, greyed.
        wait_until(browser, f"{MAC} listed before it asks", lambda d: row_stage(d) == "")
        row = browser.find_element(By.CSS_SELECTOR, f'#machines tr[data-mac="{MAC}"]')
        assert "unseen" in row.get_attribute("class").split()
        assert "web-01" in row.find_element(By.CSS_SELECTOR, "td.mac").text
        assert "not seen" in row.find_element(By.CSS_SELECTOR, "td.stage-cell").text
        assert "1 not seen yet" in browser.find_element(By.ID, "summary").text

    # The firmware's DISCOVER, then a lease and the address (as the loader's own DHCP).
    assert any(pxe_request(dlab, "pxc0", MAC, arch=0, wait=2.0) for _ in range(4)), "no PXE offer"
    env, output = udhcpc(dlab, "pxc0", tmp_path)
    assert env, output
    netlab.run(["ip", "-n", dlab.client_ns, "addr", "add", f"{env['ip']}/24", "dev", "pxc0"])

    def expect(stage):
        with netlab.inside(dlab.client_ns):
            wait_until(browser, f"{MAC} at stage {stage}", lambda d: row_stage(d) == stage)

    expect("dhcp")
    steps = [("loader", f"tftp://{dlab.server_ip}/lpxelinux.0"),
             ("config", f"tftp://{dlab.server_ip}/pxelinux.cfg/default"),
             ("kernel", f"{base}/inst/vmlinuz"),
             ("initrd", f"{base}/inst/initrd.gz"),
             ("installer", f"{base}/inst/Packages/bash.deb"),
             ("done", f"{base}/pxed/v1/done")]
    for stage, url in steps:
        fetch(dlab, url, tmp_path / "fetched", env["ip"])
        expect(stage)

    def cell(name):
        return lambda d: d.find_element(By.CSS_SELECTOR, f'#machines tr[data-mac="{MAC}"] td.{name}').text

    with netlab.inside(dlab.client_ns):
        wait_until(browser, "the machine's address", lambda d: env["ip"] in cell("ip")(d))
        wait_until(browser, "its boot done", lambda d: "done in" in cell("boot")(d))
    # A failed fetch is the row's problem, in red, as it happens.
    fetch(dlab, f"{base}/inst/missing.deb", tmp_path / "missing", env["ip"])
    with netlab.inside(dlab.client_ns):
        wait_until(browser, "the failed fetch as the machine's problem", lambda d: "http /inst/missing.deb: 404" in
                   d.find_element(By.CSS_SELECTOR, f'#machines tr[data-mac="{MAC}"] td.problem').text)
        row = browser.find_element(By.CSS_SELECTOR, f'#machines tr[data-mac="{MAC}"]')
        assert "problem" in row.get_attribute("class").split()
        assert "unseen" not in row.get_attribute("class").split()
        wait_until(browser, "the TFTP bytes in the throughput", lambda d: d.find_element(
            By.CSS_SELECTOR, '.protocol[data-protocol="tftp"] .rate').text not in ("0 B/s", ""))
        items = browser.find_elements(By.CSS_SELECTOR, "#events li")
        kinds = [li.find_element(By.CSS_SELECTOR, ".kind").text for li in items]
        ids = [int(li.get_attribute("data-id")) for li in items]
        # Stages, not every file fetched: those are the rows' and the throughput's.
        assert "machine.stage" in kinds and "tftp.done" not in kinds and "http.request" not in kinds, kinds
        assert ids == sorted(ids, reverse=True) and len(ids) <= 50, ids  # newest first
        screenshot(browser, "dashboard.png")
        browser.set_window_size(390, 844)  # a phone: the rows become cards
        wait_until(browser, "cards on a narrow screen", lambda d: d.find_element(
            By.CSS_SELECTOR, "#machines thead").value_of_css_property("display") == "none")
        screenshot(browser, "dashboard-phone.png")
        errors = console_errors(browser)
    assert not errors, errors


def image_row(driver, url):
    rows = driver.find_elements(By.CSS_SELECTOR, f'#images tr[data-url="{url}"]')
    return rows[0] if rows else None


def cell_text(row, name):
    return row.find_element(By.CSS_SELECTOR, f"td.{name}").text


def test_images_and_leases_show_what_pxed_serves_and_follow_it_live(dlab, browser, images):
    """After the live test: its machine holds a lease."""
    if images is None:
        pytest.skip("xorriso not installed")
    base = f"http://{dlab.server_ip}"
    with netlab.inside(dlab.client_ns):
        browser.get(f"{base}/ui/")
        wait_until(browser, "its stream live",
                   lambda d: d.find_element(By.ID, "connection").get_attribute("data-state") == "live")
        browser.execute_script("window.pxedSamePage = true")
        # osinfo-db is read after start-up: the row may say "identifying…" first.
        wait_until(browser, "the Debian image identified", lambda d: image_row(d, "/iso/debian-11/") is not None
                   and image_row(d, "/iso/debian-11/").get_attribute("data-os") == "debian11")
        row = image_row(browser, "/iso/debian-11/")
        assert cell_text(row, "name") == "debian-11"
        assert cell_text(row, "os") == "Debian 11"
        assert cell_text(row, "version") == "11"
        assert cell_text(row, "kind") == "installer"
        link = row.find_element(By.CSS_SELECTOR, "td.url a")
        assert link.text == "/iso/debian-11/" and link.get_attribute("href") == f"{base}/iso/debian-11/"
        blank = image_row(browser, "/iso/blank/")
        assert blank.get_attribute("data-os") == "unknown" and cell_text(blank, "os") == "unknown"
        assert "PXEDTEST" in blank.find_element(By.CSS_SELECTOR, "td.os").get_attribute("title")

        # Leases: the subnet's use and the machine's lease, as /api/v1/leases says.
        subnet = f"{dlab.net}.0/24"
        wait_until(browser, "the leases section", lambda d: d.find_element(By.ID, "leases-section").is_displayed())
        use = browser.find_element(By.CSS_SELECTOR, f'#subnets .subnet[data-network="{subnet}"] .use').text
        assert use == "1 used · 49 free", use
        lease = browser.find_element(By.CSS_SELECTOR, f'#leases tr[data-mac="{MAC}"]')
        ip = cell_text(lease, "ip")
        assert ip.startswith(f"{dlab.net}."), ip

    # An image copied in appears; the lease given back (a RELEASE from its address, which
    # the live test put on pxc0) goes; the page stays the same page.
    netlab.install_image(images["dir"], images["built"]["debian"], "late.iso")
    mark = dlab.server.mark()
    pxe_request(dlab, "pxc0", MAC, msg="release", ciaddr=ip, to=(dlab.server_ip, 67), wait=0.2, want=0,
                extra_options=[("server_id", dlab.server_ip)])
    dlab.server.wait_event("dhcp.release", since=mark, ip=ip)
    with netlab.inside(dlab.client_ns):
        wait_until(browser, "the image copied in", lambda d: image_row(d, "/iso/late/") is not None
                   and image_row(d, "/iso/late/").get_attribute("data-os") == "debian11")
        wait_until(browser, "the lease given back", lambda d: not d.find_elements(
            By.CSS_SELECTOR, f'#leases tr[data-mac="{MAC}"]'))
        assert browser.find_element(By.CSS_SELECTOR, f'#subnets .subnet[data-network="{subnet}"] .use').text \
            == "0 used · 50 free"
        assert browser.execute_script("return window.pxedSamePage") is True
        screenshot(browser, "dashboard-images-leases.png")
        errors = console_errors(browser)
    assert not errors, errors


def test_a_reload_shows_the_machine_from_the_api_and_unknown_files_are_404(dlab, browser):
    """After the live test: the row comes from /api/v1/machines, not only the stream."""
    base = f"http://{dlab.server_ip}"
    with netlab.inside(dlab.client_ns):
        browser.get(f"{base}/ui/")
        wait_until(browser, f"{MAC} from the API", lambda d: row_stage(d) is not None)
        assert console_errors(browser) == []
    r = dlab.client(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", f"{base}/ui/nope.js"], timeout=20)
    assert r.stdout == "404"
    r = dlab.client(["curl", "-sS", "-D", "-", "-o", "/dev/null", f"{base}/ui/app.js"], timeout=20)
    headers = r.stdout.lower()
    assert "content-type: text/javascript" in headers and "content-security-policy: default-src 'self'" in headers


def test_the_page_goes_on_across_a_restart_and_starts_over_without_the_history(dlab, browser):
    """A restarted pxed reads its history back and numbers on: the page's stream
    resumes where it was (Last-Event-ID) and keeps its rows. A pxed that lost its
    history numbers from 1: a page that kept the old rows and cursor would show
    machines the new pxed has not seen, so it reloads."""
    base = f"http://{dlab.server_ip}"

    def state(d):
        return d.find_element(By.ID, "connection").get_attribute("data-state")

    with netlab.inside(dlab.client_ns):
        browser.get(f"{base}/ui/")
        wait_until(browser, "its stream live", lambda d: state(d) == "live")
        browser.execute_script("window.pxedBeforeRestart = true")
    dlab.server.stop()
    with netlab.inside(dlab.client_ns):
        wait_until(browser, "the stream lost", lambda d: state(d) != "live")
    dlab.server.start()
    with netlab.inside(dlab.client_ns):
        wait_until(browser, "its stream live again", lambda d: state(d) == "live")
        # A new event (any request is one) reaches the page, which stays.
        dlab.client(["curl", "-sS", "-o", "/dev/null", f"{base}/healthz"], timeout=10)
        time.sleep(1)
        assert browser.execute_script("return window.pxedBeforeRestart") is True

    dlab.server.stop()
    for f in dlab.state.glob("events.sqlite3*"):
        f.unlink()
    dlab.server.start()

    def reloaded(d):
        # EventSource is back within 2 s (the stream's `retry:`); the new pxed's next event
        # tells the page.
        dlab.client(["curl", "-sS", "-o", "/dev/null", f"{base}/healthz"], timeout=10)
        return d.execute_script("return window.pxedBeforeRestart") is None

    with netlab.inside(dlab.client_ns):
        wait_until(browser, "a reload after the restart", reloaded, timeout=20)
        wait_until(browser, "its stream live again", lambda d: state(d) == "live")
