/*
 * hw_check: the hardware tests' driver; its subcommands live in hw_check.c (script),
 * hw_powercut.c and hw_timing.c's caller hw_check_timing (hw_check_timing.c).
 */
#ifndef OBOL_TESTS_HW_CHECK_H
#define OBOL_TESTS_HW_CHECK_H

#include <stdarg.h>

#include "hwlib.h"

/* Prints "hw_check: MESSAGE" to stderr and returns 2 (bad usage). */
int hw_check_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* 0 when the image ELF and QEMU are there; else prints why and returns 77 (skip). */
int hw_check_skip_reason(const char *elf);

int hw_check_powercut(int argc, char **argv);
int hw_check_timing(int argc, char **argv);

#endif
