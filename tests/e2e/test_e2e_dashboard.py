"""The dashboard watches a real boot: QEMU's iPXE boots the test OS through pxed (full
mode, the generated iPXE script) while /ui/ is open in headless Chromium, and the
machine's row moves through its stages live, each change seen as it happens (a
MutationObserver in the page), with no console error. A screenshot of the finished boot
is kept in $PXED_ARTIFACTS (/tmp/pxed-artifacts by default)."""
import ctypes
import contextlib
import os
import time
from pathlib import Path

import pytest

from e2e_cases import HTTP_BASE
from test_e2e_inventory import MAC_IPXE, SCRIPT, expect_token, inventory, only_with

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("PXED_ARTIFACTS", "/tmp/pxed-artifacts"))

webdriver = pytest.importorskip("selenium.webdriver", reason="python3-selenium (scripts/setup)")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

_libc = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNET = 0x40000000


@contextlib.contextmanager
def inside(netns):
    """This thread in netns (Python 3.11 has no os.setns): chromedriver starts there,
    and Selenium's connections to it and Chromium's to pxed stay in the lab."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        if _libc.setns(target, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        try:
            yield
        finally:
            _libc.setns(own, _CLONE_NEWNET)
    finally:
        os.close(own)
        os.close(target)


# Every change of the machine's data-stage, recorded by the page as it is drawn.
WATCH = """
const mac = arguments[0];
window.pxedStages = [];
const body = document.querySelector('#machines tbody');
const note = () => {
  const tr = body.querySelector(`tr[data-mac="${mac}"]`);
  const seen = window.pxedStages;
  if (tr && tr.dataset.stage && seen[seen.length - 1] !== tr.dataset.stage) seen.push(tr.dataset.stage);
};
new MutationObserver(note).observe(body, {subtree: true, childList: true, attributes: true,
                                          attributeFilter: ['data-stage']});
"""


def test_a_booting_vm_moves_through_its_stages_on_the_open_dashboard(bare_netboot, tokens, guest, tmp_path):
    only_with(bare_netboot, "pxed-full", "the dashboard reads pxed's own events; one DHCP side is enough")
    if not (os.access(CHROMEDRIVER, os.X_OK) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip("chromium and chromium-driver (scripts/setup)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", f"--user-data-dir={tmp_path / 'profile'}", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with bare_netboot.served(SCRIPT, inventory(tokens)) as lab:
        # The browser beside the lab's other DHCP namespace: an address on the boot LAN.
        with inside(lab.dhcp_ns):
            driver = webdriver.Chrome(service=Service(CHROMEDRIVER, log_path=os.devnull), options=options)
        try:
            with inside(lab.dhcp_ns):
                driver.set_page_load_timeout(20)
                driver.get(f"{HTTP_BASE}/ui/")
                WebDriverWait(driver, 10, 0.1).until(
                    lambda d: d.find_element(By.ID, "connection").get_attribute("data-state") == "live")
                driver.execute_script(WATCH, MAC_IPXE)
            # The page records each change itself: the boot can run to its end meanwhile.
            bare_netboot.boot_in(lab, "bios", MAC_IPXE)
            expect_token(bare_netboot.last, tokens["inv-alpha"])
            with inside(lab.dhcp_ns):
                deadline = time.monotonic() + 10
                row = None
                while time.monotonic() < deadline:
                    rows = driver.find_elements(By.CSS_SELECTOR, f'#machines tr[data-mac="{MAC_IPXE}"]')
                    row = rows[0] if rows else None
                    if row is not None and "initrd" in row.get_attribute("data-reached").split():
                        break
                    time.sleep(0.1)
                assert row is not None, "the machine never appeared"
                seen = driver.execute_script("return window.pxedStages")
                reached = row.get_attribute("data-reached").split()
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                shot = ARTIFACTS / "dashboard-e2e.png"
                driver.save_screenshot(str(shot))
                print(f"\nscreenshot: {shot}\nstages seen live: {seen}")
                errors = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        finally:
            driver.quit()
    assert reached[:1] == ["dhcp"] and {"loader", "kernel", "initrd"} <= set(reached), reached
    order = ["dhcp", "loader", "config", "kernel", "initrd", "installer", "done"]
    assert seen == sorted(seen, key=order.index), f"the stage went backwards: {seen}"
    # Live: the row changed stage several times while the page stayed open, not once at the end.
    assert len(seen) >= 3 and seen[-1] in ("initrd", "installer"), seen
    assert not errors, errors
