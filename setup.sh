#!/usr/bin/env bash
# Set up coach on Debian/Ubuntu: system packages where missing (apt), then the
# package and its dev tools into ./.venv. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf 'setup: %s\n' "$*" >&2; }

need=()
py=python3
if ! command -v "$py" >/dev/null 2>&1 || ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  need+=(python3)
fi
command -v "$py" >/dev/null 2>&1 && "$py" -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
# make bench's naive baseline (simpleaudio, the bench extra) compiles against Python's and
# ALSA's headers; coach itself plays through libasound2, which libasound2-dev brings.
command -v "$py" >/dev/null 2>&1 && [ -f "$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ] || need+=(python3-dev)
command -v cc >/dev/null 2>&1 || need+=(gcc)
[ -f /usr/include/alsa/asoundlib.h ] || need+=(libasound2-dev)
command -v make >/dev/null 2>&1 || need+=(make)
# MP3 export encodes through the system's LAME (coach/export/lame.py).
dpkg -s libmp3lame0 >/dev/null 2>&1 || need+=(libmp3lame0)
# The tests run a private session bus (dbus-daemon) and drive coach with dbus-send.
{ command -v dbus-daemon && command -v dbus-send; } >/dev/null 2>&1 || need+=(dbus)
# Spoken commands (--listen) capture through PortAudio (sounddevice).
dpkg -s libportaudio2 >/dev/null 2>&1 || need+=(libportaudio2)
# make bench's echo canceller (bench/bench_echo.py): speexdsp's, BSD-3-Clause.
dpkg -s libspeexdsp1 >/dev/null 2>&1 || need+=(libspeexdsp1)
# aplay: pyttsx3's own say() plays through it (the naive loop in bench/), and `aplay -l` lists devices.
command -v aplay >/dev/null 2>&1 || need+=(alsa-utils)

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing system packages: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$py" -m venv .venv
fi
# Reinstall only when the project's metadata changed since the last install.
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  say "installing coach and its tools into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  # Installed as "coach" before it had a name of its own (floorcoach): that install goes
  # first, since both give the coach command and uninstalling after would take it away.
  if .venv/bin/python -m pip show -q coach >/dev/null 2>&1; then
    .venv/bin/python -m pip uninstall -q -y coach
  fi
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch .venv/.installed
fi
