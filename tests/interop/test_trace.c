/*
 * obol interop tests: the APDU trace library (trace.h, trace_mask.h). obol's format
 * written and read back, its errors with file:line, the pcsc-spy and GlobalPlatformPro
 * importers on logs captured from obol's card served through pcscd (data/), and the
 * replay masks.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "obol/trace.h"
#include "obol/trace_mask.h"

#ifndef DATA_DIR
#define DATA_DIR "data"
#endif

static trace_log t;

static void setup(void)
{
    trace_log_init(&t);
}

static void teardown(void)
{
    trace_log_free(&t);
}

TestSuite(obol_format, .init = setup, .fini = teardown);
TestSuite(import, .init = setup, .fini = teardown);
TestSuite(mask);

static int load(const char *text, char *err, size_t errlen)
{
    return trace_load_text(&t, "t.trace", text, strlen(text), TRACE_FMT_AUTO, err, errlen);
}

static void expect_hex(const trace_event *e, const char *hex)
{
    char got[1024];
    for (size_t i = 0; i < e->len && i < 500; i++)
        snprintf(got + 2 * i, 3, "%02X", e->data[i]);
    got[2 * (e->len < 500 ? e->len : 500)] = '\0';
    cr_expect_str_eq(got, hex);
}

Test(obol_format, written_and_read_back)
{
    char path[] = "/tmp/obol-test-trace-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    trace_writer w;
    const uint8_t atr[] = {0x3B, 0x9E, 0x13};
    const uint8_t cmd[] = {0x00, 0x84, 0x00, 0x00, 0x08};
    const uint8_t rsp[] = {1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00};
    cr_assert_eq(trace_writer_attach(&w, f, "a \"test\" writer", TRACE_W_NOSTART), 0);
    cr_assert_eq(trace_write_comment(&w, "two\nlines"), 0);
    cr_assert_eq(trace_write_at(&w, 1, "Virtual PCD 00 00", TRACE_ON, atr, sizeof(atr)), 0);
    cr_assert_eq(trace_write_at(&w, 1500000, "Virtual PCD 00 00", TRACE_CMD, cmd, sizeof(cmd)), 0);
    cr_assert_eq(trace_write_at(&w, 1500100, "sam \\ 1", TRACE_CMD, cmd, sizeof(cmd)), 0);
    cr_assert_eq(trace_write_at(&w, 1500200, "sam \\ 1", TRACE_RSP, rsp, sizeof(rsp)), 0);
    cr_assert_eq(trace_write_at(&w, 1500300, "Virtual PCD 00 00", TRACE_RSP, rsp, sizeof(rsp)), 0);
    cr_assert_eq(trace_write_at(&w, 2000000, "Virtual PCD 00 00", TRACE_OFF, NULL, 0), 0);
    cr_assert_eq(trace_writer_close(&w), 0);
    fclose(f);

    char err[256];
    cr_assert_eq(trace_load(&t, path, TRACE_FMT_AUTO, err, sizeof(err)), 0, "%s", err);
    remove(path);
    cr_expect_str_eq(t.format, "obol");
    cr_expect_str_eq(t.source, "a \"test\" writer");
    cr_assert_eq(t.nreaders, 2);
    cr_expect_str_eq(t.readers[0], "Virtual PCD 00 00");
    cr_expect_str_eq(t.readers[1], "sam \\ 1");
    cr_assert_eq(t.nev, 6);
    cr_expect_eq(t.ev[0].kind, TRACE_ON);
    cr_expect_eq(t.ev[0].t_us, 1);
    expect_hex(&t.ev[0], "3B9E13");
    cr_expect_eq(t.ev[1].kind, TRACE_CMD);
    cr_expect_eq(t.ev[1].t_us, 1500000);
    cr_expect_eq(t.ev[2].reader, 1);
    expect_hex(&t.ev[3], "01020304050607089000");
    cr_expect_eq(t.ev[5].kind, TRACE_OFF);
    cr_expect_eq(t.ev[5].len, 0);
    cr_expect_eq(t.ev[1].line, 4, "header, comment, ON, then this");
}

Test(obol_format, header_has_a_start_time_unless_asked)
{
    char buf[512];
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    trace_writer w;
    cr_assert_eq(trace_writer_attach(&w, f, NULL, 0), 0);
    trace_writer_close(&w);
    fclose(f);
    cr_expect(strncmp(buf, "obol-trace 1 start=20", 21) == 0, "header: %s", buf);
    cr_expect(strstr(buf, "Z\n") != NULL);
}

Test(obol_format, reads_what_people_write)
{
    const char *text = "obol-trace 1 future=\"x y\"\n"
                       "\n"
                       "   # indented comment\n"
                       "0 card ON\n"
                       "0.5 card > 00 a4 04 00   # select\n"
                       "0.500001 card < 90 00\n";
    char err[256] = "";
    cr_assert_eq(load(text, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(t.nev, 3);
    cr_expect_eq(t.ev[0].len, 0, "ON without an ATR");
    expect_hex(&t.ev[1], "00A40400");
    cr_expect_eq(t.ev[1].t_us, 500000);
    cr_expect_eq(t.ev[2].t_us, 500001);
}

static void expect_error(const char *text, int code, const char *msg)
{
    char err[256] = "";
    trace_log_free(&t);
    cr_expect_eq(load(text, err, sizeof(err)), code, "for %s", msg);
    cr_expect(strstr(err, msg) != NULL, "message '%s' does not contain '%s'", err, msg);
    cr_expect_eq(t.nev, 0, "a failed load leaves the trace empty");
}

Test(obol_format, malformed_lines_name_file_and_line)
{
    expect_error("", TRACE_ERR_FORMAT, "not a trace obol knows");
    expect_error("obol-trace 2\n", TRACE_ERR_FORMAT, "t.trace:1: trace format version 2");
    expect_error("obol-trace x\n", TRACE_ERR_SYNTAX, "t.trace:1: expected a version");
    expect_error("obol-trace 1 bad\n", TRACE_ERR_SYNTAX, "t.trace:1: expected key=value");
    expect_error("obol-trace 1\nx card > 00A40400\n", TRACE_ERR_SYNTAX,
                 "t.trace:2: expected a time");
    expect_error("obol-trace 1\n0.1\n", TRACE_ERR_SYNTAX, "t.trace:2: expected a reader");
    expect_error("obol-trace 1\n0.1 \"card > 00A40400\n", TRACE_ERR_SYNTAX,
                 "t.trace:2: expected a reader");
    expect_error("obol-trace 1\n0.1 card >> 00A40400\n", TRACE_ERR_SYNTAX,
                 "t.trace:2: expected '>', '<', ON, RESET or OFF");
    expect_error("obol-trace 1\n\n0.1 card > 00A4040G\n", TRACE_ERR_SYNTAX,
                 "t.trace:3: expected hex bytes, got 'G'");
    expect_error("obol-trace 1\n0.1 card > 00A404000\n", TRACE_ERR_SYNTAX, "odd number");
    expect_error("obol-trace 1\n0.1 card > 00A404\n", TRACE_ERR_SYNTAX,
                 "t.trace:2: a command APDU has at least 4 bytes");
    expect_error("obol-trace 1\n0.1 card OFF 00\n", TRACE_ERR_SYNTAX, "OFF takes no bytes");
    expect_error("obol-trace 1\n0.1 card < 9000\n", TRACE_ERR_SYNTAX,
                 "t.trace:2: a response on \"card\" without a command");
    expect_error("obol-trace 1\n0.1 card > 00A40400\n0.2 card > 00A40400\n", TRACE_ERR_SYNTAX,
                 "t.trace:3: a command on \"card\" while the command of line 2");
    expect_error("obol-trace 1\n0.1 card > 00A40400\n0.2 card OFF\n", TRACE_ERR_SYNTAX,
                 "t.trace:3: OFF on \"card\" while the command of line 2");
    expect_error("obol-trace 1\n0.1 card > 00A40400\n0.2 sam > 00A40400\n0.3 sam < 9000\n",
                 TRACE_ERR_SYNTAX, "t.trace:2: the command on \"card\" has no response");
}

Test(obol_format, readers_may_interleave)
{
    char err[256] = "";
    cr_assert_eq(load("obol-trace 1\n0 a > 00A40400\n0 b > 00B00000\n0 b < 6A82\n0 a < 9000\n", err,
                      sizeof(err)),
                 0, "%s", err);
    cr_expect_eq(t.nreaders, 2);
}

Test(obol_format, missing_file)
{
    char err[256] = "";
    cr_expect_eq(trace_load(&t, "/nonexistent/x.trace", TRACE_FMT_AUTO, err, sizeof(err)),
                 TRACE_ERR_IO);
    cr_expect(strstr(err, "/nonexistent/x.trace: cannot open") != NULL, "%s", err);
}

/* ---- importers ---------------------------------------------------------------------- */

/* The session the three pcsc-spy logs and the GPP log record: scriptor (or gp) on the
 * purse card served by `obol card serve` through pcscd and vpcd. */
static void expect_session(const char *reader)
{
    cr_assert_eq(t.nreaders, 1);
    cr_expect_str_eq(t.readers[0], reader);
    size_t cmds = 0;
    for (size_t i = 0; i < t.nev; i++)
        cmds += t.ev[i].kind == TRACE_CMD;
    cr_expect_eq(cmds, 4);
    const trace_event *e = &t.ev[0];
    cr_expect_eq(e->kind, TRACE_ON);
    expect_hex(&t.ev[1], "00A4040009A0000000038698070100");
    expect_hex(&t.ev[2], "6F0B8409A000000003869807019000");
    expect_hex(&t.ev[5], "0084000008");
    expect_hex(&t.ev[6], "B4F275CB365FEC999000");
    /* 32 bytes over two dump lines; the ASCII column is not read as bytes */
    expect_hex(&t.ev[8], "1234567800000000030100000000000000000001202601012036123100009000");
}

static void load_file(const char *name, trace_format fmt)
{
    char path[512], err[256] = "";
    snprintf(path, sizeof(path), "%s/%s", DATA_DIR, name);
    cr_assert_eq(trace_load(&t, path, fmt, err, sizeof(err)), 0, "%s", err);
}

Test(import, pcsc_spy)
{
    load_file("pcsc-spy.log", TRACE_FMT_AUTO);
    cr_expect_str_eq(t.format, "pcsc-spy");
    expect_session("Virtual PCD 00 00");
    cr_expect_eq(t.ev[1].line, 20, "the line of the bSendBuffer");
    cr_expect_gt(t.ev[8].t_us, t.ev[2].t_us, "times add up the durations");
}

Test(import, pcsc_spy_with_threads)
{
    load_file("pcsc-spy-thread.log", TRACE_FMT_AUTO);
    expect_session("Virtual PCD 00 00");
}

Test(import, pcsc_spy_diffable)
{
    load_file("pcsc-spy-diffable.log", TRACE_FMT_PCSCSPY);
    expect_session("Virtual PCD 00 00");
}

Test(import, gpp)
{
    load_file("gpp.log", TRACE_FMT_AUTO);
    cr_expect_str_eq(t.format, "gpp");
    expect_session("Virtual PCD 00 00");
    expect_hex(&t.ev[0], "3B9E138131FE458031C073F6215B646F626F6C8105E6");
    cr_expect_eq(t.ev[t.nev - 1].kind, TRACE_OFF);
    cr_expect_eq(t.ev[1].line, 5);
}

Test(import, pcsc_spy_truncated_dump)
{
    const char *text = "SCardTransmit\n"
                       " i hCard: 0x1\n"
                       " i bSendLength 0x00000005 (5)\n"
                       " i bSendBuffer\n"
                       " i  0000 80 5C 00                                  .\\.\n"
                       " o bRecvLength 0x00000002 (2)\n"
                       " o bRecvBuffer\n"
                       " o  0000 90 00                                     ..\n"
                       " => Command successful. (SCARD_S_SUCCESS [0x00000000])  [0.000077]\n";
    char err[256] = "";
    cr_expect_eq(load(text, err, sizeof(err)), TRACE_ERR_SYNTAX);
    cr_expect(strstr(err, "t.trace:5: expected 5 hex bytes in this dump line, found 3") != NULL,
              "%s", err);
}

Test(import, pcsc_spy_failed_transmit_is_skipped)
{
    const char *text = "SCardTransmit\n"
                       " i hCard: 0x1\n"
                       " i bSendLength 0x00000004 (4)\n"
                       " i bSendBuffer\n"
                       " i  0000 00 A4 04 00                               ....\n"
                       " o bRecvLength 0x00000000 (0)\n"
                       " o bRecvBuffer\n"
                       " => Card was removed. (SCARD_W_REMOVED_CARD [0x80100069])  [0.000077]\n"
                       "SCardTransmit\n"
                       " i hCard: 0x1\n"
                       " i bSendLength 0x00000004 (4)\n"
                       " i bSendBuffer\n"
                       " i  0000 00 A4 04 00                               ....\n"
                       " o bRecvLength 0x00000002 (2)\n"
                       " o bRecvBuffer\n"
                       " o  0000 6A 82                                     j.\n"
                       " => Command successful. (SCARD_S_SUCCESS [0x00000000])  [0.000077]\n";
    char err[256] = "";
    cr_assert_eq(load(text, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(t.nev, 2);
    expect_hex(&t.ev[1], "6A82");
    cr_expect_str_eq(t.readers[0], "pcsc");
}

Test(import, gpp_lengths_are_checked)
{
    char err[256] = "";
    cr_expect_eq(load("A>> T=1 (4+0002) 00a40400 03 a00000 00\n", err, sizeof(err)),
                 TRACE_ERR_SYNTAX);
    cr_expect(strstr(err, "t.trace:1: the line announces 2 data bytes") != NULL, "%s", err);
    trace_log_free(&t);
    cr_expect_eq(
        load("A>> T=1 (4+0000) 00840000 08\nA<< (0008+2) (1ms) 0102 9000\n", err, sizeof(err)),
        TRACE_ERR_SYNTAX);
    cr_expect(strstr(err, "t.trace:2: the line announces 10 bytes, the hex holds 4") != NULL, "%s",
              err);
    trace_log_free(&t);
    cr_expect_eq(load("A>> T=1 00840000 08\n", err, sizeof(err)), TRACE_ERR_SYNTAX);
    cr_expect(strstr(err, "t.trace:1: expected '(4+NNNN)'") != NULL, "%s", err);
}

Test(import, gpp_extended_and_raw_lines)
{
    char err[256] = "";
    cr_assert_eq(load("A>> T=1 (4+0002) 80e20000 000002 0102 0000\n"
                      "A<< (0000+2) (1s20ms) 9000\n"
                      "B>> T=1 (5) 00b0000004\n"
                      "B<< (6) 010203049000\n",
                      err, sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(t.nev, 4);
    expect_hex(&t.ev[0], "80E200000000020102"
                         "0000");
    cr_expect_eq(t.ev[1].t_us, 1020000);
    expect_hex(&t.ev[3], "010203049000");
}

/* ---- masks -------------------------------------------------------------------------- */

static const uint8_t *unhex(const char *hex, size_t *n)
{
    static uint8_t buf[4][300];
    static int k;
    uint8_t *b = buf[k++ % 4];
    size_t len = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        while (*hex == ' ')
            hex++;
        unsigned v;
        sscanf(hex, "%2x", &v);
        b[len++] = (uint8_t)v;
    }
    *n = len;
    return b;
}

static long cmp(trace_masks *m, const char *cmd, const char *want, const char *got)
{
    size_t cl, wl, gl;
    const uint8_t *c = unhex(cmd, &cl), *w = unhex(want, &wl), *g = unhex(got, &gl);
    return trace_mask_compare(m, c, cl, w, wl, g, gl, NULL, NULL);
}

Test(mask, exact_without_masks)
{
    trace_masks m = {0};
    cr_expect_eq(cmp(&m, "0084000008", "01020304050607089000", "01020304050607089000"), -1);
    cr_expect_eq(cmp(&m, "0084000008", "01020304050607089000", "01020304050607FF9000"), 7);
    cr_expect_eq(cmp(&m, "0084000008", "01020304050607089000", "6985"), 0);
    cr_expect_eq(cmp(&m, "0084000008", "9000", "019000"), 0, "lengths differ");
}

Test(mask, pboc_layouts)
{
    trace_masks m = {0};
    cr_assert_eq(trace_mask_add(&m, "pboc", NULL, 0), 0);
    /* GET CHALLENGE: all data, never the SW */
    cr_expect_eq(cmp(&m, "0084000008", "01020304050607089000", "AAAAAAAAAAAAAAAA9000"), -1);
    cr_expect_eq(cmp(&m, "0084000008", "01020304050607089000", "AAAAAAAAAAAAAAAA6A82"), 8);
    /* INITIALIZE FOR PURCHASE: the random (11..14), not the balance */
    const char *init = "805001020B0100000064112233445566 0F";
    cr_expect_eq(
        cmp(&m, init, "00002710000000000001001122334490 00", "0000271000000000000100AABBCCDD9000"),
        -1);
    cr_expect_eq(
        cmp(&m, init, "00002710000000000001001122334490 00", "0000270F0000000000010011223344 9000"),
        3);
    /* DEBIT: TAC and MAC2 */
    cr_expect_eq(cmp(&m, "805401000F00000001202611220830001122334408", "1111111122222222 9000",
                     "3333333344444444 9000"),
                 -1);
    /* INITIALIZE UPDATE (Lc 08) is not PBOC's INITIALIZE (Lc 0B) */
    cr_expect_eq(cmp(&m, "8050000008 0102030405060708 00",
                     "00000000000000000000 FF02 0001 010203040506 0102030405060708 9000",
                     "00000000000000000000 FF02 0002 010203040506 0102030405060708 9000"),
                 13);
    trace_mask_free(&m);
}

Test(mask, gp_initialize_update)
{
    trace_masks m = {0};
    cr_assert_eq(trace_mask_add(&m, "gp", NULL, 0), 0);
    const char *iu = "8050000008 0102030405060708 00";
    /* SCP02: counter, challenge, cryptogram (12..27) */
    cr_expect_eq(cmp(&m, iu, "00000000000000000000 FF02 0001 010203040506 0102030405060708 9000",
                     "00000000000000000000 FF02 0002 AAAAAAAAAAAA BBBBBBBBBBBBBBBB 9000"),
                 -1);
    cr_expect_eq(cmp(&m, iu, "00000000000000000000 FF02 0001 010203040506 0102030405060708 9000",
                     "00000000000000000001 FF02 0002 AAAAAAAAAAAA BBBBBBBBBBBBBBBB 9000"),
                 9, "diversification data is not masked");
    /* SCP03: challenge and cryptogram from byte 13 */
    cr_expect_eq(cmp(&m, iu,
                     "00000000000000000000 300370 0102030405060708 0102030405060708 000001 9000",
                     "00000000000000000000 300370 AAAAAAAAAAAAAAAA BBBBBBBBBBBBBBBB 000002 9000"),
                 -1);
    cr_expect_eq(cmp(&m, iu, "00000000000000000000 300370 0102030405060708 0102030405060708 9000",
                     "00000000000000000000 300360 AAAAAAAAAAAAAAAA BBBBBBBBBBBBBBBB 9000"),
                 12, "the i parameter is not masked");
    trace_mask_free(&m);
}

Test(mask, user_rules)
{
    trace_masks m = {0};
    char err[256];
    cr_assert_eq(trace_mask_add(&m, "CA/9F/7F@2+3", err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(trace_mask_add(&m, "80:54@4", err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(cmp(&m, "80CA9F7F00", "0102030405069000", "01020A0B0C069000"), -1);
    cr_expect_eq(cmp(&m, "80CA9F7F00", "0102030405069000", "01020A0B0C079000"), 5);
    cr_expect_eq(cmp(&m, "80CA9F7E00", "0102030405069000", "01020A0B0C069000"), 2, "P2 differs");
    cr_expect_eq(cmp(&m, "805401000F", "1111111122222222 9000", "1111111133333333 9000"), -1);
    cr_expect_eq(cmp(&m, "845401000F", "1111111122222222 9000", "1111111133333333 9000"), 4,
                 "CLA 84 is not 80");
    size_t cl, wl;
    const uint8_t *c = unhex("80CA9F7F00", &cl), *w = unhex("0102030405069000", &wl);
    uint8_t mk[8];
    const char *why = NULL;
    cr_expect_eq(trace_mask_apply(&m, c, cl, w, wl, mk, &why), 3);
    cr_expect_str_eq(why, "CA/9F/7F@2+3");
    cr_expect_eq(mk[6] + mk[7], 0, "never the SW");
    trace_mask_free(&m);
}

Test(mask, bad_specs)
{
    trace_masks m = {0};
    char err[256];
    static const char *const bad[] = {"",    "pbo",    "84",      "84@",           "84@x",
                                      "8@0", "84@1+0", "1:2:3@0", "84/01/02/03@0", "84@1+2+3",
                                      "GG@0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        cr_expect_eq(trace_mask_add(&m, bad[i], err, sizeof(err)), TRACE_ERR_PARAM, "'%s'", bad[i]);
        cr_expect(strstr(err, "bad mask") != NULL, "'%s': %s", bad[i], err);
    }
    cr_expect_eq(m.nrules, 0);
    cr_assert_eq(trace_mask_add(&m, "*:84/*@0", err, sizeof(err)), 0, "%s", err);
    trace_mask_free(&m);
}
