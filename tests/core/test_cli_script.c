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
    cr_assert_eq(
        script_parse_line("00 a4 0400 07 F06F626F6C4101  # select", NULL, NULL, &step, err, 200),
        0);
    cr_assert_eq(step.kind, SCRIPT_APDU);
    const uint8_t want[] = {0x00, 0xA4, 0x04, 0x00, 0x07, 0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x41, 0x01};
    cr_assert_eq(step.len, sizeof(want));
    cr_assert_arr_eq(step.apdu, want, sizeof(want));
    cr_assert_eq(script_parse_line("   # only a comment", NULL, NULL, &step, err, 200), 0);
    cr_assert_eq(step.kind, SCRIPT_END);
    cr_assert_eq(script_parse_line("RESET", NULL, NULL, &step, err, 200), 0);
    cr_assert_eq(step.kind, SCRIPT_RESET);
    cr_assert_eq(script_parse_line("power off # cut", NULL, NULL, &step, err, 200), 0);
    cr_assert_eq(step.kind, SCRIPT_POWER_OFF);
    cr_assert_eq(script_parse_line("power on", NULL, NULL, &step, err, 200), 0);
    cr_assert_eq(step.kind, SCRIPT_POWER_ON);
}

Test(cli_script, malformed_lines_are_named)
{
    char err[200];
    cr_assert_eq(script_parse_line("00 A4 04 0G", NULL, NULL, &step, err, 200), -1);
    cr_assert(strstr(err, "column 11") && strstr(err, "hex digit"), "%s", err);
    cr_assert_eq(script_parse_line("00 A4 0 4 00", NULL, NULL, &step, err, 200), -1);
    cr_assert(strstr(err, "two hex digits"), "%s", err);
    cr_assert_eq(script_parse_line("00 A4 04", NULL, NULL, &step, err, 200), -1);
    cr_assert(strstr(err, "at least 4 bytes"), "%s", err);
    cr_assert_eq(script_parse_line("resetx", NULL, NULL, &step, err, 200), -1);
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
    cr_assert_str_eq(
        err,
        "t.apdu:4: column 1: expected a hex digit, a blank, '$name', '=> name' or '#', found 'z'");
    script_reader_free(&r);
    fclose(f);
}

/* Saved responses for the substitution tests: "r" holds 00 11 22 33 44. */
static int lookup(void *ctx, const char *name, const uint8_t **data, size_t *len)
{
    static const uint8_t r[] = {0x00, 0x11, 0x22, 0x33, 0x44};
    (void)ctx;
    if (strcmp(name, "r") != 0)
        return -1;
    *data = r;
    *len = sizeof(r);
    return 0;
}

Test(cli_script, names_saves_and_substitutions)
{
    char err[200];
    cr_assert_eq(
        script_parse_line("sam> 80 70 00 00 03 $r[1:4] => out", lookup, NULL, &step, err, 200), 0,
        "%s", err);
    cr_assert_eq(step.kind, SCRIPT_APDU);
    cr_assert_str_eq(step.card, "sam");
    cr_assert_str_eq(step.save, "out");
    const uint8_t want[] = {0x80, 0x70, 0x00, 0x00, 0x03, 0x11, 0x22, 0x33};
    cr_assert_eq(step.len, sizeof(want));
    cr_assert_arr_eq(step.apdu, want, sizeof(want));
    cr_assert_eq(script_parse_line("00A40000 $r", lookup, NULL, &step, err, 200), 0);
    cr_assert_eq(step.len, 9, "the whole saved response");
    cr_assert_eq(script_parse_line("user> reset", lookup, NULL, &step, err, 200), 0);
    cr_assert_eq(step.kind, SCRIPT_RESET);
    cr_assert_str_eq(step.card, "user");
    /* Errors name the column and the problem. */
    cr_assert_eq(script_parse_line("00A40000 $x[0:1]", lookup, NULL, &step, err, 200), -1);
    cr_assert(strstr(err, "column 10") && strstr(err, "no response was saved as 'x'"), "%s", err);
    cr_assert_eq(script_parse_line("00A40000 $r[2:9]", lookup, NULL, &step, err, 200), -1);
    cr_assert(strstr(err, "outside the 5 bytes"), "%s", err);
    cr_assert_eq(script_parse_line("00A40000 $r[2:", lookup, NULL, &step, err, 200), -1);
    cr_assert(strstr(err, "[START:END]"), "%s", err);
    cr_assert_eq(script_parse_line("00A40000 => ", lookup, NULL, &step, err, 200), -1);
    cr_assert(strstr(err, "a name after '=>'"), "%s", err);
    cr_assert_eq(script_parse_line("sam>", lookup, NULL, &step, err, 200), -1);
    cr_assert(strstr(err, "expected an APDU"), "%s", err);
}
