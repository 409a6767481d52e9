#!/usr/bin/env bash
# Configure the machine's Postfix as a loopback-only test MTA and start it.
#
# Mail for the test domain digest.test is delivered to Maildirs under
# $DIGEST_TEST_MAILDIRS (default /var/mail/digest-test): list@, ana@ and bo@
# each get their own Maildir. Nothing is relayed anywhere: any other domain is
# bounced at once (default_transport = error). tests/test_postfix.py reads
# `postconf virtual_mailbox_base` to find the Maildirs.
#
# Needs root (it edits /etc/postfix and starts the master daemon); works without
# systemd. Safe to run again: it rewrites the same settings and reloads.
set -euo pipefail

if ! command -v postconf >/dev/null 2>&1 && [ ! -x /usr/sbin/postconf ]; then
  echo "postfix/start.sh: Postfix is not installed; tests/delivery/test_postfix.py will skip." >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "postfix/start.sh: must run as root to configure Postfix; skipping." >&2
  exit 0
fi
export PATH="$PATH:/usr/sbin:/sbin"

domain=digest.test
base=${DIGEST_TEST_MAILDIRS:-/var/mail/digest-test}
maps=/etc/postfix/digest-test-mailboxes
repo_root=$(cd "$(dirname "$0")/../.." && pwd)

# Maildir files are written mode 0600 as this uid: make it the checkout's owner,
# so the test suite (run by that user) can read them; Postfix refuses uid < 100.
owner_uid=$(stat -c %u "$repo_root")
owner_gid=$(stat -c %g "$repo_root")
if [ "$owner_uid" -lt 100 ]; then
  owner_uid=$(id -u nobody)
  owner_gid=$(id -g nobody)
fi

mkdir -p "$base"
chown "$owner_uid:$owner_gid" "$base"
chmod 0755 "$base"

# "address  path/": the trailing slash makes the virtual agent write a Maildir.
cat >"$maps" <<MAPS
list@$domain list/
ana@$domain ana/
bo@$domain bo/
MAPS

postconf -e \
  "inet_interfaces = loopback-only" \
  "inet_protocols = ipv4" \
  "myhostname = localhost" \
  "mydestination = localhost" \
  "mynetworks = 127.0.0.0/8" \
  "relayhost =" \
  "default_transport = error:this test MTA delivers to $domain only" \
  "virtual_mailbox_domains = $domain" \
  "virtual_mailbox_base = $base" \
  "virtual_mailbox_maps = texthash:$maps" \
  "virtual_uid_maps = static:$owner_uid" \
  "virtual_gid_maps = static:$owner_gid" \
  "virtual_minimum_uid = 100" \
  "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" \
  "maillog_file = /var/log/postfix.log"

# Debian's alias_maps = hash:/etc/aliases needs its .db before local delivery works.
if [ -f /etc/aliases ] && [ ! -f /etc/aliases.db ]; then
  newaliases || true
fi
# Debian chroots smtpd: it needs resolver files inside the spool (its init script
# normally copies them; without systemd nobody does).
for f in /etc/resolv.conf /etc/hosts /etc/services /etc/nsswitch.conf; do
  if [ -f "$f" ]; then
    mkdir -p "/var/spool/postfix$(dirname "$f")"
    cp -f "$f" "/var/spool/postfix$f"
  fi
done

postfix check
if postfix status >/dev/null 2>&1; then
  postfix reload
else
  postfix start
fi

# Ready when port 25 greets (a shell poll: this script is setup, not a test).
for _ in $(seq 1 100); do
  if exec 3<>/dev/tcp/127.0.0.1/25 2>/dev/null; then
    read -r -t 5 greeting <&3 || greeting=""
    exec 3>&- 3<&-
    case "$greeting" in
      220*)
        echo "postfix/start.sh: Postfix $(postconf -h mail_version) listening on 127.0.0.1:25, delivering $domain to $base"
        exit 0
        ;;
    esac
  fi
  sleep 0.1
done
echo "postfix/start.sh: Postfix did not answer on 127.0.0.1:25 within 10 s; see /var/log/postfix.log" >&2
exit 1
