/*
 * The APDU script reader of `obol card exec`: hex with blanks and comments, the
 * power directives, and file:line errors for malformed lines.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

static script_step step;

Test(cli_script, hex_with_blanks_and_comments)
{
    char err[200];
    cr_assert_eq(script_parse_line("00 a4 0400 07 F06F626F6C4101  # select", &step, err, 200), 0);
    cr_assert_eq(step.kind, SCRIPT_APDU);
    const uint8_t want[] = {0x00, 0xA4, 0x04, 0x00, 0x07, 0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x41, 0x01};
    cr_assert_eq(step.len, sizeof(want));
    cr_assert_arr_eq(step.apdu, want, sizeof(want));
    cr_assert_eq(script_parse_line("   # only a comment", &step, err, 200), 0);
    cr_assert_eq(step.kind, SCRIPT_END);
    cr_assert_eq(script_parse_line("RESET", &step, err, 200), 0);
    cr_assert_eq(step.kind, SCRIPT_RESET);
    cr_assert_eq(script_parse_line("power off # cut", &step, err, 200), 0);
    cr_assert_eq(step.kind, SCRIPT_POWER_OFF);
    cr_assert_eq(script_parse_line("power on", &step, err, 200), 0);
    cr_assert_eq(step.kind, SCRIPT_POWER_ON);
}

Test(cli_script, malformed_lines_are_named)
{
    char err[200];
    cr_assert_eq(script_parse_line("00 A4 04 0G", &step, err, 200), -1);
    cr_assert(strstr(err, "column 11") && strstr(err, "hex digit"), "%s", err);
    cr_assert_eq(script_parse_line("00 A4 0 4 00", &step, err, 200), -1);
    cr_assert(strstr(err, "two hex digits"), "%s", err);
    cr_assert_eq(script_parse_line("00 A4 04", &step, err, 200), -1);
    cr_assert(strstr(err, "at least 4 bytes"), "%s", err);
    cr_assert_eq(script_parse_line("resetx", &step, err, 200), -1);
}

Test(cli_script, reader_counts_lines)
{
    char text[] = "# header\n\n00B0000004\nzz\n";
    FILE *f = fmemopen(text, strlen(text), "r");
    script_reader r = {.f = f, .name = "t.apdu"};
    char err[200];
    cr_assert_eq(script_next(&r, &step, err, 200), 0);
    cr_assert_eq(step.kind, SCRIPT_APDU);
    cr_assert_eq(step.line, 3);
    cr_assert_eq(script_next(&r, &step, err, 200), -1);
    cr_assert_str_eq(err, "t.apdu:4: column 1: expected a hex digit, a space or '#', found 'z'");
    script_reader_free(&r);
    fclose(f);
}
