"""Virtual machines that boot from the lab's network, and the accelerator they use.

Firmware:
  bios        SeaBIOS + QEMU's default ROM for virtio-net-pci (iPXE). No romfile=:
              with an explicit one SeaBIOS skipped the NIC here.
  uefi-ipxe   OVMF + the same default ROM, whose iPXE EFI driver is then the PXE client.
  uefi-pxe    OVMF's own PXE stack: the NIC's ROM disabled with romfile= (as on real
              UEFI hardware).
  uefi-http   OVMF's own UEFI HTTP boot: as uefi-pxe with OVMF's PXE switched off
              (fw_cfg opt/org.tianocore/IPv4PXESupport=n), so HTTPv4 is tried first.
  uefi-pxe-sb as uefi-pxe with Secure Boot enforced: OVMF's secboot build (q35 with SMM,
              as it requires) and variables with Microsoft's keys enrolled, so only a
              Microsoft-signed shim, and what shim trusts, runs.
The serial console goes to a file (SeaBIOS and OVMF print there too with -nographic).
A boot ends when the guest powers off (the marker's init does `poweroff -f`), QEMU
exits, or the deadline passes; the VM is then killed by its process group.
"""
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from e2e_guest import MARKER
from e2e_lab import tail

QEMU = "qemu-system-x86_64"
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS.fd")
OVMF_SB_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd")
OVMF_SB_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.ms.fd")
FIRMWARES = ("bios", "uefi-ipxe", "uefi-pxe", "uefi-http", "uefi-pxe-sb")
BOOT_TIMEOUT = 170  # seconds; the brief's bound is 180 per boot


@dataclass
class BootResult:
    firmware: str
    accel: str
    mac: str
    seconds: float
    returncode: int      # None: killed (see stopped)
    console_path: Path
    qemu_log_path: Path
    console: str = ""    # what the serial console showed, read when the VM stopped
    qemu_log: str = ""
    stopped: str = ""    # why the VM was killed ("" when it powered off or exited)

    def tokens(self):
        """Tokens printed by the guest's init (normally exactly one)."""
        out = []
        for line in self.console.splitlines():
            at = line.find(f"{MARKER} token=")
            if at >= 0:
                out.append(line[at + len(MARKER) + len(" token="):].strip())
        return out

    def console_tail(self, lines=60):
        text = self.console.splitlines()
        return "\n".join(text[-lines:]) if text else f"({self.console_path} empty)"

    def qemu_log_tail(self, lines=20):
        return "\n".join(self.qemu_log.splitlines()[-lines:])

    def summary(self):
        end = f"rc={self.returncode}" if self.returncode is not None else f"killed ({self.stopped})"
        return f"{self.firmware} {self.accel} mac={self.mac} {self.seconds:.1f}s {end} tokens={self.tokens()}"


def argv(firmware, accel, mac, tap, console, workdir, disk=None):
    if firmware not in FIRMWARES:
        raise ValueError(f"firmware {firmware!r}: expected one of {FIRMWARES}")
    secure = firmware == "uefi-pxe-sb"
    machine = f"q35,smm=on,accel={accel}" if secure else f"pc,accel={accel}"
    out = [QEMU, "-machine", machine, "-m", "512", "-smp", "1",
           "-nographic", "-monitor", "none", "-serial", f"file:{console}",
           "-no-reboot", "-boot", "order=nc" if disk else "n",
           "-netdev", f"tap,id=net0,ifname={tap},script=no,downscript=no"]
    nic = f"virtio-net-pci,netdev=net0,mac={mac}"
    if firmware in ("uefi-pxe", "uefi-http", "uefi-pxe-sb"):
        nic += ",romfile="
    out += ["-device", nic]
    # SMBIOS as a vendor's machine has it: iPXE reports these to pxed (spaces need its uristring).
    out += ["-smbios", f"type=1,manufacturer=pxed e2e,product=Test Rig 1,serial=E2E-{mac.replace(':', '')}"]
    if disk and firmware.startswith("uefi"):
        # OVMF follows bootindex, not -boot order: the network first, then the disk.
        out[out.index(nic)] = nic + ",bootindex=1"
        # OVMF tries every network option of the NIC before the disk, each waiting out its
        # own DHCP timeouts: no IPv6 leaves PXE and HTTP boot over IPv4.
        out += ["-fw_cfg", "name=opt/org.tianocore/IPv6Support,string=no"]
        out += ["-drive", f"file={disk},format=raw,if=none,id=disk0", "-device", "ide-hd,drive=disk0,bootindex=2"]
    elif disk:  # the machine's own disk, tried after the network
        out += ["-drive", f"file={disk},format=raw,if=ide"]
    if firmware == "uefi-http":
        out += ["-fw_cfg", "name=opt/org.tianocore/IPv4PXESupport,string=n",
                "-fw_cfg", "name=opt/org.tianocore/IPv6PXESupport,string=n"]
    if firmware.startswith("uefi"):
        code, variables = (OVMF_SB_CODE, OVMF_SB_VARS) if secure else (OVMF_CODE, OVMF_VARS)
        vars_copy = Path(workdir) / f"OVMF_VARS-{mac.replace(':', '')}.fd"
        shutil.copyfile(variables, vars_copy)  # OVMF writes boot entries into its own copy
        if secure:  # the secboot build keeps its variables where only SMM may write them
            out += ["-global", "driver=cfi.pflash01,property=secure,value=on"]
        out += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
                "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}"]
    return out


# What QEMU prints when an accelerator cannot run this firmware.
ACCEL_FAILURES = ("KVM internal error", "emulation failure", "failed to initialize kvm",
                  "Could not access KVM")
# What the console shows when the boot has failed for good: stop waiting (the test then
# fails with the console and the server logs instead of idling to the deadline).
DEAD_ENDS = ("No bootable device",                      # SeaBIOS, after the ROM gave up
             "No bootable option or device was found",  # OVMF's boot manager
             "Shell> ",                                 # OVMF fell through to its shell
             "grub> ",                                  # GRUB found no config
             "Failed to boot both default and fallback entries",  # GRUB
             "Kernel panic - not syncing",
             "Could not find kernel image")             # pxelinux, then its boot: prompt


def boot(lab, firmware, mac, accel="tcg", timeout=BOOT_TIMEOUT, name=None, stall=None, disk=None, until=None):
    """Boot one VM on the lab's tap until it powers off; never longer than `timeout`.

    stall: give up early when the console has not changed for this many seconds
    (the KVM probe uses it: iPXE hangs silently under KVM here).
    until: a callable; the VM is stopped as soon as it returns true (an installer
    that never powers off by itself: the test waits for what it asked pxed).
    """
    name = name or f"{firmware}-{accel}-{mac.replace(':', '')}"
    console = lab.workdir / f"console-{name}.log"
    qemu_log = lab.workdir / f"qemu-{name}.log"
    console.unlink(missing_ok=True)
    cmd = argv(firmware, accel, mac, lab.tap, console, lab.workdir, disk)
    with open(qemu_log, "wb") as log:
        log.write((" ".join(cmd) + "\n").encode())
        log.flush()
        started = time.monotonic()
        proc = subprocess.Popen(["ip", "netns", "exec", lab.lan_ns, *cmd],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        rc = None
        last_size, last_change = -1, started
        why = ""
        try:
            while time.monotonic() - started < timeout:
                rc = proc.poll()
                if rc is not None:
                    break
                size = console.stat().st_size if console.exists() else 0
                now = time.monotonic()
                if size != last_size:
                    last_size, last_change = size, now
                    seen = [d for d in DEAD_ENDS if d in _read(console)]
                    if seen:
                        why = f"console: {seen[0]!r}"
                        break
                elif stall and now - last_change > stall:
                    why = f"console silent for {stall}s"
                    break
                seen = [f for f in ACCEL_FAILURES if f in tail(qemu_log, 5)]
                if seen:
                    why = f"qemu: {seen[0]!r}"
                    break
                if until is not None and until():
                    why = "reached"
                    break
                time.sleep(0.1)
            else:
                why = f"deadline of {timeout}s"
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)  # the VM's own group only
                proc.wait(timeout=10)
            else:
                rc = proc.returncode
    seconds = time.monotonic() - started
    return BootResult(firmware, accel, mac, seconds, rc, console, qemu_log,
                      _read(console), _read(qemu_log), why if rc is None else "")


def _read(path):
    try:
        return Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return ""


def kvm_usable():
    return os.access("/dev/kvm", os.R_OK | os.W_OK)
