"""Fixtures for the end-to-end boots: the guest OS, the served tree, the accelerator,
and `netboot`, which boots one VM through a fresh lab and pxed.

Env:
  PXED_BIN          the pxed binary (default <repo>/build/pxed)
  PXED_E2E_CACHE    downloads and built images (default /var/cache/pxed-e2e)
  PXED_E2E_ACCEL    tcg | kvm: skip the KVM probe and use this accelerator
  PXED_E2E_BUDGET   seconds the whole suite may take (default 900); later tests are skipped
  PXED_E2E_KEEP     set: keep the work dir (consoles, pxed and dnsmasq logs, configs)
  PXED_E2E_TIMINGS  a path: write every boot's firmware, accelerator and seconds there (JSON)
  PXED_E2E_NO_RA    set: no IPv6 router in the lab (iPXE then waits ~16 s per boot for one)
  PXED_E2E_PROVIDERS  comma-separated DHCP providers to run (default: all in e2e_dhcp)
"""
import contextlib
import json
import os
import secrets
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

import e2e_cases as cases
import e2e_dhcp
import e2e_guest
import e2e_lab
import e2e_vm
from e2e_cases import HTTP_BASE
from e2e_dhcp import BootPlan

REPO = Path(__file__).resolve().parents[2]
PXED_BIN = Path(os.environ.get("PXED_BIN", REPO / "build" / "pxed"))
SUITE_BUDGET = float(os.environ.get("PXED_E2E_BUDGET", "900"))
# One KVM probe (<= PROBE_TIMEOUT) plus one boot (<= BOOT_TIMEOUT) plus lab set-up.
PROBE_TIMEOUT, PROBE_STALL = 60, 15
TEST_DEADLINE = PROBE_TIMEOUT + e2e_vm.BOOT_TIMEOUT + 60
PROBE_MAC = "52:54:00:e2:e0:f0"

_SESSION_START = time.monotonic()
BOOTS = []  # (test id, BootResult) of the session, for the timing summary


# -- what must exist before anything runs ---------------------------------------------
def _missing():
    if os.geteuid() != 0:
        return "needs root (network namespaces, taps)"
    if not os.access(PXED_BIN, os.X_OK):
        return f"{PXED_BIN} not built (set PXED_BIN or ninja -C build pxed)"
    for tool in ("ip", e2e_vm.QEMU, "dnsmasq", "xorriso", "dpkg-deb", "apt-get"):
        if shutil.which(tool) is None:
            return f"{tool} not installed (scripts/setup installs it)"
    for f in (Path("/dev/net/tun"), e2e_guest.BUSYBOX, e2e_guest.LPXELINUX,
              e2e_guest.LDLINUX_BIOS, e2e_guest.LDLINUX_EFI64):
        if not f.exists():
            return f"{f} missing (scripts/setup installs busybox-static, pxelinux, syslinux-common)"
    return None


def pytest_configure(config):
    config.addinivalue_line("markers", "uefi: boots OVMF (needs package ovmf)")


def pytest_collection_modifyitems(config, items):
    why = _missing()
    no_ovmf = not (e2e_vm.OVMF_CODE.exists() and e2e_vm.OVMF_VARS.exists())
    here = Path(__file__).parent
    for item in items:
        if here not in Path(item.path).parents:
            continue  # this hook sees every collected item, not only ours
        if why:
            item.add_marker(pytest.mark.skip(reason=why))
        elif no_ovmf and item.get_closest_marker("uefi"):
            item.add_marker(pytest.mark.skip(reason=f"{e2e_vm.OVMF_CODE} missing (package ovmf)"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    # No pytest-timeout on Debian 12: an alarm turns a hang into a failure (and the
    # lab's finally blocks still kill the VM and remove the namespaces).
    def on_alarm(signum, frame):
        raise TimeoutError(f"test exceeded {TEST_DEADLINE}s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TEST_DEADLINE)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # A failing boot shows what the machine printed and what the servers logged.
    outcome = yield
    report = outcome.get_result()
    netboot = item.funcargs.get("netboot")
    if report.failed and netboot is not None and netboot.last is not None:
        for title, text in netboot.last.sections():
            report.sections.append((title, text))


def pytest_terminal_summary(terminalreporter):
    if not BOOTS:
        return
    terminalreporter.section("pxed e2e boots")
    for test_id, r in BOOTS:
        terminalreporter.write_line(f"{r.seconds:6.1f}s  {r.accel:3}  {r.firmware:9}  "
                                    f"rc={r.returncode}  tokens={r.tokens()}  {test_id}")
    terminalreporter.write_line(f"suite: {time.monotonic() - _SESSION_START:.0f}s")
    if os.environ.get("PXED_E2E_TIMINGS"):
        Path(os.environ["PXED_E2E_TIMINGS"]).write_text(json.dumps(
            [{"test": test_id, "firmware": r.firmware, "accel": r.accel,
              "seconds": round(r.seconds, 1), "returncode": r.returncode, "tokens": r.tokens()}
             for test_id, r in BOOTS], indent=1) + "\n")


# -- the guest, the tree and the tokens -----------------------------------------------
@pytest.fixture(scope="session")
def workdir():
    d = Path(tempfile.mkdtemp(prefix="pxe2e-"))
    os.chmod(d, 0o755)
    yield d
    ours = [ns for ns in e2e_lab.leftover_namespaces() if ns.startswith(e2e_lab.TAG_PREFIX)]
    assert not ours, f"namespaces left behind: {ours}"
    if os.environ.get("PXED_E2E_KEEP"):
        print(f"\nkept {d} (serial consoles, pxed/dnsmasq/qemu logs, configs, served tree)")
    else:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def pxed_bin():
    if not os.access(PXED_BIN, os.X_OK):
        pytest.skip(f"{PXED_BIN} not built (set PXED_BIN or ninja -C build pxed)")
    return PXED_BIN


@pytest.fixture(scope="session")
def guest():
    """(vmlinuz, initrd, iso); the first run downloads the kernel package (~70 MB)."""
    try:
        vmlinuz = e2e_guest.kernel()
        initrd = e2e_guest.initrd()
        return vmlinuz, initrd, e2e_guest.iso(vmlinuz, initrd)
    except (RuntimeError, OSError, TimeoutError) as e:
        pytest.fail(f"cannot build the guest OS from Debian packages: {e}", pytrace=False)


TOKEN_NAMES = ("mac", "hexip", "default", "script", "efi-mac", "efi-default", "grub", "probe",
               "inv-alpha", "inv-beta", "local")


@pytest.fixture(scope="session")
def tokens():
    """A fresh value per config and per run: a marker can only carry it if the machine
    booted that config in this run."""
    return {name: f"{name}-{secrets.token_hex(4)}" for name in TOKEN_NAMES}


@pytest.fixture(scope="session")
def tree(workdir, tokens, guest):
    pxelinux = {
        f"pxelinux.cfg/{cases.mac_config(cases.MAC_BY_MAC)}": tokens["mac"],
        f"pxelinux.cfg/{cases.HEXIP_CONFIG}": tokens["hexip"],
        "pxelinux.cfg/default": tokens["default"],
        f"efi64/pxelinux.cfg/{cases.mac_config(cases.MAC_EFI_BY_MAC)}": tokens["efi-mac"],
        "efi64/pxelinux.cfg/default": tokens["efi-default"],
    }
    scripts = {cases.SCRIPT: tokens["script"], "probe.ipxe": tokens["probe"]}
    grub = {cases.GRUB_CONFIG: tokens["grub"]}
    try:
        return e2e_guest.write_tree(workdir / "root", HTTP_BASE, pxelinux, scripts, grub)
    except (RuntimeError, OSError, TimeoutError) as e:
        pytest.fail(f"cannot build the boot tree: {e}", pytrace=False)


@pytest.fixture(scope="session")
def bare_tree(workdir, guest):
    """The loaders and nothing else: every config comes from pxed's inventory."""
    try:
        return e2e_guest.write_tree(workdir / "bare-root", HTTP_BASE, {}, {}, {})
    except (RuntimeError, OSError, TimeoutError) as e:
        pytest.fail(f"cannot build the boot tree: {e}", pytrace=False)


# -- one boot through a fresh lab -----------------------------------------------------
class Outcome:
    """A finished boot and what every party logged about it."""

    def __init__(self, result, pxed_log, pxed_alive, provider):
        self.result = result
        self.pxed_log = pxed_log
        self.pxed_alive = pxed_alive
        self.provider_name = provider.name
        self.provider_tail = provider.log_tail(60)

    def pxed_events(self, name):
        return [fields for _, fields in e2e_lab.log_events(self.pxed_log, name)]

    def sections(self):
        r = self.result
        return [(f"serial console, last 60 lines ({r.summary()})", r.console_tail(60)),
                ("pxed log, last 60 lines", "\n".join(self.pxed_log.splitlines()[-60:])),
                (f"{self.provider_name} log, last 60 lines", self.provider_tail),
                ("qemu", r.qemu_log_tail(20))]


@contextlib.contextmanager
def served_lab(labdir, pxed, tree, iso, provider, plan, inventory="", files_extra=()):
    """A fresh lab with pxed (serving tree + the ISO) and the provider's DHCP running;
    `inventory` is more of pxed's config ([[profile]], [[machine]], ...), files_extra
    more lines of its [files]."""
    lab = e2e_lab.create(labdir)
    try:
        lab.start_pxed(pxed, tree, {e2e_guest.ISO_AT: iso}, provider.pxed_toml(lab, plan) + "\n" + inventory,
                       files_extra=files_extra)
        provider.start(lab, plan)
        yield lab
    finally:
        try:
            provider.stop()
        finally:
            e2e_lab.destroy(lab)


def boot_once(labdir, pxed, tree, iso, provider, plan, firmware, mac, accel, inventory="", **kwargs):
    labdir.mkdir(parents=True, exist_ok=True)
    with served_lab(labdir, pxed, tree, iso, provider, plan, inventory) as lab:
        result = e2e_vm.boot(lab, firmware, mac, accel, **kwargs)
        alive = lab.pxed.alive()
        # Stop pxed before reading its log: every line it wrote is then on disk.
        lab.pxed.stop()
        return Outcome(result, lab.pxed.log_text(), alive, provider)


class Accelerator:
    """KVM when a real boot proves it works for this firmware, else TCG; probed once per
    firmware per session. Here iPXE hangs under KVM after "starting execution" and OVMF
    dies with a KVM emulation failure, so only a real boot tells."""

    def __init__(self, workdir, pxed, tree, iso, tokens):
        self.workdir, self.pxed, self.tree, self.iso = workdir, pxed, tree, iso
        self.token = tokens["probe"]
        self.chosen = {}  # firmware -> (accel, why)

    def for_firmware(self, firmware):
        forced = os.environ.get("PXED_E2E_ACCEL")
        if forced:
            if forced not in ("tcg", "kvm"):
                pytest.fail(f"PXED_E2E_ACCEL={forced}: expected tcg or kvm", pytrace=False)
            return forced
        # Secure Boot runs the same OVMF PXE as uefi-pxe: one probe answers both.
        firmware = "uefi-pxe" if firmware == "uefi-pxe-sb" else firmware
        if not e2e_vm.kvm_usable():
            self.chosen.setdefault(firmware, ("tcg", "/dev/kvm not usable"))
        if firmware not in self.chosen:
            self.chosen[firmware] = self._probe(firmware)
        return self.chosen[firmware][0]

    def _probe(self, firmware):
        plan = BootPlan(ipxe=f"{HTTP_BASE}/probe.ipxe")
        if firmware == "uefi-pxe":  # OVMF's own PXE does not run iPXE: syslinux.efi
            plan = BootPlan(efi64="efi64/syslinux.efi")
        elif firmware == "uefi-http":
            plan = BootPlan(efi64_http=f"{HTTP_BASE}/efi64/snponly.efi",
                            ipxe=f"{HTTP_BASE}/probe.ipxe")
        labdir = self.workdir / f"probe-{firmware}"
        try:
            out = boot_once(labdir, self.pxed, self.tree, self.iso, e2e_dhcp.Dnsmasq(), plan,
                            firmware, PROBE_MAC, "kvm", timeout=PROBE_TIMEOUT, stall=PROBE_STALL)
        except Exception as e:  # a broken probe must not hide the TCG boots
            return "tcg", f"probe failed to run: {e}"
        r = out.result
        BOOTS.append((f"kvm probe {firmware}", r))
        expected = self.token if firmware != "uefi-pxe" else None
        if r.returncode == 0 and r.tokens() and (expected is None or r.tokens() == [expected]):
            return "kvm", f"probe booted in {r.seconds:.1f}s"
        return "tcg", f"KVM probe did not reach the marker ({r.summary()})"


@pytest.fixture(scope="session")
def accelerator(workdir, pxed_bin, tree, guest, tokens):
    acc = Accelerator(workdir, pxed_bin, tree, guest[2], tokens)
    yield acc
    for firmware, (accel, why) in acc.chosen.items():
        print(f"\naccelerator for {firmware}: {accel} ({why})")


class Netboot:
    def __init__(self, provider_factory, workdir, pxed, tree, guest, accelerator, test_id):
        self.provider_factory = provider_factory
        self.workdir, self.pxed, self.tree = workdir, pxed, tree
        self.vmlinuz, self.initrd, self.iso = guest
        self.accelerator = accelerator
        self.test_id = test_id
        self.last = None
        self._n = 0

    @contextlib.contextmanager
    def served(self, plan, inventory="", files_extra=()):
        """One lab and pxed for several boots (state carried from one to the next)."""
        spent = time.monotonic() - _SESSION_START
        if spent > SUITE_BUDGET:
            pytest.skip(f"suite budget of {SUITE_BUDGET:.0f}s spent ({spent:.0f}s): PXED_E2E_BUDGET")
        provider = self.provider_factory()
        if not provider.supports(plan):
            pytest.skip(f"DHCP provider {provider.name} cannot serve {plan}")
        self._n += 1
        labdir = self.workdir / f"{self.test_id}-{self._n}"
        labdir.mkdir(parents=True, exist_ok=True)
        with served_lab(labdir, self.pxed, self.tree, self.iso, provider, plan, inventory, files_extra) as lab:
            lab.provider = provider
            yield lab

    def boot_in(self, lab, firmware, mac, **kwargs):  # e2e_vm.boot's timeout, stall, until
        """Boot in a lab from served(); the result (pxed keeps running)."""
        result = e2e_vm.boot(lab, firmware, mac, self.accelerator.for_firmware(firmware), **kwargs)
        BOOTS.append((self.test_id, result))
        self.last = Outcome(result, lab.pxed.log_text(), lab.pxed.alive(), lab.provider)
        return result

    def boot(self, firmware, mac, plan, timeout=e2e_vm.BOOT_TIMEOUT, inventory=""):
        """Boot `mac` with `firmware` through a fresh lab; the Outcome (also kept in .last)."""
        spent = time.monotonic() - _SESSION_START
        if spent > SUITE_BUDGET:
            pytest.skip(f"suite budget of {SUITE_BUDGET:.0f}s spent ({spent:.0f}s): PXED_E2E_BUDGET")
        provider = self.provider_factory()
        if not provider.supports(plan):
            pytest.skip(f"DHCP provider {provider.name} cannot serve {plan}")
        accel = self.accelerator.for_firmware(firmware)
        self._n += 1
        labdir = self.workdir / f"{self.test_id}-{self._n}"
        self.last = boot_once(labdir, self.pxed, self.tree, self.iso, provider,
                              plan, firmware, mac, accel, inventory=inventory, timeout=timeout)
        BOOTS.append((self.test_id, self.last.result))
        return self.last


def _test_id(request):
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name).strip("_")


@pytest.fixture(params=e2e_dhcp.selected())
def netboot(request, workdir, pxed_bin, tree, guest, accelerator):
    """Boots VMs through pxed, with each DHCP provider in turn."""
    return Netboot(e2e_dhcp.PROVIDERS[request.param], workdir, pxed_bin, tree, guest,
                   accelerator, _test_id(request))


@pytest.fixture(params=e2e_dhcp.selected())
def bare_netboot(request, workdir, pxed_bin, bare_tree, guest, accelerator):
    """Boots VMs through pxed serving only the loaders: the inventory writes every config."""
    return Netboot(e2e_dhcp.PROVIDERS[request.param], workdir, pxed_bin, bare_tree, guest,
                   accelerator, _test_id(request))
