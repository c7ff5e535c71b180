"""Every image pxed serves, identified: [[files.mount]] images and files.iso_dir's,
each matched against the installed osinfo-db. Read as a user would: GET
/api/v1/images with curl, /metrics with Prometheus' own parser, the iso.* events
in the log, and `pxed iso list` with no server. The images are built by xorriso
with the volume id of a real release ("Debian 11.5.0 amd64 n", which Debian 12's
osinfo-db knows as debian11) and with one no rule knows."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

import netlab
from suite import PXED_BIN

OSINFO = Path("/usr/share/osinfo")
DEBIAN_VOLUME = "Debian 11.5.0 amd64 n"

pytestmark = [
    pytest.mark.pxed_only("the image catalogue is pxed's own"),
    pytest.mark.skipif(shutil.which("xorriso") is None, reason="xorriso not installed"),
    pytest.mark.skipif(not (OSINFO / "os").is_dir(), reason="osinfo-db not installed"),
]


@pytest.fixture(scope="module")
def built(workdir):
    return {
        "debian": netlab.build_image(workdir, "debian", DEBIAN_VOLUME,
                              {"install.amd/vmlinuz": b"k" * 3000, "install.amd/initrd.gz": b"i" * 5000}),
        "blank": netlab.build_image(workdir, "blank", "PXEDTEST", {"readme.txt": b"nothing to boot"}),
    }


@pytest.fixture(scope="module")
def iso_dir(workdir, built):
    d = workdir / "images-dir"
    d.mkdir()
    os.chmod(d, 0o755)
    netlab.install_image(d, built["debian"], "debian-11.iso")
    netlab.install_image(d, built["blank"], "blank.iso")
    return d


@pytest.fixture(scope="module")
def mounted(workdir, built):
    """A [[files.mount]] image: a copy of the Debian one at /install/debian."""
    path = workdir / "mounted-debian.iso"
    shutil.copyfile(built["debian"], path)
    os.chmod(path, 0o644)
    return path


def files_toml(iso_dir, mounted):
    return [f'iso_dir = "{iso_dir}"', "[[files.mount]]", 'at = "/install/debian"', f'iso = "{mounted}"']


@pytest.fixture(scope="module")
def lab(workdir, tree, server_kind, iso_dir, mounted):
    yield from netlab.served_lab(workdir, tree, server_kind, PXED_BIN, http_overrides={},
                                 files_extra=files_toml(iso_dir, mounted))


def get_json(lab, path):
    r = netlab.curl_http(lab, path, "-f")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def images(lab):
    return {i["url"]: i for i in get_json(lab, "/api/v1/images")["images"]}


def settled(lab):
    """The catalogue once osinfo-db has loaded and nothing is pending."""
    def done():
        got = images(lab)
        return got if got and all(i["state"] != "pending" for i in got.values()) else None
    return netlab.wait_for(done, 20, "every image identified or unknown")


def image_gauges(lab):
    r = netlab.curl_http(lab, "/metrics", "-f")
    assert r.returncode == 0, r.stderr
    for family in text_string_to_metric_families(r.stdout):
        if family.name == "pxed_images":
            assert family.type == "gauge"
            return {s.labels["os"]: s.value for s in family.samples}
    raise AssertionError("no pxed_images family in /metrics")


def test_every_image_served_is_in_the_api_with_its_os(lab, iso_dir, mounted):
    got = settled(lab)
    assert sorted(got) == ["/install/debian/", "/iso/blank/", "/iso/debian-11/"], got
    debian = got["/iso/debian-11/"]
    assert debian["state"] == "identified"
    assert debian["name"] == "debian-11"
    assert debian["source"] == "iso_dir"
    assert debian["file"] == str(iso_dir / "debian-11.iso")
    assert debian["size"] == (iso_dir / "debian-11.iso").stat().st_size
    assert debian["format"] == "iso9660" and debian["naming"] == "rock-ridge"
    assert debian["volume_id"] == DEBIAN_VOLUME
    os_ = debian["os"]
    assert os_["id"] == "http://debian.org/debian/11" and os_["short_id"] == "debian11"
    assert os_["distro"] == "debian" and os_["family"] == "linux" and os_["arch"] == "x86_64"
    assert os_["kind"] == "installer" and os_["installer"] is True and os_["live"] is False
    assert os_["kernel"] == "install.amd/vmlinuz" and os_["initrd"] == "install.amd/initrd.gz"
    assert DEBIAN_VOLUME in debian["reason"]

    # How each boots (docs/images.md), its URLs from ${http}: a Debian installer image needs
    # the netboot installer of its release; an image nothing is known of is sanbooted whole.
    assert (debian["boot"]["method"], debian["boot"]["rule"]) == ("none", "debian-installer"), debian["boot"]
    assert "netboot" in debian["boot"]["reason"]

    blank = got["/iso/blank/"]
    assert blank["state"] == "unknown" and blank["os"] is None
    assert "PXEDTEST" in blank["reason"]
    assert blank["boot"]["method"] == "sanboot", blank["boot"]
    assert blank["boot"]["kernel"] == "${http}/iso/blank.iso", blank["boot"]

    mount = got["/install/debian/"]
    assert mount["source"] == "mount" and mount["file"] == str(mounted)
    assert mount["os"]["short_id"] == "debian11"
    # The kernel the catalogue names is there, at the URL it gives.
    r = netlab.curl_http(lab, f"{debian['url']}{os_['kernel']}", "-f", "-o", "/dev/null", "-w", "%{size_download}")
    assert r.stdout == "3000", r.stderr
    assert "/api/v1/images" in get_json(lab, "/api/v1/")["endpoints"]


def test_each_image_file_is_served_whole_with_ranges_beside_its_folder(lab, iso_dir, tmp_path):
    # casper's url=, dracut's root=live: and iPXE's sanboot fetch the image itself.
    whole = (iso_dir / "debian-11.iso").read_bytes()
    out = tmp_path / "image"
    r = netlab.curl_http(lab, "/iso/debian-11.iso", "-f", "-r", "32768-32895", out=out)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == whole[32768:32896]  # the primary volume descriptor
    r = netlab.curl_http(lab, "/iso/debian-11.iso", "-f", out=out)
    assert r.returncode == 0 and out.read_bytes() == whole, r.stderr
    listing = json.loads(netlab.curl_http(lab, "/iso/", "-f", "-H", "Accept: application/json").stdout)
    entries = {e["name"]: e for e in listing}
    assert entries["debian-11.iso"]["type"] == "file" and entries["debian-11.iso"]["size"] == len(whole), entries
    assert entries["debian-11"]["type"] == "directory", entries
    r = netlab.curl_http(lab, "/iso/debian-11.iso/install.amd/vmlinuz", "-o", "/dev/null", "-w", "%{http_code}")
    assert r.stdout == "404", r.stdout


def test_images_served_from_the_start_are_identified_in_events(lab):
    settled(lab)
    for at, os_ in (("/iso/debian-11", "debian11"), ("/install/debian", "debian11"), ("/iso/blank", "unknown")):
        e = lab.server.wait_event("iso.identified", at=at)
        assert e.fields["os"] == os_, e.fields
    e = lab.server.wait_event("iso.identified", at="/iso/debian-11")
    assert e.fields["os_name"] == "Debian 11" and e.fields["os_kind"] == "installer", e.fields
    assert "PXEDTEST" in lab.server.wait_event("iso.identified", at="/iso/blank").fields["os_reason"]


def test_metrics_count_images_by_os(lab):
    settled(lab)
    assert image_gauges(lab) == {"debian11": 2.0, "unknown": 1.0}


def test_an_image_copied_in_later_says_its_os_when_added_and_leaves_when_removed(lab, iso_dir, built):
    settled(lab)
    mark = lab.server.mark()
    netlab.install_image(iso_dir, built["debian"], "late.iso")
    e = lab.server.wait_event("iso.added", since=mark, at="/iso/late")
    assert e.fields["os"] == "debian11" and e.fields["os_version"] == "11", e.fields
    assert e.fields["os_arch"] == "x86_64" and e.fields["os_kind"] == "installer", e.fields
    got = images(lab)
    assert got["/iso/late/"]["state"] == "identified"
    assert image_gauges(lab)["debian11"] == 3.0
    assert not [x for x in lab.server.events("iso.identified", since=mark) if x.fields.get("at") == "/iso/late"]

    # Replaced by an image nothing knows: the catalogue follows the file.
    mark = lab.server.mark()
    netlab.install_image(iso_dir, built["blank"], "late.iso")
    e = lab.server.wait_event("iso.replaced", since=mark, at="/iso/late")
    assert e.fields["os"] == "unknown" and "PXEDTEST" in e.fields["os_reason"], e.fields
    assert images(lab)["/iso/late/"]["volume_id"] == "PXEDTEST"

    mark = lab.server.mark()
    (iso_dir / "late.iso").unlink()
    lab.server.wait_event("iso.removed", since=mark, at="/iso/late")
    assert "/iso/late/" not in images(lab)
    assert image_gauges(lab) == {"debian11": 2.0, "unknown": 1.0}


def pxed(*args):
    return subprocess.run([str(PXED_BIN), *args], capture_output=True, text=True, timeout=60)


def test_iso_list_shows_what_the_config_serves_without_a_server(workdir, tree, iso_dir, mounted):
    config = workdir / "iso-list.toml"
    config.write_text("\n".join(["[files]", f'root = "{tree}"', *files_toml(iso_dir, mounted)]) + "\n")
    r = pxed("iso", "list", "-c", str(config))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["URL", "OS", "NAME", "VERSION", "ARCH", "KIND", "VOLUME"]
    rows = {line.split()[0]: line for line in lines[1:4]}
    assert sorted(rows) == ["/install/debian/", "/iso/blank/", "/iso/debian-11/"], r.stdout
    assert rows["/iso/debian-11/"].split()[1:6] == ["debian11", "Debian", "11", "11", "x86_64"], r.stdout
    assert rows["/iso/debian-11/"].endswith(DEBIAN_VOLUME)
    assert rows["/iso/blank/"].split()[1] == "unknown"
    assert any(line.startswith("/iso/blank/: no osinfo-db media rule matches") for line in lines), r.stdout

    as_json = json.loads(pxed("iso", "list", "-c", str(config), "--json").stdout)
    by_url = {i["url"]: i for i in as_json["images"]}
    assert by_url["/iso/debian-11/"]["os"]["short_id"] == "debian11"
    assert by_url["/install/debian/"]["source"] == "mount"
    assert by_url["/iso/blank/"]["state"] == "unknown"
    assert as_json["osinfo_db"]["oses"] > 100


def test_iso_list_names_a_file_that_is_not_an_image(workdir, tree):
    d = workdir / "list-bad"
    d.mkdir()
    (d / "broken.iso").write_bytes(b"not an image" * 1000)
    config = workdir / "iso-list-bad.toml"
    config.write_text(f'[files]\nroot = "{tree}"\niso_dir = "{d}"\n')
    r = pxed("iso", "list", "-c", str(config))
    assert r.returncode == 1
    assert "broken.iso" in r.stderr and "pxed serve skips it" in r.stderr, r.stderr
    assert r.stdout.startswith("no images"), r.stdout
