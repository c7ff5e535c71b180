#!/usr/bin/python3
"""Captures the first DHCPDISCOVER that QEMU's firmware sends, as golden fixtures
for tests/unit/dhcp (STYLE.md: packets captured from QEMU's iPXE and OVMF).

  ipxe_bios_discover.bin  SeaBIOS + the default iPXE ROM of virtio-net-pci
  ipxe_efi_discover.bin   OVMF + the NIC's iPXE EFI ROM (the default)
  ovmf_pxe_discover.bin   OVMF's own PXE stack (NIC ROM disabled with romfile=)

Runs as root. Everything happens inside a network namespace made here
(pxh-codec-cap: a bridge and a tap, no address, no route out); nothing is
sent on the machine's real interfaces. QEMU runs with TCG: QEMU's iPXE ROM
hangs under KVM on our machines (DESIGN.md). Packages: qemu-system-x86,
ipxe-qemu, ovmf, tcpdump (scripts/setup).

Usage: sudo /usr/bin/python3 tests/unit/data/dhcp/capture.py [--seconds 60] [name ...]
"""
import argparse
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NS = "pxh-codec-cap"
MAC = "52:54:00:12:34:56"
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE.fd"  # 2 MiB build, pairs with OVMF_VARS.fd
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS.fd"

FIRMWARE = {
    "ipxe_bios": {"uefi": False, "romfile": None},
    "ipxe_efi": {"uefi": True, "romfile": None},
    "ovmf_pxe": {"uefi": True, "romfile": ""},
}


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def ns(*args, check=True):
    return sh("ip", "netns", "exec", NS, *args, check=check)


def make_namespace():
    sh("ip", "netns", "del", NS, check=False)
    sh("ip", "netns", "add", NS)
    ns("ip", "link", "set", "lo", "up")
    ns("ip", "link", "add", "br0", "type", "bridge")
    ns("ip", "tuntap", "add", "dev", "tap0", "mode", "tap")
    ns("ip", "link", "set", "tap0", "master", "br0")
    ns("ip", "link", "set", "tap0", "up")
    ns("ip", "link", "set", "br0", "up")


def udp_payloads(pcap_path):
    """UDP payloads of Ethernet/IPv4 frames in a classic pcap file."""
    try:
        with open(pcap_path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    pos = 24
    while pos + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17 or len(ip) < ihl + 8:
            continue
        udp_len = struct.unpack(">H", ip[ihl + 4:ihl + 6])[0]
        yield ip[ihl + 8:ihl + udp_len]


def message_type(payload):
    """Option 53 of a DHCP payload (main options field only), or None."""
    if len(payload) < 240 or payload[236:240] != b"\x63\x82\x53\x63":
        return None
    i = 240
    while i < len(payload):
        code = payload[i]
        if code == 0:
            i += 1
            continue
        if code == 255 or i + 1 >= len(payload):
            return None
        length = payload[i + 1]
        if code == 53 and length == 1 and i + 2 < len(payload):
            return payload[i + 2]
        i += 2 + length
    return None


def qemu_command(name, workdir):
    fw = FIRMWARE[name]
    device = f"virtio-net-pci,netdev=n0,mac={MAC}"
    if fw["romfile"] is not None:
        device += f",romfile={fw['romfile']}"
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-nographic", "-m", "256",
           "-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no",
           "-device", device, "-boot", "n"]
    if fw["uefi"]:
        vars_copy = os.path.join(workdir, f"{name}_vars.fd")
        shutil.copyfile(OVMF_VARS, vars_copy)
        cmd += ["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
                "-drive", f"if=pflash,format=raw,file={vars_copy}"]
    return cmd


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def capture(name, workdir, seconds):
    pcap = os.path.join(workdir, f"{name}.pcap")
    log = open(os.path.join(workdir, f"{name}.log"), "wb")
    tcpdump = subprocess.Popen(["ip", "netns", "exec", NS, "tcpdump", "-i", "br0", "-U", "-s", "0",
                                "-w", pcap, "udp port 67 or udp port 68 or udp port 4011"],
                               stdout=log, stderr=log)
    qemu = None
    try:
        time.sleep(1)  # tcpdump opening the bridge: nothing can arrive before qemu starts anyway
        qemu = subprocess.Popen(["ip", "netns", "exec", NS] + qemu_command(name, workdir),
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for payload in udp_payloads(pcap):
                if message_type(payload) == 1:
                    return payload
            if qemu.poll() is not None:
                break
            time.sleep(1)
        return None
    finally:
        if qemu is not None:
            stop(qemu)
        stop(tcpdump)
        log.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60, help="give each firmware this long (default 60)")
    parser.add_argument("--keep", action="store_true", help="keep the pcaps and qemu logs")
    parser.add_argument("names", nargs="*", default=list(FIRMWARE))
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("capture.py: needs root (network namespace, tap)")
    workdir = tempfile.mkdtemp(prefix="pxh-codec-cap-")
    failed = []
    try:
        make_namespace()
        for name in args.names:
            payload = capture(name, workdir, args.seconds)
            if payload is None:
                print(f"{name}: no DHCPDISCOVER within {args.seconds} s (logs in {workdir})")
                failed.append(name)
                continue
            out = os.path.join(HERE, f"{name}_discover.bin")
            with open(out, "wb") as f:
                f.write(payload)
            print(f"{name}: {len(payload)} bytes -> {out}")
    finally:
        sh("ip", "netns", "del", NS, check=False)
        if not args.keep and not failed:
            shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
