"""The client OS and the boot tree, built from Debian packages and cached between runs.

- kernel: vmlinuz of the stock Debian kernel, from `apt-get download` of the package
  linux-image-amd64 depends on (downloaded and unpacked, never installed);
- initrd: a busybox-static initramfs (cpio newc, gzip) whose /init prints
  `PXED-E2E-MARKER token=<pxed_token= from the kernel command line>` on the
  console and powers off;
- an ISO image (xorriso) holding both: pxed serves it as a folder, the only way
  to boot from an ISO on these machines (the kernel has no iso9660 driver);
- the served tree: lpxelinux.0, syslinux.efi, pxelinux.cfg/ files and an iPXE script,
  each naming its own token so the marker proves which config the machine used.

Env:
  PXED_E2E_CACHE   where downloads and built images are kept (default /var/cache/pxed-e2e)
"""
import gzip
import hashlib
import io
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

CACHE = Path(os.environ.get("PXED_E2E_CACHE", "/var/cache/pxed-e2e"))
MARKER = "PXED-E2E-MARKER"
BUSYBOX = Path("/bin/busybox")  # busybox-static: runs with no libraries in the initramfs
LPXELINUX = Path("/usr/lib/PXELINUX/lpxelinux.0")
LDLINUX_BIOS = Path("/usr/lib/syslinux/modules/bios/ldlinux.c32")
LDLINUX_EFI64 = Path("/usr/lib/syslinux/modules/efi64/ldlinux.e64")
SYSLINUX_EFI64 = Path("/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi")  # package syslinux-efi
# Debian's signed monolithic network GRUB (package grub-efi-amd64-signed): its embedded
# config sources (tftp,<next-server>)/grub/x86_64-efi/grub.cfg, else /grub/grub.cfg.
GRUBNET_EFI64 = Path("/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed")
# iPXE for UEFI that drives the NIC through the firmware's SNP (package ipxe).
SNPONLY_EFI64 = Path("/usr/lib/ipxe/snponly.efi")

INIT = f"""#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
token=none
for arg in $(/bin/busybox cat /proc/cmdline); do
  case "$arg" in pxed_token=*) token="${{arg#pxed_token=}}" ;; esac
done
# A command line pxed wrote from an image's recipe names no console: the serial
# port the test reads is then written to directly.
out=/dev/console
/bin/busybox grep -q console=ttyS0 /proc/cmdline || out=/dev/ttyS0
echo "PXED-E2E-CMDLINE $(/bin/busybox cat /proc/cmdline)" >$out
echo "{MARKER} token=$token" >$out
/bin/busybox poweroff -f
"""


def _run(argv, timeout=300, **kwargs):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r


def _download_deb(package, into):
    """apt-get download PACKAGE into `into`; the .deb's path. Needs the Debian mirror."""
    into.mkdir(parents=True, exist_ok=True)
    found = sorted(into.glob(f"{package}_*.deb"))
    if found:
        return found[-1]
    try:
        _run(["apt-get", "download", package], cwd=into, timeout=600)
    except RuntimeError as e:
        raise RuntimeError(f"apt-get download {package} failed (no Debian mirror reachable?): {e}")
    found = sorted(into.glob(f"{package}_*.deb"))
    if not found:
        raise RuntimeError(f"apt-get download {package} left no .deb in {into}")
    return found[-1]


def _extract_member(deb, member_glob, dest):
    """Extract the one file of `deb` matching member_glob to dest, without installing."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{dest.name}.unpack-", dir=dest.parent))
    try:
        tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(work), "--wildcards", member_glob],
                       stdin=tar.stdout, check=True, timeout=300)
        tar.stdout.close()
        if tar.wait(timeout=60) != 0:
            raise RuntimeError(f"dpkg-deb --fsys-tarfile {deb} failed")
        matches = list(work.glob(member_glob.lstrip("./")))
        if len(matches) != 1:
            raise RuntimeError(f"{deb}: expected one {member_glob}, found {matches}")
        tmp = dest.with_name(f"{dest.name}.{os.getpid()}.tmp")  # concurrent runs
        shutil.copyfile(matches[0], tmp)
        os.chmod(tmp, 0o644)
        tmp.rename(dest)  # atomic: a crash never leaves a half file in the cache
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def kernel_package():
    """The real linux-image-6.x package behind the linux-image-amd64 metapackage."""
    out = _run(["apt-cache", "depends", "linux-image-amd64"]).stdout
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Depends:") and "linux-image-" in line:
            return line.split()[1]
    raise RuntimeError(f"no linux-image-6.x dependency in:\n{out}")


def kernel():
    """vmlinuz of Debian's stock kernel, cached."""
    package = kernel_package()
    dest = CACHE / f"vmlinuz-{package.removeprefix('linux-image-')}"
    if not dest.exists():
        deb = _download_deb(package, CACHE / "debs")
        _extract_member(deb, "./boot/vmlinuz-*", dest)
    return dest


def syslinux_efi64():
    """syslinux.efi for x86-64 UEFI: installed (syslinux-efi) or downloaded into the cache."""
    if SYSLINUX_EFI64.exists():
        return SYSLINUX_EFI64
    dest = CACHE / "syslinux64.efi"
    if not dest.exists():
        deb = _download_deb("syslinux-efi", CACHE / "debs")
        _extract_member(deb, "./usr/lib/SYSLINUX.EFI/efi64/syslinux.efi", dest)
    return dest


def grubnet_efi64():
    """grubnetx64.efi: installed (grub-efi-amd64-signed) or downloaded into the cache."""
    if GRUBNET_EFI64.exists():
        return GRUBNET_EFI64
    dest = CACHE / "grubnetx64.efi"
    if not dest.exists():
        deb = _download_deb("grub-efi-amd64-signed", CACHE / "debs")
        _extract_member(deb, "./usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed", dest)
    return dest


def snponly_efi64():
    """snponly.efi: installed (ipxe) or downloaded into the cache."""
    if SNPONLY_EFI64.exists():
        return SNPONLY_EFI64
    dest = CACHE / "snponly.efi"
    if not dest.exists():
        deb = _download_deb("ipxe", CACHE / "debs")
        _extract_member(deb, "./usr/lib/ipxe/snponly.efi", dest)
    return dest


def _newc(entries):
    """A cpio archive in the kernel's initramfs format ("newc", no CRC)."""
    out = io.BytesIO()
    for ino, (name, mode, data, rdev) in enumerate(entries + [("TRAILER!!!", 0, b"", (0, 0))], 1):
        encoded = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0]
        out.write(b"070701" + b"".join(b"%08X" % f for f in fields) + encoded)
        out.write(b"\0" * (-(110 + len(encoded)) % 4))
        out.write(data)
        out.write(b"\0" * (-len(data) % 4))
    return out.getvalue()


def initrd():
    """The busybox initramfs, cached under a name that changes with /init and busybox."""
    body = BUSYBOX.read_bytes()
    digest = hashlib.sha256(INIT.encode() + body).hexdigest()[:12]
    dest = CACHE / f"initrd-e2e-{digest}.gz"
    if dest.exists():
        return dest
    d, f, c, lnk = stat.S_IFDIR | 0o755, stat.S_IFREG, stat.S_IFCHR | 0o600, stat.S_IFLNK | 0o777
    entries = [("bin", d, b"", (0, 0)), ("dev", d, b"", (0, 0)), ("proc", d, b"", (0, 0)),
               ("sys", d, b"", (0, 0)),
               ("dev/console", c, b"", (5, 1)),  # init's stdout before anything is mounted
               ("dev/ttyS0", c, b"", (4, 64)),
               ("bin/busybox", f | 0o755, body, (0, 0)),
               ("bin/sh", lnk, b"busybox", (0, 0)),
               ("init", f | 0o755, INIT.encode(), (0, 0))]
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.tmp")  # concurrent runs
    tmp.write_bytes(gzip.compress(_newc(entries), compresslevel=6, mtime=0))
    os.chmod(tmp, 0o644)
    tmp.rename(dest)
    return dest


def iso(vmlinuz, initrd_gz):
    """An ISO 9660 + Rock Ridge + Joliet image with boot/vmlinuz and boot/initrd.gz."""
    digest = hashlib.sha256(f"{vmlinuz.name}{initrd_gz.name}".encode()).hexdigest()[:12]
    dest = CACHE / f"e2e-{digest}.iso"
    if dest.exists():
        return dest
    CACHE.mkdir(parents=True, exist_ok=True)
    src = Path(tempfile.mkdtemp(prefix="iso-src-", dir=CACHE))
    (src / "boot").mkdir()
    shutil.copyfile(vmlinuz, src / "boot" / "vmlinuz")
    shutil.copyfile(initrd_gz, src / "boot" / "initrd.gz")
    (src / "README.txt").write_text("pxed e2e: Debian's kernel and a busybox initramfs\n")
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.tmp")  # concurrent runs
    _run(["xorriso", "-as", "mkisofs", "-R", "-J", "-V", "PXED_E2E", "-o", str(tmp), str(src)])
    shutil.rmtree(src, ignore_errors=True)
    os.chmod(tmp, 0o644)
    tmp.rename(dest)
    return dest


# -- the served tree ----------------------------------------------------------------------
ISO_AT = "/e2e-iso"  # where pxed shows the ISO image's tree ([[files.mount]] at)
KERNEL_PATH = f"{ISO_AT}/boot/vmlinuz"
INITRD_PATH = f"{ISO_AT}/boot/initrd.gz"
CMDLINE = "console=ttyS0 quiet panic=-1"


def pxelinux_cfg(http_base, token):
    """A pxelinux/syslinux.efi config that boots the ISO's kernel over HTTP."""
    return (f"DEFAULT e2e\nPROMPT 0\nTIMEOUT 0\nLABEL e2e\n"
            f"  KERNEL {http_base}{KERNEL_PATH}\n"
            f"  INITRD {http_base}{INITRD_PATH}\n"
            f"  APPEND {CMDLINE} pxed_token={token}\n")


def grub_cfg(http_base, token):
    """Debian's signed grubnetx64.efi has no http module (it asks for
    /grub/x86_64-efi/http.mod): it reads the ISO's kernel over TFTP from pxed."""
    host = http_base.removeprefix("http://")
    return (f"set default=0\nset timeout=0\nmenuentry e2e {{\n"
            f"  linux (tftp,{host}){KERNEL_PATH} {CMDLINE} pxed_token={token}\n"
            f"  initrd (tftp,{host}){INITRD_PATH}\n}}\n")


def ipxe_script(http_base, token):
    # initrd= names the image for the EFI stub under UEFI; BIOS kernels ignore it.
    return (f"#!ipxe\n"
            f"kernel {http_base}{KERNEL_PATH} {CMDLINE} initrd=initrd.gz pxed_token={token}\n"
            f"initrd {http_base}{INITRD_PATH}\n"
            f"boot\n")


def local_disk(path, token):
    """A raw disk whose boot sector prints the marker with `token` on COM1 and powers the
    machine off (ACPI PM1a_CNT at 0x604, where SeaBIOS puts PIIX4's PM block): the proof
    that the firmware moved on to its next boot device."""
    message = f"\r\n{MARKER} token={token}\r\n".encode() + b"\0"
    code = bytes([
        0xFA,                    # cli
        0x31, 0xC0, 0x8E, 0xD8,  # xor ax,ax; mov ds,ax
        0xFC,                    # cld
        0xBA, 0xF8, 0x03,        # mov dx,0x3f8 (COM1)
        0xBE, 0x1E, 0x7C,        # mov si,0x7c1e (the message, right after the code)
        0xAC,                    # next: lodsb
        0x84, 0xC0,              # test al,al
        0x74, 0x03,              # jz off
        0xEE,                    # out dx,al
        0xEB, 0xF8,              # jmp next
        0xBA, 0x04, 0x06,        # off: mov dx,0x604
        0xB8, 0x00, 0x20,        # mov ax,0x2000 (SLP_EN, S5)
        0xEF,                    # out dx,ax
        0xF4, 0xEB, 0xFD,        # hlt; jmp hlt
    ])
    assert len(code) == 0x1E
    sector = code + message
    assert len(sector) <= 510
    sector += b"\0" * (510 - len(sector)) + b"\x55\xAA"
    Path(path).write_bytes(sector + b"\0" * (1024 * 1024 - 512))
    return Path(path)


EFI_GRUB = Path("/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed")  # grub-efi-amd64-signed


def local_efi_disk(path, token):
    """A raw disk with an MBR whose one partition (type 0xEF) is an EFI system partition
    holding the removable-media loader EFI/BOOT/BOOTX64.EFI, Debian's signed GRUB, whose
    grub.cfg prints the marker with `token` and powers the machine off: the proof that
    OVMF moved on to its next boot device. The file system is made with mtools."""
    path = Path(path)
    size, start = 16 * 1024 * 1024, 2048  # bytes; first sector of the partition
    sectors = size // 512 - start
    entry = bytes([0x00, 0, 0, 0, 0xEF, 0, 0, 0]) + start.to_bytes(4, "little") + sectors.to_bytes(4, "little")
    mbr = bytearray(512)
    mbr[446:462] = entry
    mbr[510:512] = b"\x55\xAA"
    with open(path, "wb") as f:
        f.write(mbr)
        f.truncate(size)
    image = f"-i{path}@@{start * 512}"
    subprocess.run(["mformat", image, "-T", str(sectors), "-v", "PXEDLOCAL", "::"], check=True, capture_output=True)
    config = Path(str(path) + ".grub.cfg")
    config.write_text(f'echo "{MARKER} token={token}"\nhalt\n')
    # Debian's GRUB reads its config from /EFI/debian; the others are where other builds look.
    for d in ("::/EFI", "::/EFI/BOOT", "::/EFI/debian", "::/boot", "::/boot/grub"):
        subprocess.run(["mmd", image, d], check=True, capture_output=True)
    subprocess.run(["mcopy", image, str(EFI_GRUB), "::/EFI/BOOT/BOOTX64.EFI"], check=True, capture_output=True)
    for d in ("::/EFI/debian", "::/EFI/BOOT", "::/boot/grub"):
        subprocess.run(["mcopy", image, str(config), f"{d}/grub.cfg"], check=True, capture_output=True)
    return path


def write_tree(root, http_base, pxelinux_configs, ipxe_scripts, grub_configs):
    """The tree pxed serves: lpxelinux.0 + ldlinux.c32 at the root, syslinux.efi +
    ldlinux.e64 + grubnetx64.efi + snponly.efi in efi64/ (syslinux.efi looks for pxelinux.cfg/ next to
    itself), and the configs, each {path: token}: pxelinux/syslinux configs, iPXE
    scripts, GRUB configs."""
    root = Path(root)
    (root / "efi64").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(LPXELINUX, root / "lpxelinux.0")
    shutil.copyfile(LDLINUX_BIOS, root / "ldlinux.c32")
    shutil.copyfile(syslinux_efi64(), root / "efi64" / "syslinux.efi")
    shutil.copyfile(LDLINUX_EFI64, root / "efi64" / "ldlinux.e64")
    shutil.copyfile(grubnet_efi64(), root / "efi64" / "grubnetx64.efi")
    shutil.copyfile(snponly_efi64(), root / "efi64" / "snponly.efi")
    for files, render in ((pxelinux_configs, pxelinux_cfg), (ipxe_scripts, ipxe_script),
                          (grub_configs, grub_cfg)):
        for path, token in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(render(http_base, token))
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            os.chmod(Path(dirpath) / f, 0o644)
    return root
