/*
 * obol PBOC tests: the profile loader (cos_profile.h, docs/profiles.md): lookup by name
 * and path, OBOL_PROFILE_DIR, errors that name file:line and what was expected, the
 * TEST- rule for master keys, and that nothing touches the card before the whole
 * profile checks out.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/cos_host.h"
#include "obol/cos_profile.h"
#include "obol/obol_rom.h"
#include "pboc_test.h"

static cos_host host;
static cos_card card;

static void setup(void)
{
    cos_card_config cfg;

    cr_assert_eq(cos_host_open_mem(&host, 16384, 64, 1), 0);
    cos_host_config(&host, obol_rom_classes, obol_rom_nclasses, &cfg);
    cr_assert_eq(cos_card_attach(&card, &cfg), 0);
}

static void teardown(void)
{
    cos_host_close(&host);
}

TestSuite(profile, .init = setup, .fini = teardown);

/* Writes TEXT to a temporary profile and applies it; returns the result, ERR filled. */
static int apply_text(const char *text, char *err, size_t errlen)
{
    char path[] = "/tmp/obol-profile-XXXXXX";
    int fd = mkstemp(path), rc;
    FILE *f;

    cr_assert_geq(fd, 0);
    f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    rc = cos_profile_apply(&card, path, 0, err, errlen);
    remove(path);
    return rc;
}

static void expect_error(const char *text, int line, const char *what)
{
    char err[256], want[32];
    int rc = apply_text(text, err, sizeof err);

    cr_expect_lt(rc, 0, "profile should fail: %s", text);
    snprintf(want, sizeof want, ":%d: ", line);
    cr_expect(strstr(err, want) != NULL, "error '%s' should name line %d", err, line);
    cr_expect(strstr(err, what) != NULL, "error '%s' should say '%s'", err, what);
}

Test(profile, by_name_path_and_env)
{
    char err[256];
    uint8_t atr[64];
    size_t n;

    cr_assert_eq(cos_profile_apply(&card, "psam", 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(cos_profile_apply(&card, PT_TEST_DIR "/kat.profile", 0, err, sizeof err), 0, "%s",
                 err);
    setenv("OBOL_PROFILE_DIR", PT_TEST_DIR, 1);
    cr_assert_eq(cos_profile_apply(&card, "kat-psam", 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(cos_profile_apply(&card, "purse", 0, err, sizeof err), COS_ERR_NOT_FOUND);
    cr_expect(strstr(err, "purse.profile") != NULL, "%s", err);
    unsetenv("OBOL_PROFILE_DIR");
    /* the card is left off and operational */
    cr_assert_eq(cos_is_powered(&card), 0);
    cr_assert_eq(cos_power_on(&card, COS_IF_CONTACT, 0, atr, sizeof atr, &n), 0);
}

Test(profile, errors_name_file_line_and_expectation)
{
    expect_error("card serial=01\n", 1, "expected 8 bytes for serial");
    expect_error("# c\ncard serial=0000000000000001\napp class=nope aid=A000000003\n", 3,
                 "unknown applet class 'nope'");
    expect_error("card serial=0000000000000001\nbogus x=1\n", 2, "unknown directive 'bogus'");
    expect_error("card serial=0000000000000001\napp class=pboc aid=A0000000038698\n"
                 "ef fid=0015 type=linear reclen=4\n",
                 3, "expected a number for nrec");
    expect_error("card serial=0000000000000001\napp class=pboc aid=A0000000038698 overdraft=x\n", 2,
                 "expected a number");
    expect_error("card serial=0000000000000001\napp class=pboc aid=A0000000038698 purses=xy\n", 2,
                 "expected purses=ed, ep or ed,ep");
    expect_error("card serial=0000000000000001\napp class=psam aid=A0000000038698 ovedraft=1\n", 2,
                 "unknown attribute 'ovedraft'");
    expect_error("card serial=0000000000000001\nkey usage=purchase master=TEST-NOPE\n", 2,
                 "unknown master key 'TEST-NOPE'");
    expect_error("masterkey PROD-MPK 00112233445566778899AABBCCDDEEFF\n", 1,
                 "must start with TEST-");
    expect_error("card serial=0000000000000001\nef fid=0015 type=transparent data=${serial:9}\n", 2,
                 "expected :1 to :8");
    expect_error("card serial=0000000000000001\ninclude no-such-file\n", 2, "cannot open");
    expect_error("card serial=0000000000000001\ncard serial=0000000000000002\n", 2,
                 "a second 'card' line");
}

Test(profile, install_refusal_is_reported_with_its_line)
{
    /* initial balance above the maximum: the applet refuses its install parameters */
    expect_error("card serial=0000000000000001\n"
                 "app class=pboc aid=A00000000386980701 max_balance=10 ep_balance=11\n",
                 2, "refused with status word 6A80");
}

Test(profile, nothing_written_before_the_profile_checks_out)
{
    char err[256];
    uint8_t atr[64];
    size_t n;

    cr_assert_eq(cos_profile_apply(&card, "psam", 0, err, sizeof err), 0, "%s", err);
    /* a profile with an error on its last line leaves the earlier card as it was */
    cr_assert_lt(apply_text("card serial=0000000000000001\n"
                            "app class=pboc aid=A00000000386980701\n"
                            "pin ref=1\n",
                            err, sizeof err),
                 0);
    cr_expect(strstr(err, ":3: expected hex bytes for value") != NULL, "%s", err);
    cr_assert_eq(cos_power_on(&card, COS_IF_CONTACT, 0, atr, sizeof atr, &n), 0);
    {
        uint8_t cmd[] = {0x00, 0xA4, 0x04, 0x00, 0x0A, 0xF0, 0x6F, 0x62,
                         0x6F, 0x6C, 0x50, 0x53, 0x41, 0x4D, 0x01, 0x00};
        uint8_t rsp[300];
        size_t rl;
        cr_assert_eq(cos_transmit(&card, 0, cmd, sizeof cmd, rsp, sizeof rsp, &rl), 0);
        cr_expect_eq(cos_rsp_sw(rsp, rl), 0x9000, "the PSAM is still there");
    }
}

Test(profile, placeholders_and_serial_override)
{
    pt_card t;
    uint8_t r[64];
    size_t n;

    pt_open(&t, "psam", 0xA1A2A3A4A5A6A7A8ull, 0);
    cr_assert_eq(pt_select(&t, pt_psam_aid, sizeof pt_psam_aid), 0x9000);
    cr_assert_eq(pt_txh(&t, "00 B0 95 00 0A", r, &n), 0x9000);
    pt_expect_hex("PSAM serial", r, n, "0000A1A2A3A4A5A6A7A8");
    cr_assert_eq(pt_txh(&t, "00 B0 96 00 06", r, &n), 0x9000);
    pt_expect_hex("terminal id", r, n, "112233445566");
    pt_close(&t);
}

/* An ED with an overdraft limit: INITIALIZE FOR PURCHASE reports it (PBOC 2.0 part 1:
 * the ED balance includes the overdraft) and the log records it. */
Test(profile, ed_overdraft_limit)
{
    char err[256];
    uint8_t atr[64], rsp[300];
    size_t n, rl;
    static const char *const cmds[] = {
        "00A40400 09 A00000000386980701 00",
        "00 20 00 01 03 123456",
        "80 50 01 02 0B 01 00000001 112233445566 0F",
        "80 50 01 01 0B 01 00000001 112233445566 0F",
    };
    static const uint16_t sws[] = {0x9000, 0x9000, 0x6A86, 0x9000};

    cr_assert_eq(apply_text("card serial=0000000000000001\n"
                            "app class=pboc aid=A00000000386980701 purses=ed overdraft=500 "
                            "ed_balance=1500\n"
                            "pin ref=1 value=123456\n"
                            "key usage=purchase value=11223344556677888877665544332211\n"
                            "key usage=tac value=11223344556677888877665544332211\n",
                            err, sizeof err),
                 0, "%s", err);
    cr_assert_eq(cos_power_on(&card, COS_IF_CONTACT, 0, atr, sizeof atr, &n), 0);
    for (n = 0; n < 4; n++) {
        uint8_t cmd[64];
        size_t len = pt_unhex(cmds[n], cmd, sizeof cmd);
        cr_assert_eq(cos_transmit(&card, 0, cmd, len, rsp, sizeof rsp, &rl), 0);
        cr_assert_eq(cos_rsp_sw(rsp, rl), sws[n], "command %zu", n);
    }
    pt_expect_hex("ED INITIALIZE FOR PURCHASE", rsp, 11, "000005DC 0000 0001F4 01 00");
}
