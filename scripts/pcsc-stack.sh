#!/usr/bin/env bash
# A real PC/SC stack without hardware, for tests, benches and developers:
# pcscd + the vpcd virtual-reader driver, with software cards connecting to vpcd over TCP.
#
#   scripts/pcsc-stack.sh install   apt-get the Debian packages (only those missing) and build the
#                                   project's optional PC/SC addon if `pnpm install` ran without them
#   scripts/pcsc-stack.sh start [--no-nodelay]
#                                   start pcscd (foreground mode, in the background) under the
#                                   TCP_NODELAY shim; reuse a pcscd that already works
#   scripts/pcsc-stack.sh stop      stop the pcscd this script started (never another one)
#   scripts/pcsc-stack.sh status    say what runs; exit 0 if a usable pcscd runs, 3 if not
#   scripts/pcsc-stack.sh env       print `export` lines: vpcd ports and reader names, state dir
#   scripts/pcsc-stack.sh verify    serve a card on the second vpcd slot and time 500 APDUs through
#                                   pyscard; fails unless the median round trip is under 1 ms
#
# Quiet on success (except `status`, `env`, `verify` and the one line saying a foreign pcscd is
# reused); messages on stderr and a non-zero exit on failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="$ROOT/.tmp/pcsc"
PID_FILE="$STATE_DIR/pcscd.pid"
LOG_FILE="$STATE_DIR/pcscd.log"
SHIM_SRC="$ROOT/scripts/vpcd-nodelay.c"
SHIM_SO="$STATE_DIR/libvpcd-nodelay.so"
# libpcsclite and pcscd both honour PCSCLITE_CSOCK_NAME; Debian's default is below.
PCSCD_SOCKET="${PCSCLITE_CSOCK_NAME:-/run/pcscd/pcscd.comm}"
VPCD_CONF=/etc/reader.conf.d/vpcd
VPCD_DRIVER=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
# vpcd serves two slots: the configured port and the next one.
VPCD_SLOTS=2
APT_PACKAGES=(pcscd libpcsclite-dev vsmartcard-vpcd pcsc-tools python3-pyscard)
# pyscard is installed for Debian's interpreter; a pyenv python3 earlier in PATH would not see it.
SYSTEM_PYTHON=/usr/bin/python3

say() { printf 'pcsc-stack: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------- install

missing_packages() {
  local pkg status
  for pkg in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || printf '%s\n' "$pkg"
  done
  # The shim is compiled at start time.
  command -v gcc >/dev/null 2>&1 || printf '%s\n' gcc libc6-dev
}

pcsclite_addon_dirs() {
  compgen -G "$ROOT/node_modules/.pnpm/@pokusew+pcsclite@*/node_modules/@pokusew/pcsclite" || true
}

# `pnpm install` on a machine without libpcsclite-dev skips the optional addon's failed build
# (nfc-pcsc is an optional dependency); once the headers exist, build it so the driver can load.
# Its own install script (node-gyp rebuild) is run through npm: `pnpm rebuild` in a workspace
# does not pick up a dependency of a workspace package.
rebuild_pcsclite_addon() {
  local dir log="$STATE_DIR/pcsclite-build.log"
  while IFS= read -r dir; do
    [[ -n "$dir" && ! -f "$dir/build/Release/pcsclite.node" ]] || continue
    command -v npm >/dev/null 2>&1 || die "the PC/SC addon in $dir is not built and npm is not on PATH: run 'pnpm install' again"
    mkdir -p "$STATE_DIR"
    say "building the PC/SC addon @pokusew/pcsclite (node-gyp)"
    if ! (cd "$dir" && npm_config_nodedir="${npm_config_nodedir:-/usr}" npm run install) </dev/null >"$log" 2>&1; then
      tail -n 20 "$log" >&2
      die "building @pokusew/pcsclite failed (full log: $log)"
    fi
  done < <(pcsclite_addon_dirs)
}

cmd_install() {
  local missing
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]})); then
    [[ "$(id -u)" == 0 ]] || die "missing Debian packages: ${missing[*]}; run as root: apt-get update && apt-get install -y ${missing[*]}"
    command -v apt-get >/dev/null 2>&1 || die "missing packages ${missing[*]} and no apt-get on this machine; install the equivalent of: ${missing[*]}"
    local log="$STATE_DIR/apt.log"
    mkdir -p "$STATE_DIR"
    say "installing ${missing[*]}"
    # pcscd's maintainer script starts the daemon where invoke-rc.d may (no policy-rc.d): that pcscd
    # would run without the shim and not be ours to stop. Deny service starts during our install.
    local policy=/usr/sbin/policy-rc.d
    if [[ ! -e "$policy" ]]; then
      printf '#!/bin/sh\n# Temporary, from scripts/pcsc-stack.sh install: no service starts.\nexit 101\n' >"$policy"
      chmod 755 "$policy"
      # Expanded now: the local is gone by the time the EXIT trap runs.
      trap "rm -f '$policy'" EXIT
    fi
    if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } </dev/null >"$log" 2>&1; then
      tail -n 20 "$log" >&2
      die "apt-get failed (full log: $log)"
    fi
  fi
  rebuild_pcsclite_addon
}

# ---------------------------------------------------------------- processes

# The pid in our pid file, if that process is still a pcscd (guards against pid reuse).
own_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(<"$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] && is_pcscd "$pid" && printf '%s\n' "$pid"
}

is_pcscd() { [[ "$(cat "/proc/$1/comm" 2>/dev/null)" == pcscd ]]; }

# Any running pcscd (ours or not): pcscd records its pid next to its socket.
running_pid() {
  local pid
  if pid="$(own_pid)"; then printf '%s\n' "$pid"; return 0; fi
  local pidfile
  pidfile="$(dirname "$PCSCD_SOCKET")/pcscd.pid"
  if [[ -f "$pidfile" ]]; then
    # pcscd pads its pid file with NUL bytes.
    pid="$(tr -d '\0' <"$pidfile")"
    if [[ "$pid" =~ ^[0-9]+$ ]] && is_pcscd "$pid"; then printf '%s\n' "$pid"; return 0; fi
  fi
  pid="$(pgrep -x -o pcscd 2>/dev/null || true)"
  [[ -n "$pid" ]] && printf '%s\n' "$pid"
}

has_shim() { grep -qF "$SHIM_SO" "/proc/$1/maps" 2>/dev/null; }

# Whether a PC/SC service answers at all (pcsc_scan -r exits 0 even when it lists no reader).
pcscd_answers() { timeout 5 pcsc_scan -r >/dev/null 2>&1; }

# Lists readers through libpcsclite; succeeds only if pcscd answers and shows vpcd's readers.
vpcd_readers_visible() {
  local out
  out="$(timeout 5 pcsc_scan -r 2>/dev/null)" || return 1
  grep -q "$(vpcd_friendly_name)" <<<"$out"
}

vpcd_friendly_name() {
  sed -n 's/^[[:space:]]*FRIENDLYNAME[[:space:]]*"\{0,1\}\([^"]*\)"\{0,1\}[[:space:]]*$/\1/p' "$VPCD_CONF" 2>/dev/null | head -n 1
}

vpcd_base_port() {
  local hex
  hex="$(sed -n 's/^[[:space:]]*DEVICENAME[[:space:]].*:\(0x[0-9A-Fa-f]*\).*$/\1/p' "$VPCD_CONF" 2>/dev/null | head -n 1)"
  [[ -n "$hex" ]] || die "cannot read the vpcd port from $VPCD_CONF (DEVICENAME /dev/null:0xPORT)"
  printf '%d\n' "$hex"
}

# ---------------------------------------------------------------- start / stop

build_shim() {
  command -v gcc >/dev/null 2>&1 || die "gcc not found: run scripts/pcsc-stack.sh install"
  if [[ -f "$SHIM_SO" && ! "$SHIM_SRC" -nt "$SHIM_SO" ]]; then return 0; fi
  local tmp="$SHIM_SO.$$.tmp"
  if ! gcc -shared -fPIC -O2 -Wall -Wextra -o "$tmp" "$SHIM_SRC" -ldl 2>"$STATE_DIR/shim-build.log"; then
    cat "$STATE_DIR/shim-build.log" >&2
    rm -f "$tmp"
    die "could not compile $SHIM_SRC"
  fi
  mv -f "$tmp" "$SHIM_SO"
}

# pcsc-lite 2.x built with polkit refuses clients when no polkit daemon runs (as in a container);
# 1.9.9 (Debian 12) has no polkit support and no such flag.
pcscd_flags() {
  local flags=(--foreground)
  if pcscd --help 2>&1 | grep -q -- '--disable-polkit'; then flags+=(--disable-polkit); fi
  printf '%s\n' "${flags[@]}"
}

wait_ready() {
  local pid="$1" i
  for ((i = 0; i < 100; i++)); do
    # kill -0, not is_pcscd: right after the fork the child may not have exec'd pcscd yet.
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$LOG_FILE" >&2 || true
      die "pcscd exited during start-up (log: $LOG_FILE)"
    fi
    if [[ -S "$PCSCD_SOCKET" ]] && vpcd_readers_visible; then return 0; fi
    sleep 0.05
  done
  tail -n 20 "$LOG_FILE" >&2 || true
  die "pcscd (pid $pid) did not show the '$(vpcd_friendly_name)' readers within 5 s (log: $LOG_FILE)"
}

cmd_start() {
  local nodelay=1
  for arg in "$@"; do
    case "$arg" in
      --no-nodelay) nodelay=0 ;;
      *) usage ;;
    esac
  done
  [[ -x /usr/sbin/pcscd || -n "$(command -v pcscd)" ]] || die "pcscd not found: run scripts/pcsc-stack.sh install"
  [[ -e "$VPCD_DRIVER" && -f "$VPCD_CONF" ]] || die "vpcd driver not installed ($VPCD_DRIVER, $VPCD_CONF): run scripts/pcsc-stack.sh install"
  command -v pcsc_scan >/dev/null 2>&1 || die "pcsc_scan not found (package pcsc-tools): run scripts/pcsc-stack.sh install"
  mkdir -p "$STATE_DIR"
  ((nodelay)) && build_shim

  local pid
  if pid="$(own_pid)"; then
    local shim_now=0
    has_shim "$pid" && shim_now=1
    if ((shim_now == nodelay)) && vpcd_readers_visible; then return 0; fi
    # Ours, but in the other mode or wedged: replace it.
    cmd_stop
  elif pid="$(running_pid)" || pcscd_answers; then
    # Someone else's pcscd (or systemd's socket-activated one, which has no process until used).
    [[ -n "${pid:-}" ]] || pid="$(running_pid || true)"
    local who="pcscd${pid:+ pid $pid} (not started by this script)"
    vpcd_readers_visible || die "$who runs without the '$(vpcd_friendly_name)' readers (started before vsmartcard-vpcd was installed?): restart it (systemctl restart pcscd), or stop it and re-run this script"
    if [[ -n "$pid" ]] && has_shim "$pid"; then
      say "reusing $who; it has the TCP_NODELAY shim"
    elif ((nodelay)); then
      say "reusing $who WITHOUT the TCP_NODELAY shim: every APDU will stall ~44 ms; stop that pcscd and re-run this script to fix"
    else
      say "reusing $who"
    fi
    return 0
  fi

  if [[ -S "$PCSCD_SOCKET" ]]; then
    # A socket without a live pcscd is left over from a killed daemon; pcscd refuses to start next to it.
    rm -f "$PCSCD_SOCKET" "$(dirname "$PCSCD_SOCKET")/pcscd.pid" 2>/dev/null || true
  fi
  local flags
  mapfile -t flags < <(pcscd_flags)
  local preload=""
  ((nodelay)) && preload="$SHIM_SO"
  # stdin/stdout/stderr are redirected so a caller that captures our output (a test runner)
  # does not wait on pipes that pcscd would otherwise hold open.
  LD_PRELOAD="$preload" pcscd "${flags[@]}" </dev/null >"$LOG_FILE" 2>&1 &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
  wait_ready "$pid"
  if ((nodelay)) && ! has_shim "$pid"; then
    die "pcscd pid $pid started but the TCP_NODELAY shim is not loaded into it ($SHIM_SO)"
  fi
}

cmd_stop() {
  local pid
  if ! pid="$(own_pid)"; then
    rm -f "$PID_FILE"
    if pid="$(running_pid)"; then say "pcscd pid $pid was not started by this script; leaving it running"; fi
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do
    is_pcscd "$pid" || break
    sleep 0.05
  done
  if is_pcscd "$pid"; then
    say "pcscd pid $pid ignored SIGTERM for 5 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do is_pcscd "$pid" || break; sleep 0.05; done
  fi
  rm -f "$PID_FILE"
}

# ---------------------------------------------------------------- status / env / verify

cmd_status() {
  local pid owner shim
  if ! pid="$(running_pid)"; then
    echo "pcscd: not running"
    exit 3
  fi
  owner="not started by this script"
  own_pid >/dev/null && owner="started by this script"
  shim="without the TCP_NODELAY shim"
  has_shim "$pid" && shim="with the TCP_NODELAY shim"
  echo "pcscd: pid $pid, $owner, $shim"
  if vpcd_readers_visible; then
    timeout 5 pcsc_scan -r 2>/dev/null | grep -F "$(vpcd_friendly_name)" | sed 's/^/reader: /'
  else
    echo "readers: pcscd does not show the '$(vpcd_friendly_name)' readers"
    exit 3
  fi
}

cmd_env() {
  local base name i
  base="$(vpcd_base_port)"
  name="$(vpcd_friendly_name)"
  printf 'export EHKD_PCSC_STATE_DIR=%q\n' "$STATE_DIR"
  printf 'export EHKD_PCSC_NODELAY_SO=%q\n' "$SHIM_SO"
  printf 'export EHKD_VPCD_HOST=127.0.0.1\n'
  for ((i = 0; i < VPCD_SLOTS; i++)); do
    printf 'export EHKD_VPCD_PORT_%d=%d\n' "$i" $((base + i))
    # pcscd names a reader "<FRIENDLYNAME> <reader index> <slot>", both two hex digits.
    printf 'export EHKD_VPCD_READER_%d=%q\n' "$i" "$(printf '%s 00 %02X' "$name" "$i")"
  done
}

cmd_verify() {
  running_pid >/dev/null || die "pcscd is not running: run scripts/pcsc-stack.sh start"
  [[ -x "$SYSTEM_PYTHON" ]] || die "$SYSTEM_PYTHON not found (package python3-pyscard): run scripts/pcsc-stack.sh install"
  local base name
  base="$(vpcd_base_port)"
  name="$(vpcd_friendly_name)"
  "$SYSTEM_PYTHON" - "$((base + 1))" "$(printf '%s 00 01' "$name")" <<'PY'
# A minimal vpcd card (answers every APDU with 90 00) driven through pyscard: the whole real stack.
import socket, statistics, struct, sys, threading, time
from smartcard.System import readers

port, reader_name = int(sys.argv[1]), sys.argv[2]
ATR = bytes.fromhex("3B80800101")  # PC/SC part 3 contactless ATR, no historical bytes, TCK 01

def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf

def card():
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            (length,) = struct.unpack(">H", recv_exact(sock, 2))
            frame = recv_exact(sock, length)
            if frame == b"\x04":
                sock.sendall(struct.pack(">H", len(ATR)) + ATR)
            elif len(frame) > 1:
                sock.sendall(b"\x00\x02\x90\x00")
    except (EOFError, OSError):
        pass

threading.Thread(target=card, daemon=True).start()
deadline = time.monotonic() + 5
while True:
    try:
        reader = next(r for r in readers() if str(r) == reader_name)
        conn = reader.createConnection()
        conn.connect()
        break
    except Exception as e:  # card not seen yet: pcscd polls about every 400 ms
        if time.monotonic() > deadline:
            sys.exit(f"pcsc-stack: no card in '{reader_name}' after 5 s (slot busy with another card?): {e}")
        time.sleep(0.05)

times = []
for i in range(500):
    t0 = time.perf_counter()
    data, sw1, sw2 = conn.transmit([0x00, 0xB0, 0x00, 0x00, 0x00])
    times.append((time.perf_counter() - t0) * 1000)
    assert (sw1, sw2) == (0x90, 0x00)
    # Without the shim each APDU takes ~44 ms: 50 samples tell that in 2 s instead of 22 s.
    if i == 49 and statistics.median(times) >= 1.0:
        break
conn.disconnect()
times.sort()
median, p99 = statistics.median(times), times[int(len(times) * 0.99) - 1]
print(f"APDU round trip through pcscd + vpcd ({reader_name}): median {median:.3f} ms, p99 {p99:.3f} ms over {len(times)}")
if median >= 1.0:
    sys.exit("pcsc-stack: median round trip is 1 ms or more: is pcscd running with the TCP_NODELAY shim? (scripts/pcsc-stack.sh status)")
PY
}

case "${1:-}" in
  install) shift; cmd_install "$@" ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) shift; cmd_status "$@" ;;
  env) shift; cmd_env "$@" ;;
  verify) shift; cmd_verify "$@" ;;
  *) usage ;;
esac
