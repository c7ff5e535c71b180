"""The machines of the boot matrix: which MAC gets which config, and why."""
from e2e_lab import SERVER_IP, SUBNET

HTTP_BASE = f"http://{SERVER_IP}"  # how the guests reach pxed

MAC_BY_MAC = "52:54:00:e2:e0:01"      # has pxelinux.cfg/01-<mac>
MAC_BY_HEXIP = "52:54:00:e2:e0:02"    # no MAC config; reserved address matches the hex-IP file
MAC_DEFAULT = "52:54:00:e2:e0:03"     # neither: pxelinux.cfg/default
MAC_SCRIPT_BIOS = "52:54:00:e2:e0:04"
MAC_SCRIPT_UEFI = "52:54:00:e2:e0:05"
MAC_EFI_BY_MAC = "52:54:00:e2:e0:06"  # efi64/pxelinux.cfg/01-<mac> for syslinux.efi
MAC_GRUB = "52:54:00:e2:e0:07"
MAC_HTTP_BOOT = "52:54:00:e2:e0:08"

HEXIP_ADDRESS = f"{SUBNET}.200"       # 10.244.0.200 = 0AF400C8
# pxelinux drops one hex digit at a time: 0AF400C8, 0AF400C, ... so 0AF400C matches
# 10.244.0.192-207 and no address of the dynamic range (.100-.150).
HEXIP_CONFIG = "0AF400C"
SCRIPT = "boot.ipxe"
GRUB_LOADER = "efi64/grubnetx64.efi"
SNPONLY = "efi64/snponly.efi"
GRUB_CONFIG = "grub/grub.cfg"  # where Debian's grubnetx64.efi looks (prefix /grub)


def mac_config(mac):
    """pxelinux's per-MAC config name: ARP type 01, lower-case, dashes."""
    return "01-" + mac.lower().replace(":", "-")


def hex_ip(address):
    return "".join(f"{int(octet):02X}" for octet in address.split("."))


assert hex_ip(HEXIP_ADDRESS).startswith(HEXIP_CONFIG) and hex_ip(HEXIP_ADDRESS) != HEXIP_CONFIG
