#!/bin/sh
# tests/hw: adds the hardware tests' own options to the QEMU that the CLI's backend
# (core/cli/vcard_qemu.c) starts. That backend runs $OBOL_QEMU; hwlib.c points it here,
# with the real emulator in $OBOL_HW_QEMU (default qemu-system-arm) and the options in
# $OBOL_HW_QEMU_ARGS (`-icount shift=0`, a second QMP monitor for power cuts). exec
# keeps the process id, so the backend's PR_SET_PDEATHSIG (QEMU dies with the harness)
# and its waitpid() apply to QEMU itself.
set -eu
# The options are separate words on purpose (paths in them have no blanks).
# shellcheck disable=SC2086
exec "${OBOL_HW_QEMU:-qemu-system-arm}" "$@" ${OBOL_HW_QEMU_ARGS:-}
