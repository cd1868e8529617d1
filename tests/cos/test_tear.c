/*
 * obol card OS tests: exhaustive tearing. For each state-changing command, the
 * harness (cos_tear.h) cuts the power at every NVM write of the command and inside
 * writes at a few byte offsets; after power-up recovery the card's logical NVM
 * content must equal the state before or after the command. VERIFY and EXTERNAL
 * AUTHENTICATE with the right secret may also leave one try consumed (their counters
 * count an attempt before comparing; see auth.c), which is declared as the one extra
 * acceptable state.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cos_test.h"
#include "obol/cos_crypto.h"
#include "obol/cos_tear.h"

/* Sends one APDU given in hex; returns the SW, or a negative error (power lost). */
static int xmit(cos_card *c, const char *hex, uint8_t *rsp, size_t *n)
{
    uint8_t cmd[600], r[600];
    size_t len = tc_hex(hex, cmd), rn;
    int rc = cos_transmit(c, 0, cmd, len, rsp ? rsp : r, 600, &rn);
    if (rc < 0)
        return rc;
    if (n)
        *n = rn;
    return cos_rsp_sw(rsp ? rsp : r, rn);
}

/* A script: APDUs in hex separated by '|', each with its expected SW after '='. */
static int script(cos_card *c, void *arg)
{
    char buf[2048], *save = NULL;
    strncpy(buf, arg, sizeof buf - 1);
    buf[sizeof buf - 1] = 0;
    for (char *tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
        char *eq = strchr(tok, '=');
        unsigned want = 0x9000;
        if (eq) {
            *eq = 0;
            want = (unsigned)strtoul(eq + 1, NULL, 16);
        }
        int sw = xmit(c, tok, NULL, NULL);
        if (sw < 0)
            return sw;
        if ((unsigned)sw != want)
            return COS_ERR_APPLET; /* the untorn run must behave as scripted */
    }
    return 0;
}

/* GET CHALLENGE then a line-protected command (arg: header hex || data hex, key 60..). */
/* Sends the line-protected command of ARG ("KK hdr(4) data", KK the first byte of the
 * test MAC key) after a GET CHALLENGE, with a correct MAC, or a wrong one when WRONG
 * (then it expects 6988). */
static int mac_send(cos_card *c, const char *spec, int wrong)
{
    uint8_t cmd[300], rsp[64], key[16], icv[8] = {0}, mac[8];
    size_t n, d;
    int sw = xmit(c, "0084000004", rsp, &n);
    if (sw < 0)
        return sw;
    if (sw != 0x9000)
        return COS_ERR_APPLET;
    memcpy(icv, rsp, 4);
    uint8_t first = (uint8_t)strtoul(spec, NULL, 16);
    tc_key(first, key);
    d = tc_hex(spec + 3, cmd) - 4; /* "KK hdr(4) data" */
    memmove(cmd + 5, cmd + 4, d);
    cmd[4] = (uint8_t)(d + 4);
    cos_mac_alg3(key, icv, cmd, 5 + d, mac);
    mac[0] ^= (uint8_t)(wrong ? 0x01 : 0x00);
    memcpy(cmd + 5 + d, mac, 4);
    int rc = cos_transmit(c, 0, cmd, 9 + d, rsp, sizeof rsp, &n);
    if (rc < 0)
        return rc;
    return cos_rsp_sw(rsp, n) == (wrong ? 0x6988 : 0x9000) ? 0 : COS_ERR_APPLET;
}

static int mac_op(cos_card *c, void *arg)
{
    return mac_send(c, arg, 0);
}

/* The same command with a wrong MAC: the state a torn correct one may also leave,
 * since the card counts the attempt on the key before checking it (sec.c). */
static int mac_op_wrong(cos_card *c, void *arg)
{
    return mac_send(c, arg, 1);
}

typedef struct img {
    uint8_t nvm[TC_NVM];
} img;

/* The default card's image after PREP (a script run untorn), powered on. */
static void image(img *out, const char *prep)
{
    tcard t;
    tc_open(&t, 0, COS_IF_CONTACT);
    if (prep)
        cr_assert_eq(script(&t.card, (void *)prep), 0, "prep %s", prep);
    memcpy(out->nvm, t.host.nvm, TC_NVM);
    tc_close(&t);
}

static void check(const char *name, const img *before, cos_tear_op op, void *arg,
                  const uint8_t (*extra)[32], size_t nextra)
{
    cos_tear_spec s = {before->nvm, TC_NVM,         TC_PAGE, tc_classes, tc_nclasses,
                       TC_SEED,     COS_IF_CONTACT, op,      arg,        NULL,
                       extra,       nextra,         NULL,    0};
    cos_tear_result r;
    int rc = cos_tear_run(&s, &r);
    cr_assert_eq(rc, 0, "%s: %s", name, r.msg);
    cr_assert_gt(r.writes, 0, "%s changes NVM", name);
    cr_assert_eq(r.runs, r.as_before + r.as_after + r.as_extra);
    cr_assert_gt(r.as_before, 0, "%s: some cut rolls back", name);
    cr_log_info("%s: %u writes, %u torn runs (%u before, %u after, %u extra)", name, r.writes,
                r.runs, r.as_before, r.as_after, r.as_extra);
}

static void check_script(const char *name, const char *prep, const char *ops)
{
    img *b = malloc(sizeof *b);
    image(b, prep);
    check(name, b, script, (void *)ops, NULL, 0);
    free(b);
}

/* The extra state: PREP then VARIANT (a wrong secret) run untorn. */
static void extra_after(const img *b, cos_tear_op op, void *arg, uint8_t out[32])
{
    cos_tear_spec s = {b->nvm, TC_NVM, TC_PAGE, tc_classes, tc_nclasses, TC_SEED, COS_IF_CONTACT,
                       op,     arg,    NULL,    NULL,       0,           NULL,    0};
    cr_assert_eq(cos_tear_digest_after(&s, out), 0);
}

Test(tear, update_binary)
{
    check_script("UPDATE BINARY", NULL, "00D6810010 00112233445566778899AABBCCDDEEFF");
}

Test(tear, update_binary_extended)
{
    char cmd[700] = "00D68600 00012C ";
    for (int i = 0; i < 300; i++)
        strcat(cmd, "A5");
    check_script("UPDATE BINARY 300 bytes", NULL, cmd);
}

Test(tear, update_binary_with_mac)
{
    img *b = malloc(sizeof *b);
    image(b, NULL);
    uint8_t extra[1][32];
    extra_after(b, mac_op_wrong, "60 04D68400 0102030405060708", extra[0]);
    check("UPDATE BINARY with MAC", b, mac_op, "60 04D68400 0102030405060708", extra, 1);
    free(b);
}

Test(tear, update_record)
{
    img *b = malloc(sizeof *b);
    uint8_t extra[1][32];
    image(b, NULL);
    extra_after(b, script, "0020000104 30303030=63C2", extra[0]);
    check("UPDATE RECORD", b, script,
          "0020000104 31323334|00DC0214 10 0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F0F", extra, 1);
    free(b);
}

Test(tear, append_record_linear)
{
    img *b = malloc(sizeof *b);
    uint8_t extra[1][32];
    image(b, NULL);
    /* VERIFY first (its own try counter may tear: one try consumed). */
    extra_after(b, script, "0020000104 30303030=63C2", extra[0]);
    check("APPEND RECORD linear", b, script,
          "0020000104 31323334|00E20010 10 0303030303030303 0303030303030303", extra, 1);
    free(b);
}

Test(tear, append_record_cyclic_wrap)
{
    check_script("APPEND RECORD cyclic (wrapping)",
                 "00E2001808 1111111111111111|00E2001808 2222222222222222|"
                 "00E2001808 3333333333333333",
                 "00E2001808 4444444444444444");
}

Test(tear, update_record_with_mac)
{
    img *b = malloc(sizeof *b);
    uint8_t extra[1][32];
    image(b, NULL);
    extra_after(b, mac_op_wrong, "60 04DC013C 09090909090909090909090909090909", extra[0]);
    check("UPDATE RECORD with MAC", b, mac_op, "60 04DC013C 09090909090909090909090909090909",
          extra, 1);
    free(b);
}

Test(tear, verify_wrong_and_right)
{
    img *b = malloc(sizeof *b);
    uint8_t extra[1][32];
    check_script("VERIFY wrong PIN", NULL, "0020000104 39393939=63C2");
    image(b, "0020000104 39393939=63C2");
    extra_after(b, script, "0020000104 39393939=63C1", extra[0]);
    check("VERIFY right PIN after a wrong one", b, script, "0020000104 31323334", extra, 1);
    free(b);
}

Test(tear, change_reference_data)
{
    img *b = malloc(sizeof *b);
    uint8_t extra[1][32];
    image(b, NULL);
    extra_after(b, script, "0020000104 39393939=63C2", extra[0]);
    check("CHANGE REFERENCE DATA", b, script, "002400010A 31323334 353637383930", extra, 1);
    free(b);
}

Test(tear, reset_retry_counter)
{
    img *b = malloc(sizeof *b);
    uint8_t extra[2][32];
    const char *block = "0020000104 30303030=63C2|0020000104 30303030=63C1|"
                        "0020000104 30303030=6983";
    image(b, block);
    /* The resetting code's own counter may tear (one try of PIN 2 consumed). */
    extra_after(b, script, "0020000208 3939393939393939=63C4", extra[0]);
    memset(extra[1], 0, 32);
    check("RESET RETRY COUNTER", b, script, "002C00010C 3132333435363738 39393939", extra, 1);
    free(b);
}

static int ext_auth_op(cos_card *c, void *arg)
{
    uint8_t rsp[64], key[16], blk[8] = {0}, cmd[13] = {0x00, 0x82, 0x00, 0x01, 0x08};
    cos_des_key k;
    size_t n;
    int sw = xmit(c, "0084000004", rsp, &n);
    if (sw < 0)
        return sw;
    memcpy(blk, rsp, 4);
    tc_key((uint8_t)(uintptr_t)arg, key);
    cos_des_setkey(&k, key, 16);
    cos_des_encrypt(&k, blk, cmd + 5);
    int rc = cos_transmit(c, 0, cmd, sizeof cmd, rsp, sizeof rsp, &n);
    if (rc < 0)
        return rc;
    sw = cos_rsp_sw(rsp, n);
    return sw == 0x9000 || sw == 0x63C2 ? 0 : COS_ERR_APPLET;
}

Test(tear, external_authenticate)
{
    img *b = malloc(sizeof *b);
    uint8_t extra[1][32];
    image(b, NULL);
    check("EXTERNAL AUTHENTICATE wrong key", b, ext_auth_op, (void *)(uintptr_t)0x41, NULL, 0);
    extra_after(b, ext_auth_op, (void *)(uintptr_t)0x41, extra[0]);
    check("EXTERNAL AUTHENTICATE", b, ext_auth_op, (void *)(uintptr_t)0x40, extra, 1);
    free(b);
}

static int select_then_mac(cos_card *c, void *arg)
{
    int sw = xmit(c, "00A4040007F06F626F6C4101", NULL, NULL);
    if (sw < 0)
        return sw;
    return mac_op(c, arg);
}

static int select_then_mac_wrong(cos_card *c, void *arg)
{
    int sw = xmit(c, "00A4040007F06F626F6C4101", NULL, NULL);
    if (sw < 0)
        return sw;
    return mac_op_wrong(c, arg);
}

Test(tear, application_block_card_block_selected)
{
    img *b = malloc(sizeof *b);
    uint8_t extra[1][32];
    image(b, NULL);
    extra_after(b, select_then_mac_wrong, "70 841E0001", extra[0]);
    check("APPLICATION BLOCK (permanent)", b, select_then_mac, "70 841E0001", extra, 1);
    extra_after(b, select_then_mac_wrong, "70 84160000", extra[0]);
    check("CARD BLOCK", b, select_then_mac, "70 84160000", extra, 1);
    free(b);
}

Test(tear, applet_transactions)
{
    const char *sel = "00A4040007F06F626F6C4101|";
    char ops[512];
    snprintf(ops, sizeof ops, "%s8010 0003 08 0102030405060708", sel);
    check_script("applet PUT (new object)", NULL, ops);
    snprintf(ops, sizeof ops, "%s8010 0003 08 1112131415161718", sel);
    char prep[256];
    snprintf(prep, sizeof prep, "%s8010 0003 08 0102030405060708", sel);
    check_script("applet PUT (overwrite)", prep, ops);
    snprintf(ops, sizeof ops, "%s8020 0000 04 00000064", sel);
    check_script("applet CREDIT (balance and log together)", NULL, ops);
    snprintf(prep, sizeof prep,
             "%s8020000004 00000001|8020000004 00000002|8020000004 00000003|"
             "8020000004 00000004",
             sel);
    snprintf(ops, sizeof ops, "%s8020 0000 04 00000064", sel);
    check_script("applet CREDIT with a full cyclic log", prep, ops);
}

static int inst_create_op(cos_card *c, void *arg)
{
    static const uint8_t aid[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x43, 0x01};
    cos_inst_spec s = {{0x2200, aid, sizeof aid, NULL, 0},
                       TESTAPP_CLASS,
                       (const uint8_t *)"C",
                       1,
                       0,
                       {0, 0, 0},
                       0};
    (void)arg;
    return cos_inst_create(c, cos_perso_mf(c), &s, NULL);
}

static int inst_delete_op(cos_card *c, void *arg)
{
    cos_app_info info;
    static const uint8_t aid[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x42, 0x01};
    (void)arg;
    int rc = cos_app_find(c, aid, sizeof aid, &info);
    return rc < 0 ? rc : cos_inst_delete(c, info.oid);
}

Test(tear, instance_create_and_delete)
{
    img *b = malloc(sizeof *b);
    image(b, NULL);
    check("instance create (install)", b, inst_create_op, NULL, NULL, 0);
    check("instance delete", b, inst_delete_op, NULL, NULL, 0);
    free(b);
}
