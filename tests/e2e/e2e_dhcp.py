"""DHCP providers: who hands the virtual machine its address and boot file.

A test says *what* each firmware should boot (a BootPlan); a provider makes a DHCP
server say it. Today: dnsmasq (DHCP only, its DNS and TFTP off) or Kea, in the lab's
dhcp namespace, naming pxed as next-server, so every boot file comes from pxed.
Adding a provider (pxed in full mode; pxed in proxy mode beside Kea, which is
`class PxedProxy(Kea)` with boot_options = False plus pxed_toml) is a class with these
members and one line in PROVIDERS (and DEFAULT_PROVIDERS):

    class PxedFull(Provider):
        name = "pxed-full"
        def pxed_toml(self, lab, plan):           # pxed's own [dhcp] and [boot] tables
            return f'''[dhcp]\nmode = "full"\n...\n[boot]\nbios = "{plan.bios}"\n...'''
        def start(self, lab, plan): pass          # pxed itself is the server
        def stop(self): pass

pxed_toml() is appended to pxed's config before pxed starts; start() runs after.
supports(plan) may turn a provider down for a plan it cannot serve (the test is skipped).
PXED_E2E_PROVIDERS=dnsmasq,kea picks which providers run (default: DEFAULT_PROVIDERS).
"""
import json
import os
from dataclasses import dataclass, field

from e2e_lab import SUBNET, tail

RANGE = (f"{SUBNET}.100", f"{SUBNET}.150")


@dataclass
class BootPlan:
    """What each kind of client is told to boot; None: nothing for it."""
    bios: str = None    # boot file for BIOS PXE ROMs (iPXE ROM included unless ipxe is set)
    efi64: str = None   # boot file for x86-64 UEFI (option 93 = 7 or 9)
    ipxe: str = None    # URL for clients already running iPXE (user class "iPXE")
    efi64_http: str = None  # URL for UEFI HTTP boot clients (vendor class "HTTPClient")
    hosts: dict = field(default_factory=dict)  # mac -> fixed address
    default: str = None  # pxed's [boot] default profile (the inventory); other servers ignore it
    local_boot: str = None  # pxed's [boot] local_boot ("next-device": no offer for local machines)


class Provider:
    name = "?"
    log_path = None

    def supports(self, plan):
        """False: tests with this plan are skipped for this provider (say why in a comment)."""
        return True

    def pxed_toml(self, lab, plan):
        return ""

    def start(self, lab, plan):
        raise NotImplementedError

    def stop(self):
        pass

    def log_tail(self, lines=60):
        return tail(self.log_path, lines) if self.log_path else "(no log)"


class Dnsmasq(Provider):
    """dnsmasq as the site's DHCP server, pointing PXE clients at pxed (next-server)."""
    name = "dnsmasq"

    def __init__(self):
        self.proc = None

    def argv(self, lab, plan):
        argv = ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0",
                "--user=root", "--group=root", "--log-dhcp", "--log-facility=-",
                f"--pid-file={lab.workdir / 'dnsmasq.pid'}",
                f"--dhcp-leasefile={lab.workdir / 'dnsmasq.leases'}",
                "--interface=pxe2e-dhcp", "--bind-interfaces",
                f"--dhcp-range={RANGE[0]},{RANGE[1]},255.255.255.0,10m",
                f"--dhcp-option=66,{lab.server_ip}"]
        argv += [f"--dhcp-host={mac},{ip}" for mac, ip in plan.hosts.items()]
        others = ""
        if plan.ipxe:
            # RFC 3004 user class; iPXE sends "iPXE" (FIRMWARE.md 11: no chainload loop).
            argv += ["--dhcp-userclass=set:ipxe,iPXE", f"--dhcp-boot=tag:ipxe,{plan.ipxe}"]
            others = "tag:!ipxe,"
        if plan.efi64_http:
            # UEFI HTTP boot: a URL, and option 60 "HTTPClient" echoed (FIRMWARE.md 10).
            argv += ["--dhcp-vendorclass=set:http,HTTPClient",
                     "--dhcp-option-force=tag:http,60,HTTPClient",
                     f"--dhcp-boot=tag:http,{others}{plan.efi64_http}"]
            others += "tag:!http,"
        # RFC 4578 option 93: 7 and 9 both mean x86-64 UEFI in practice (FIRMWARE.md 23).
        argv += ["--dhcp-match=set:efi64,option:client-arch,7",
                 "--dhcp-match=set:efi64,option:client-arch,9"]
        if plan.bios:
            argv.append(f"--dhcp-boot={others}tag:!efi64,{plan.bios},,{lab.server_ip}")
        if plan.efi64:
            argv.append(f"--dhcp-boot={others}tag:efi64,{plan.efi64},,{lab.server_ip}")
        return argv

    def start(self, lab, plan):
        self.proc = lab.spawn(lab.dhcp_ns, self.argv(lab, plan), "dnsmasq.log")
        self.log_path = self.proc.log_path
        self.proc.wait_log(r"DHCP, IP range", 10, "dnsmasq to start")

    def stop(self):
        if self.proc is not None:
            self.proc.stop()


class Kea(Provider):
    """Kea 2.2 as the site's DHCP server. With boot_options it names pxed as next-server
    and hands out the boot files itself (client classes); without, it only hands out
    addresses, which is the foreign server a "pxed proxy" provider runs beside."""
    name = "kea"
    boot_options = True

    def __init__(self):
        self.proc = None

    def classes(self, lab, plan):
        """Kea gives a packet the boot-file-name of the first matching class, in order."""
        out = []
        if plan.ipxe:
            out.append({"name": "ipxe", "test": "option[77].hex == 'iPXE'",
                        "boot-file-name": plan.ipxe})
        if plan.efi64_http:
            out.append({"name": "http", "test": "substring(option[60].hex,0,10) == 'HTTPClient'",
                        "boot-file-name": plan.efi64_http,
                        "option-data": [{"name": "vendor-class-identifier", "data": "HTTPClient"}]})
        efi = "option[93].hex == 0x0007 or option[93].hex == 0x0009"
        if plan.efi64:
            out.append({"name": "efi64", "test": efi, "next-server": lab.server_ip,
                        "boot-file-name": plan.efi64})
        if plan.bios:
            out.append({"name": "bios", "test": f"not ({efi})", "next-server": lab.server_ip,
                        "boot-file-name": plan.bios})
        return out

    def config(self, lab, plan):
        subnet = {"subnet": f"{SUBNET}.0/24", "interface": "pxe2e-dhcp",
                  "pools": [{"pool": f"{RANGE[0]} - {RANGE[1]}"}],
                  "reservations": [{"hw-address": mac, "ip-address": ip}
                                   for mac, ip in plan.hosts.items()]}
        dhcp4 = {
            "interfaces-config": {"interfaces": ["pxe2e-dhcp"], "dhcp-socket-type": "raw"},
            "lease-database": {"type": "memfile", "persist": True,
                               "name": str(lab.workdir / "kea-leases.csv")},
            "valid-lifetime": 600,
            "subnet4": [subnet],
            "loggers": [{"name": "kea-dhcp4", "severity": "DEBUG", "debuglevel": 15,
                         "output_options": [{"output": "stdout"}]}]}
        if self.boot_options:  # Kea 2.2 refuses an empty client-classes list
            dhcp4["client-classes"] = self.classes(lab, plan)
        return {"Dhcp4": dhcp4}

    def start(self, lab, plan):
        config = lab.workdir / "kea-dhcp4.json"
        config.write_text(json.dumps(self.config(lab, plan), indent=1))
        state = lab.workdir / "kea-run"
        state.mkdir(exist_ok=True)
        # Kea 2.2 wants writable pid and lock dirs, and shows no :67 listener (raw
        # socket): its DHCP4_STARTED log line is the only sign it is ready.
        self.proc = lab.spawn(lab.dhcp_ns, ["env", f"KEA_PIDFILE_DIR={state}",
                                            f"KEA_LOCKFILE_DIR={state}",
                                            "kea-dhcp4", "-c", config], "kea.log")
        self.log_path = self.proc.log_path
        self.proc.wait_log(r"DHCP4_STARTED", 15, "kea-dhcp4 to start")

    def stop(self):
        if self.proc is not None:
            self.proc.stop()


def pxed_boot_toml(plan):
    """The plan as pxed's [boot] table: what each firmware gets first."""
    keys = {"bios": plan.bios, "efi64": plan.efi64, "ipxe": plan.ipxe, "http": plan.efi64_http,
            "default": plan.default, "local_boot": plan.local_boot}
    return "[boot]\n" + "".join(f'{k} = "{v}"\n' for k, v in keys.items() if v)


class PxedFull(Provider):
    """pxed is the network's DHCP server too: addresses, and boot files from [boot]."""
    name = "pxed-full"

    def pxed_toml(self, lab, plan):
        reservations = "".join(f'[[dhcp.subnet.reservation]]\nmac = "{mac}"\nip = "{ip}"\n'
                               for mac, ip in plan.hosts.items())
        return (f'[dhcp]\nmode = "full"\n[[dhcp.subnet]]\nnetwork = "{SUBNET}.0/24"\n'
                f'range = ["{RANGE[0]}", "{RANGE[1]}"]\nlease_time = "10m"\n{reservations}\n'
                + pxed_boot_toml(plan))

    def start(self, lab, plan):
        self.log_path = lab.pxed.log_path  # pxed's own log shows the DHCP side too

    def stop(self):
        pass


class PxedProxy(Kea):
    """Kea hands out addresses and knows nothing of booting; pxed in proxy mode adds
    the boot files (ProxyDHCP on 67 and 4011), as in an office whose DHCP you cannot touch."""
    name = "pxed-proxy"
    boot_options = False

    def supports(self, plan):
        # GRUB 2.06 never reads a ProxyDHCP answer (FIRMWARE.md 29): no proxy server can
        # make it boot, so that plan is for full-mode providers only.
        # shim chains to GRUB.
        return not any(name in (plan.efi64 or "") for name in ("grub", "shim"))

    def pxed_toml(self, lab, plan):
        return '[dhcp]\nmode = "proxy"\n' + pxed_boot_toml(plan)


# id -> factory; conftest parametrizes the DHCP fixture over these.
PROVIDERS = {
    "dnsmasq": Dnsmasq,
    "kea": Kea,
    "pxed-full": PxedFull,
    "pxed-proxy": PxedProxy,
}
# What runs when PXED_E2E_PROVIDERS is unset: pxed as the whole stack, and pxed beside a
# foreign DHCP server (Kea), each through the full firmware matrix (~4-7 minutes each here).
# dnsmasq and kea (booting files from pxed's TFTP/HTTP) are opt-in comparisons.
DEFAULT_PROVIDERS = ["pxed-full", "pxed-proxy"]


def selected():
    """The providers this run uses: PXED_E2E_PROVIDERS (comma-separated ids) or all."""
    wanted = [p for p in os.environ.get("PXED_E2E_PROVIDERS", "").split(",") if p]
    unknown = [p for p in wanted if p not in PROVIDERS]
    if unknown:
        raise ValueError(f"PXED_E2E_PROVIDERS: unknown {unknown}; known: {list(PROVIDERS)}")
    return wanted or DEFAULT_PROVIDERS
