#!/bin/sh
# Runs the given command in a private D-Bus session with an unlocked gnome-keyring (a real Secret Service), with
# HOME and the XDG folders in a new temporary directory, so that a bench's keyring rows never touch the user's
# own keyring or caches. Needs the Debian packages dbus, dbus-x11 and gnome-keyring.
#   bench/keyring-session.sh java -cp bench/target/benchmarks.jar org.securep2p.bench.StartupBench ./securep2p 10
set -eu
for tool in dbus-run-session gnome-keyring-daemon dbus-send; do
  command -v "$tool" >/dev/null || { echo "keyring-session: $tool is missing: apt-get install dbus dbus-x11 gnome-keyring" >&2; exit 1; }
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/data" "$tmp/cache" "$tmp/run"
chmod 700 "$tmp/run"
export HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run"
dbus-run-session -- sh -c '
  printf %s bench | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null &
  daemon=$!
  i=0
  until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q true; do
    i=$((i+1)); [ $i -gt 100 ] && { echo "keyring-session: gnome-keyring-daemon did not start" >&2; break; }
    sleep 0.1
  done
  "$@"; status=$?
  kill $daemon; wait $daemon 2>/dev/null
  exit $status' sh "$@"
