"""kb.publish.serve and `policywatch serve`: the built site on 127.0.0.1, fetched over loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from kb.errors import UsageError
from kb.publish.serve import address, site_server
from tests.support import REPO

INDEX = "<!doctype html><title>policywatch</title><a href='documents/m/fees/'>Fees</a>"


@pytest.fixture
def site(tmp_path):
    site = tmp_path / "home" / "site"
    (site / "documents" / "m" / "fees" / "versions").mkdir(parents=True)
    (site / "index.html").write_text(INDEX)
    (site / "404.html").write_text("<!doctype html><title>Not found</title><a href='/'>home</a>")
    (site / "documents" / "m" / "fees" / "index.html").write_text("<title>Fees</title>")
    (site / "documents" / "m" / "fees" / "versions" / "v1.txt").write_text("Café, 5 €", encoding="utf-8")
    return site


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_the_site_is_served_on_loopback_with_directory_links_utf8_text_and_its_404(site):
    with site_server(site, port=0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            base = address(server)
            assert base.startswith("http://127.0.0.1:") and server.server_address[0] == "127.0.0.1"
            assert fetch(base) == (200, "text/html", INDEX.encode())
            assert fetch(base + "index.html")[0] == 200
            assert fetch(base + "documents/m/fees/")[2] == b"<title>Fees</title>"  # not a folder listing
            assert fetch(base + "documents/m/fees/versions/v1.txt")[1:] == (
                "text/plain; charset=utf-8",
                "Café, 5 €".encode(),
            )
            status, kind, body = fetch(base + "nowhere/")
            assert (status, kind) == (404, "text/html; charset=utf-8") and b"Not found" in body
        finally:
            server.shutdown()


def test_no_site_and_a_busy_port_are_one_line_each(site, tmp_path):
    with pytest.raises(UsageError, match=r"^no site in .*empty$") as missing:
        with site_server(tmp_path / "empty", port=0):
            pass
    assert "policywatch publish" in missing.value.hint
    with site_server(site, port=0) as taken:
        port = taken.server_address[1]
        with pytest.raises(UsageError, match=rf"^cannot serve on 127\.0\.0\.1:{port}: ") as busy:
            with site_server(site, port=port):
                pass
    assert busy.value.hint == "pick another --port (0 picks a free one)"


def test_the_command_prints_the_address_first_and_ctrl_c_stops_it(site):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "kb.cli", "serve", "--port", "0", "--home", str(site.parent)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    try:
        first = proc.stdout.readline()
        assert first.startswith(f"serving {site} at http://127.0.0.1:") and first.endswith(" (Ctrl-C stops)\n")
        url = first.split(" at ", 1)[1].split()[0]
        assert fetch(url + "index.html")[0] == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out == "stopped\n" and err == ""
