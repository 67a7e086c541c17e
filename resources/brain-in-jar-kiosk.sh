#!/bin/sh
# Keeps the kiosk up: runs the app given as arguments, and when it ends other than by the operator quitting it
# (exit code 0), starts it again after a pause that doubles with each quick failure in a row (up to 60 s) and starts
# over once a run has lasted five minutes. Used by brain-in-jar-kiosk.desktop:
#   brain-in-jar-kiosk.sh /opt/brain-in-jar/Brain-in-a-Jar-arm64.AppImage --kiosk --mode matrix
# BIJ_KIOSK_FIRST_DELAY and BIJ_KIOSK_MAX_DELAY (seconds) change the pauses.
first=${BIJ_KIOSK_FIRST_DELAY:-2}
max=${BIJ_KIOSK_MAX_DELAY:-60}
delay=$first
while :; do
  started=$(date +%s)
  "$@"
  code=$?
  [ "$code" -eq 0 ] && exit 0
  ran=$(( $(date +%s) - started ))
  if [ "$ran" -ge 300 ]; then delay=$first; fi
  echo "brain-in-jar-kiosk: the app ended with code $code after ${ran} s; starting it again in ${delay} s" >&2
  sleep "$delay"
  delay=$(( delay * 2 ))
  [ "$delay" -gt "$max" ] && delay=$max
done
