#!/bin/sh
# Checks the card image: no reference to malloc, free, printf and friends (the card
# OS has no heap and no stdio), then prints its text/data/bss sizes.
# Usage: check-image.sh obol-card.elf
set -eu
elf=$1
bad=$(arm-none-eabi-nm "$elf" | awk '{print $NF}' |
      grep -E '^(malloc|calloc|realloc|free|printf|fprintf|sprintf|snprintf|puts|fopen|_sbrk)$' || true)
if [ -n "$bad" ]; then
    echo "check-image.sh: $elf references: $bad" >&2
    exit 1
fi
arm-none-eabi-size "$elf"
