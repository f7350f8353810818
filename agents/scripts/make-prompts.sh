#!/usr/bin/env bash
# Regenerates agents/prompts/*.wav (PCM16 mono 24 kHz) for the built-in demo agent.
# Needs Debian's espeak-ng and sox:  apt-get install -y espeak-ng sox
# Deterministic: same tools, same bytes (sox runs without dither).
set -euo pipefail

out="$(cd "$(dirname "$0")/.." && pwd)/prompts"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# make NAME "TEXT": speak TEXT, resample to 24 kHz mono 16-bit, trim silence at both ends.
make() {
  espeak-ng -v en-us -s 160 -w "$tmp/$1.wav" "$2"
  sox -D "$tmp/$1.wav" -r 24000 -c 1 -b 16 -e signed-integer "$out/$1.wav" \
    silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
}

make welcome "Welcome to Patchbay."
make menu "Press 1 for an echo test. Press 2 to hear the time."
make echo-intro "Echo test. Speak, and you will hear yourself. Press star to return to the menu."
make sorry "Sorry, I did not understand."
make the-time-is "The time is"
make utc "U T C"
make oh "oh"
make hundred "hundred"
make one-moment "One moment, please."
make apology "We are sorry, we cannot take your call right now. Please try again later. Goodbye."

words=(zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen
  sixteen seventeen eighteen nineteen)
for i in "${!words[@]}"; do make "n$i" "${words[$i]}"; done
make n20 "twenty"
make n30 "thirty"
make n40 "forty"
make n50 "fifty"

du -ch "$out"/*.wav | tail -1
