"""Command lines for the real TFTP clients (Debian 12 packages curl, atftp, tftp-hpa,
busybox), each a function (server_ip, remote, local) -> argv.

What each one puts in its RRQ (captured here):
  curl            tsize=0 blksize=512 timeout=<s>  (--tftp-blksize N changes blksize,
                  --tftp-no-options sends none)
  atftp           only the --option values given ("tsize 0" works, "tsize enable" sends
                  the literal text "enable")
  tftp-hpa tftp   no options at all: 512-byte lockstep
  busybox tftp    tsize=0, plus blksize=N with -b N
"""


def curl(*extra):
    def argv(ip, remote, local):
        # --max-time bounds the run; curl derives its own retry interval from it.
        return ["curl", "-sS", "--max-time", "100", *extra, "-o", str(local),
                f"tftp://{ip}/{remote}"]
    return argv


def atftp(*options, timeout=1):
    def argv(ip, remote, local):
        out = ["atftp", "--get", "-r", remote, "-l", str(local),
               "--tftp-timeout", str(timeout)]
        for o in options:
            out += ["--option", o]
        return out + [ip]
    return argv


def tftp_hpa(mode="binary"):
    def argv(ip, remote, local):
        return ["tftp", ip, "-m", mode, "-c", "get", remote, str(local)]
    return argv


def busybox(*extra):
    def argv(ip, remote, local):
        return ["busybox", "tftp", "-g", "-r", remote, "-l", str(local), *extra, ip]
    return argv


# The matrix the client tests run: id -> argv builder.
CLIENTS = {
    "curl": curl(),
    "curl-blksize1468": curl("--tftp-blksize", "1468"),
    "curl-no-options": curl("--tftp-no-options"),
    "atftp-plain": atftp(),
    "atftp-blksize-tsize-window": atftp("blksize 1468", "tsize 0", "windowsize 8"),
    "tftp-hpa": tftp_hpa(),
    "busybox": busybox(),
    "busybox-blksize1468": busybox("-b", "1468"),
}
