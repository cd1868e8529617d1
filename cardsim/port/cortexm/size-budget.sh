#!/bin/sh
# Prints the card image's flash and RAM use per part, from the linker map, against
# the chip budget (128 KB flash, 8 KB RAM), and the BENCH lines of the totals.
# Parts: the card OS core, GlobalPlatform, each applet, the crypto, the port (start-up,
# UART, HAL, main loop) and libgcc. Flash counts code, constants and the load image
# of .data; RAM counts .data, .bss and the stack reserve the linker script demands.
# Usage: size-budget.sh obol-card.map
set -eu
map=$1
awk '
function hex(s,    i, c, v) {
    v = 0
    s = tolower(substr(s, 3))
    for (i = 1; i <= length(s); i++) {
        c = index("0123456789abcdef", substr(s, i, 1)) - 1
        v = v * 16 + c
    }
    return v
}
function part(file) {
    if (file ~ /libobol_crypto\.a/) return "crypto"
    if (file ~ /libobol_cos\.a/) return "os"
    if (file ~ /libgcc\.a/) return "libgcc"
    if (file ~ /libobol_gp\.a/) return "gp"
    if (file ~ /libobol_applets\.a\(/) {
        f = file; sub(/.*\(/, "", f); sub(/\.c\.obj\)$/, "", f); sub(/_.*/, "", f)
        return "applet:" f
    }
    return "port"
}
/^Linker script and memory map/ { inmap = 1; next }
!inmap { next }
/^\.text/ { out = "flash"; next }
/^\.data/ { out = "data"; next }
/^\.bss/ { out = "bss"; next }
/^\.[A-Za-z]/ { out = ""; next }
out == "" { next }
{
    # An input section: " .name  0xADDR  0xSIZE  file", or the name alone on one line
    # and the rest on the next.
    if ($1 ~ /^\./ && NF == 1) { pending = 1; next }
    if ($1 ~ /^\./ && NF >= 4 && $2 ~ /^0x/ && $3 ~ /^0x/) { size = $3; file = $4 }
    else if (pending && NF >= 3 && $1 ~ /^0x/ && $2 ~ /^0x/) { size = $2; file = $3 }
    else if ($1 == "*fill*" && NF >= 3) { size = $3; file = "fill" }
    else { pending = 0; next }
    pending = 0
    n = hex(size)
    p = (file == "fill") ? "padding" : part(file)
    if (out == "flash") flash[p] += n
    else if (out == "data") { flash[p] += n; ram[p] += n }
    else ram[p] += n
    seen[p] = 1
}
END {
    printf "%-18s %10s %10s\n", "part", "flash", "RAM"
    for (p in seen) names[++k] = p
    # stable order: sort the names
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (names[j] < names[i]) { t = names[i]; names[i] = names[j]; names[j] = t }
    for (i = 1; i <= k; i++) { p = names[i]; printf "%-18s %10d %10d\n", p, flash[p], ram[p]; tf += flash[p]; tr += ram[p] }
    printf "%-18s %10d %10d\n", "total", tf, tr
    printf "%-18s %10d %10d\n", "budget", 131072, 8192
    printf "BENCH hw.flash_bytes %d bytes\n", tf
    printf "BENCH hw.ram_bytes %d bytes\n", tr
}' "$map"
