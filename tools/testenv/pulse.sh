#!/usr/bin/env bash
# A private PulseAudio with a virtual microphone, for tests on machines without sound hardware.
#
#   eval "$(tools/testenv/pulse.sh start)"   # starts it (or reuses a running one) and exports its env
#   ... go test ./capture/ ...               # anything played to vmic_sink comes out of the source vmic
#   tools/testenv/pulse.sh stop              # stops the server named by $XDG_RUNTIME_DIR
#
# Two virtual microphones: vmic (16 kHz mono, the default source, bit-exact for 16 kHz mono input) and
# vmic44 (44.1 kHz stereo, so tests exercise format conversion and resampling). And loudspeakers: the null
# sink vspeakers (48 kHz stereo), the default sink, whose monitor vspeakers.monitor is the "system audio"
# (what a call's other side sounds like to --system-audio); nothing played there reaches the microphones.
# No D-Bus, no hardware.
# `start` prints only export lines on stdout; diagnostics go to stderr.
set -euo pipefail

cmd=${1:-}
dir=${VERBATIM_PULSE_DIR:-}

answers() { env -u PULSE_SERVER XDG_RUNTIME_DIR="$1" timeout 5 pactl info >/dev/null 2>&1; }

case "$cmd" in
start)
  command -v pulseaudio >/dev/null || { echo "pulse.sh: pulseaudio not installed (apt-get install pulseaudio pulseaudio-utils)" >&2; exit 1; }
  if [ -z "$dir" ]; then
    dir=${TMPDIR:-/tmp}/verbatim-pulse-$(id -u)
  fi
  mkdir -p "$dir"
  chmod 700 "$dir"
  if ! answers "$dir"; then
    rm -f "$dir/pulse/pid" 2>/dev/null || true
    XDG_RUNTIME_DIR=$dir pulseaudio -D -n --exit-idle-time=-1 --log-target=file:"$dir/pulse.log" \
      --load=module-native-protocol-unix \
      --load="module-null-sink sink_name=vmic_sink rate=16000 channels=1 sink_properties=device.description=Verbatim-speaker-16k" \
      --load="module-remap-source master=vmic_sink.monitor source_name=vmic source_properties=device.description=Verbatim-mic-16k" \
      --load="module-null-sink sink_name=vmic44_sink rate=44100 channels=2 sink_properties=device.description=Verbatim-speaker-44k" \
      --load="module-remap-source master=vmic44_sink.monitor source_name=vmic44 source_properties=device.description=Verbatim-mic-44k" \
      --load="module-null-sink sink_name=vspeakers rate=48000 channels=2 sink_properties=device.description=Verbatim-output-48k" >&2 || {
        echo "pulse.sh: pulseaudio failed to start; log: $dir/pulse.log" >&2; exit 1; }
    for _ in $(seq 100); do answers "$dir" && break; sleep 0.1; done
    answers "$dir" || { echo "pulse.sh: server did not answer; log: $dir/pulse.log" >&2; exit 1; }
    XDG_RUNTIME_DIR=$dir pactl set-default-sink vspeakers
    XDG_RUNTIME_DIR=$dir pactl set-default-source vmic
  elif ! XDG_RUNTIME_DIR=$dir timeout 5 pactl get-sink-volume vspeakers >/dev/null 2>&1; then
    # A server started by an older copy of this script: add the loudspeakers it lacks.
    XDG_RUNTIME_DIR=$dir pactl load-module module-null-sink sink_name=vspeakers rate=48000 channels=2 \
      sink_properties=device.description=Verbatim-output-48k >/dev/null
    XDG_RUNTIME_DIR=$dir pactl set-default-sink vspeakers
  fi
  echo "export XDG_RUNTIME_DIR=$dir"
  echo "export VERBATIM_PULSE_DIR=$dir"
  ;;
stop)
  dir=${dir:-${XDG_RUNTIME_DIR:-}}
  [ -n "$dir" ] || { echo "pulse.sh: nothing to stop (no VERBATIM_PULSE_DIR or XDG_RUNTIME_DIR)" >&2; exit 0; }
  if answers "$dir"; then
    XDG_RUNTIME_DIR=$dir pulseaudio --kill 2>/dev/null || true
    for _ in $(seq 50); do answers "$dir" || break; sleep 0.1; done
  fi
  ;;
status)
  dir=${dir:-${XDG_RUNTIME_DIR:-}}
  if [ -n "$dir" ] && answers "$dir"; then echo "running in $dir"; else echo "not running"; exit 1; fi
  ;;
*)
  echo "usage: $0 start|stop|status" >&2
  exit 2
  ;;
esac
