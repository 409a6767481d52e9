"""The shipped systemd units load cleanly, stay hardened and share one state.

`systemd-analyze verify` refuses a unit whose ExecStart binary does not exist,
and /usr/local/bin/digest exists only on an installed host. So each test copies
the units to a temporary folder and points ExecStart at this checkout's own
`digest` script (keeping the arguments), which also proves that script exists.
--root does not help: it looks for the units inside the root as well.
"""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.systemd

UNITS = Path(__file__).resolve().parents[1] / "systemd"
INSTALLED_DIGEST = "/usr/local/bin/digest"
SERVICES = ("digest.service", "digest-web.service")
SYSUSERS_FILE = UNITS / "notes-digest.conf"


def _analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed (Debian package: systemd)")
    return tool


def _digest_script() -> Path:
    script = Path(sys.executable).parent / "digest"
    if not script.exists():
        pytest.skip(f"the digest script is not installed next to {sys.executable}")
    return script


@pytest.fixture
def units(tmp_path: Path) -> Path:
    for name in SERVICES:
        service = (UNITS / name).read_text(encoding="utf-8")
        assert f"ExecStart={INSTALLED_DIGEST} " in service, name
        service = service.replace(
            f"ExecStart={INSTALLED_DIGEST} ", f"ExecStart={_digest_script()} "
        )
        (tmp_path / name).write_text(service, encoding="utf-8")
    shutil.copy(UNITS / "digest.timer", tmp_path / "digest.timer")
    return tmp_path


def test_units_pass_systemd_analyze_verify_without_a_warning(units: Path) -> None:
    result = subprocess.run(
        [_analyze(), "verify", *SERVICES, "digest.timer"],
        cwd=units,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # verify only warns (exit 0) about unknown keys and bad values: none allowed.
    assert result.stderr.strip() == ""
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("service", SERVICES)
def test_service_exposure_is_at_most_2(units: Path, service: str) -> None:
    result = subprocess.run(
        [_analyze(), "security", "--offline=true", "--no-pager", service],
        cwd=units,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    match = re.search(rf"Overall exposure level for {re.escape(service)}: (\d+(?:\.\d+)?)", output)
    if match is None and "--offline" in output:
        pytest.skip("this systemd-analyze has no --offline mode (systemd < 250)")
    assert match is not None, output
    assert float(match.group(1)) <= 2.0, output


def test_service_runs_send_with_the_system_config_and_credentials() -> None:
    service = (UNITS / "digest.service").read_text(encoding="utf-8")
    settings = _settings(service)
    assert settings["Type"] == ["oneshot"]
    assert settings["ExecStart"] == [
        f"{INSTALLED_DIGEST} --config /etc/notes-digest/config.toml send"
    ]
    assert settings["StateDirectory"] == ["notes-digest"]
    assert "smtp-password:/etc/notes-digest/smtp-password" in settings["LoadCredential"]
    assert "digest-secret:/etc/notes-digest/digest-secret" in settings["LoadCredential"]
    # The run lock's "already running" exit is not a failed unit.
    assert settings["SuccessExitStatus"] == ["75"]


def _seconds(span: str) -> float:
    """A systemd time span ("30min", "1h 5min", "90", "20s") in seconds."""
    units = {"": 1, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "hr": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", span)
    assert parts and "".join(n + u for n, u in parts) == span.replace(" ", ""), span
    return sum(float(n) * units[u] for n, u in parts)


def test_service_timeout_covers_the_longest_send_and_stays_under_an_hour() -> None:
    """A stalled relay must not hold the unit until the next month's timer: the unit
    gives up, but never before digest itself stops mailing at [smtp] run_timeout."""
    from digest.config.schema import SmtpConfig
    from digest.delivery.smtp import _QUIT_TIMEOUT

    settings = _settings((UNITS / "digest.service").read_text(encoding="utf-8"))
    (span,) = settings["TimeoutStartSec"]
    limit = _seconds(span)
    smtp = SmtpConfig()
    # Mailing ends at run_timeout, plus one attempt under way (timeout), plus QUIT.
    longest_mailing = smtp.run_timeout + smtp.timeout + _QUIT_TIMEOUT
    assert limit - longest_mailing >= 5 * 60, "leave the sync and the build 5 minutes"
    assert limit <= 3600, "a monthly job that needs more than an hour is stuck"
    assert smtp.run_timeout < 3600 / 2


def test_the_pages_serve_on_loopback_with_the_secret_and_smtp_password() -> None:
    settings = _settings((UNITS / "digest-web.service").read_text(encoding="utf-8"))
    assert settings["Type"] == ["exec"]
    assert settings["ExecStart"] == [
        f"{INSTALLED_DIGEST} --config /etc/notes-digest/config.toml "
        "serve --host 127.0.0.1 --port 8947"
    ]
    assert settings["Restart"] == ["on-failure"]
    # Links are signed with the token secret; confirmation mails need the relay's password.
    assert settings["LoadCredential"] == [
        "digest-secret:/etc/notes-digest/digest-secret",
        "smtp-password:/etc/notes-digest/smtp-password",
    ]
    assert settings["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
    assert settings["MemoryDenyWriteExecute"] == ["yes"]
    assert settings["WantedBy"] == ["multi-user.target"]


def test_both_services_run_as_one_static_user_on_one_state_directory() -> None:
    page = _settings((UNITS / "digest-web.service").read_text(encoding="utf-8"))
    send = _settings((UNITS / "digest.service").read_text(encoding="utf-8"))
    # The page writes unsubscribes into the state.db that `digest send` reads.
    for key in ("User", "Group", "StateDirectory", "StateDirectoryMode", "UMask"):
        assert page[key] == send[key], key
    assert send["StateDirectory"] == ["notes-digest"]
    assert send["StateDirectoryMode"] == ["0700"]
    # A dynamic user would not be one fixed owner for the state of both.
    assert "DynamicUser" not in page
    assert "DynamicUser" not in send
    # The user they name is the one the shipped sysusers.d file creates.
    entries = [
        line.split()
        for line in SYSUSERS_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert [(entry[0], entry[1]) for entry in entries] == [("u", send["User"][0])]
    assert send["Group"] == send["User"]  # `u` also makes the user's own group


def test_sysusers_file_creates_the_user_without_a_warning(tmp_path: Path) -> None:
    tool = shutil.which("systemd-sysusers")
    if tool is None:
        pytest.skip("systemd-sysusers is not installed (Debian package: systemd)")
    # --dry-run against an empty root: parses the file and plans the user, writes nothing.
    root = tmp_path / "root"
    result = subprocess.run(
        [tool, "--dry-run", f"--root={root}", str(SYSUSERS_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Creating user 'notes-digest'" in output
    assert "Creating group 'notes-digest'" in output
    # Problems in the file are reported as "<file>:<line>: ...", and ignored.
    assert SYSUSERS_FILE.name not in output
    assert not root.exists()


def test_timer_fires_monthly_and_catches_up_after_downtime() -> None:
    settings = _settings((UNITS / "digest.timer").read_text(encoding="utf-8"))
    assert settings["OnCalendar"] == ["*-*-01 06:00:00"]
    assert settings["Persistent"] == ["true"]
    assert settings["RandomizedDelaySec"] == ["1h"]
    assert settings["WantedBy"] == ["timers.target"]


def test_timer_calendar_means_the_first_of_each_month() -> None:
    result = subprocess.run(
        [_analyze(), "calendar", "--iterations=3", "*-*-01 06:00:00"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    nexts = re.findall(r"\b\d{4}-(\d{2})-(\d{2}) 06:00:00", result.stdout)
    assert len(nexts) == 3, result.stdout
    assert all(day == "01" for _, day in nexts)
    assert len({month for month, _ in nexts}) == 3


PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1

# Runs in a child under PR_SET_MDWE, the kernel's own form of systemd's
# MemoryDenyWriteExecute=yes: any write+execute mapping fails from then on.
_UNDER_MDWE = textwrap.dedent(
    f"""
    import ctypes, mmap, sys
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl({PR_SET_MDWE}, {PR_MDWE_REFUSE_EXEC_GAIN}, 0, 0, 0) != 0:
        sys.exit(77)
    try:
        mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    except OSError:
        pass
    else:
        sys.exit("write+execute memory was allowed: the check proves nothing")
    import asyncio, hmac, re, sqlite3, ssl, wsgiref.simple_server
    import css_inline, jinja2, markdown_it, rapidfuzz.fuzz, sqlite_utils
    import aiosmtplib, email_validator, feedparser
    import digest.mail.tokens, digest.app.web, digest.delivery.dkim
    import waitress.server, dkim, flufl.bounce
    key = open(sys.argv[1], "rb").read()
    assert dkim.sign(b"From: a@b.example\\r\\n\\r\\nhi\\r\\n", b"s", b"b.example", key)
    assert rapidfuzz.fuzz.token_set_ratio("ship the release", "release shipped") > 50
    assert "style=" in css_inline.inline("<style>p{{color:red}}</style><p>x</p>")
    env = jinja2.Environment(autoescape=True)
    assert env.from_string("{{{{ x }}}}").render(x="<a>") == "&lt;a&gt;"
    markdown_it.MarkdownIt("commonmark").enable("table").render("| a |\\n|---|\\n| b |")
    db = sqlite_utils.Database(sqlite3.connect(":memory:"))
    db["t"].insert({{"x": 1}})
    ssl.create_default_context()
    re.compile(r"(\\w+)@(\\w+)").search("a@b")
    asyncio.run(asyncio.sleep(0))
    hmac.new(b"secret", b"a@example.org", "sha256").hexdigest()
    print("ok")
    """
)


def test_native_code_runs_under_memory_deny_write_execute(tmp_path: Path) -> None:
    # One check for both services: the page loads a subset of what send loads.
    if not any(
        "MemoryDenyWriteExecute=yes" in (UNITS / name).read_text(encoding="utf-8")
        for name in SERVICES
    ):
        pytest.skip("no service sets MemoryDenyWriteExecute")
    try:
        ctypes.CDLL(None).prctl  # noqa: B018 - Linux only
    except AttributeError:
        pytest.skip("no prctl on this platform")
    key = tmp_path / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    result = subprocess.run(
        [sys.executable, "-c", _UNDER_MDWE, str(key)], capture_output=True, text=True, timeout=120
    )
    if result.returncode == 77:
        pytest.skip("this kernel has no PR_SET_MDWE (Linux < 6.3)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def _settings(unit: str) -> dict[str, list[str]]:
    """Key -> values of a unit file (repeated keys accumulate), comments dropped."""
    settings: dict[str, list[str]] = {}
    for line in unit.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        settings.setdefault(key.strip(), []).append(value.strip())
    return settings
