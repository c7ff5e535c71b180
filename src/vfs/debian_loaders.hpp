#pragma once
// The network boot loaders Debian 12's packages install, and the names they
// have in pxed's tree when files.root holds none of that name ([files]
// system_loaders, on by default). Paths from `dpkg -L` of each package.
//
// The layout is the one the loaders expect of a TFTP root:
// - BIOS at the root: lpxelinux.0 (or pxelinux.0) asks ldlinux.c32 and the
//   other *.c32 modules, and pxelinux.cfg/, next to itself.
// - efi64/ for x86-64 UEFI: syslinux.efi asks ldlinux.e64, its *.c32 and
//   pxelinux.cfg/ next to itself too, and an EFI module has the name of the
//   BIOS one it must not be confused with (menu.c32), hence a directory of its
//   own. efi32/ likewise.
// - iPXE: undionly.kpxe (BIOS, over the ROM's UNDI), ipxe.efi and snponly.efi
//   (UEFI; snponly.efi drives the firmware's own network driver), ipxe.lkrn.
// - Secure Boot: Debian's signed shim and GRUB. shim asks grubx64.efi next to
//   itself, taking the directory from the BOOTP file field (FIRMWARE.md 27), so
//   both sit at the root and again in efi64/. The GRUB is grubnetx64, the build
//   for network boot; it reads only the firmware's cached DHCP ACK, never a
//   ProxyDHCP offer (FIRMWARE.md 29).
#include <array>

#include "vfs/system_files.hpp"

namespace pxed::vfs {

inline constexpr std::array<SystemSource, 22> kDebianLoaders = {{
    // pxelinux
    {"lpxelinux.0", "/usr/lib/PXELINUX", "", "pxelinux"},
    {"pxelinux.0", "/usr/lib/PXELINUX", "", "pxelinux"},
    // syslinux-common: the modules of both
    {"*.c32", "/usr/lib/syslinux/modules/bios", "", "syslinux-common"},
    // memdisk: pxelinux boots a small image through it (osid::kMemdiskName,
    // BIOS only); a plain name pxelinux resolves next to lpxelinux.0.
    {"memdisk", "/usr/lib/syslinux", "", "syslinux-common"},
    // syslinux-efi
    {"efi64/syslinux.efi", "/usr/lib/SYSLINUX.EFI/efi64", "", "syslinux-efi"},
    {"efi64/*.e64", "/usr/lib/syslinux/modules/efi64", "", "syslinux-common"},
    {"efi64/*.c32", "/usr/lib/syslinux/modules/efi64", "", "syslinux-common"},
    {"efi32/syslinux.efi", "/usr/lib/SYSLINUX.EFI/efi32", "", "syslinux-efi"},
    {"efi32/*.e32", "/usr/lib/syslinux/modules/efi32", "", "syslinux-common"},
    {"efi32/*.c32", "/usr/lib/syslinux/modules/efi32", "", "syslinux-common"},
    // ipxe. /usr/lib/ipxe/ipxe.efi and ipxe.lkrn are absolute symlinks into
    // /boot, which resolving beneath /usr/lib/ipxe refuses: they are served
    // from /boot, by these two names only.
    {"undionly.kpxe", "/usr/lib/ipxe", "", "ipxe"},
    {"undionly.kkpxe", "/usr/lib/ipxe", "", "ipxe"},
    {"ipxe.pxe", "/usr/lib/ipxe", "", "ipxe"},
    {"snponly.efi", "/usr/lib/ipxe", "", "ipxe"},
    {"ipxe.efi", "/boot", "", "ipxe"},
    {"ipxe.lkrn", "/boot", "", "ipxe"},
    {"efi64/snponly.efi", "/usr/lib/ipxe", "", "ipxe"},
    {"efi64/ipxe.efi", "/boot", "", "ipxe"},
    // shim-signed, grub-efi-amd64-signed
    {"shimx64.efi", "/usr/lib/shim", "shimx64.efi.signed", "shim-signed"},
    {"grubx64.efi", "/usr/lib/grub/x86_64-efi-signed", "grubnetx64.efi.signed", "grub-efi-amd64-signed"},
    {"efi64/shimx64.efi", "/usr/lib/shim", "shimx64.efi.signed", "shim-signed"},
    {"efi64/grubx64.efi", "/usr/lib/grub/x86_64-efi-signed", "grubnetx64.efi.signed", "grub-efi-amd64-signed"},
}};

}  // namespace pxed::vfs
