#!/bin/sh
# The counter as a shell script: every 100 ms, increment, print, write to a file
# (replaced by rename, so a reader never sees it empty).
# Shell variables are process memory too, so a restore continues the count.
file=${1:-/count}
limit=${2:-0}
count=0
while :; do
  count=$((count + 1))
  echo "$count"
  echo "$count" > "$file.tmp" && mv -f "$file.tmp" "$file"
  [ "$limit" -gt 0 ] && [ "$count" -ge "$limit" ] && exit 0
  sleep 0.1
done
