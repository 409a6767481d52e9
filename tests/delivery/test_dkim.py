"""Optional DKIM signing ([dkim], dkimpy): what a real `digest send` puts on the wire
verifies against the published key, for the list's copy and each subscriber's message.

The key is made here with openssl; the "DNS" that dkim.verify asks is a function
answering the selector's TXT record, so nothing leaves the machine.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import dkim
import pytest
from notes_project import SECRET, make_project, run_digest
from smtp_server import SMTPTestServer

DOMAIN = "quillwort.example.org"
SELECTOR = "digest"


@pytest.fixture
def key(tmp_path: Path) -> tuple[Path, bytes]:
    """(private key file, the TXT record publishing its public half)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    private = tmp_path / "dkim.pem"
    subprocess.run(
        ["openssl", "genrsa", "-out", str(private), "2048"], check=True, capture_output=True
    )
    public = subprocess.run(
        ["openssl", "rsa", "-in", str(private), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return private, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)


def _dns(record: bytes) -> object:
    def lookup(name: bytes, timeout: int = 5) -> bytes:
        assert name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode(), name
        return record

    return lookup


def test_every_message_sent_verifies_against_the_published_key(
    tmp_path: Path, key: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_SECRET", SECRET)
    private, record = key
    with SMTPTestServer() as server:
        config = make_project(tmp_path, smtp_port=server.port)
        with config.open("a", encoding="utf-8") as f:
            f.write(f'\n[dkim]\ndomain = "{DOMAIN}"\nselector = "{SELECTOR}"\n')
            f.write(f'key_file = "{private}"\n')
        assert run_digest(config, "subscribers", "add", "ann@example.org").code == 0
        run = run_digest(config, "send", "--period", "2026-10")
        assert run.code == 0, run.err
        server.wait_for(2)
        assert len(server.messages) == 2  # the list's copy and Ann's message
        for received in server.messages:
            signature = str(received.message["DKIM-Signature"])
            assert f"d={DOMAIN}" in signature and f"s={SELECTOR}" in signature
            assert dkim.verify(received.data, dnsfunc=_dns(record)), received.rcpt_tos
            # Changed on the way (a list footer, a rewritten subject): it no longer verifies.
            tampered = received.data.replace(b"Subject: ", b"Subject: [list] ", 1)
            assert not dkim.verify(tampered, dnsfunc=_dns(record))


def test_a_key_that_cannot_sign_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_SECRET", SECRET)
    bad = tmp_path / "dkim.pem"
    bad.write_text("not a key\n", encoding="utf-8")
    with SMTPTestServer() as server:
        config = make_project(tmp_path, smtp_port=server.port)
        with config.open("a", encoding="utf-8") as f:
            f.write(f'\n[dkim]\ndomain = "{DOMAIN}"\nselector = "{SELECTOR}"\n')
            f.write(f'key_file = "{bad}"\n')
        run = run_digest(config, "send", "--period", "2026-10")
        assert run.code == 1
        assert run.err.startswith(f"digest: {config}: [dkim] the key from ")
        assert run.err.endswith("it must be a PEM RSA private key.")
        assert server.messages == []
