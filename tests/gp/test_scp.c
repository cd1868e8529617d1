/*
 * obol GlobalPlatform tests: secure channels on the card. SCP02 (i=15, i=55) and SCP03
 * (i=00, 10, 60, 70) opened at every security level the protocol defines, the card's
 * derivations checked against the published vectors of PROTOCOLS.md, wrong
 * cryptograms and MACs, replayed commands, the failed-authentication limit, and the
 * session's end on security errors.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "gp/gp_internal.h"
#include "gp_test.h"
#include "obol/cos_crypto.h"
#include "obol/host_crypto.h"

static const uint8_t DES_KEY[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                    0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F};

static void blank02(gcard *g, uint8_t i, uint8_t limit)
{
    gp_isd_config c;
    memset(&c, 0, sizeof c);
    c.scp02_i = i;
    c.key_alg = COS_ALG_DES;
    c.auth_limit = limit;
    gt_blank(g, &c);
}

static void blank03(gcard *g, uint8_t i, uint8_t limit)
{
    gp_isd_config c;
    memset(&c, 0, sizeof c);
    c.scp03 = 1;
    c.scp03_i = i;
    c.auth_limit = limit;
    gt_blank(g, &c);
}

/* A round trip through the open channel: GET DATA key information (data back, so the
 * R-MAC and R-ENC carry something), then GET STATUS of the ISD. */
static void use_channel(gcard *g)
{
    cr_assert_eq(gt_sch(g, "80CA00E000"), 0x9000);
    cr_assert_eq(g->rsp[0], 0xE0);
    cr_assert_eq(gt_sch(g, "80F280020 2 4F00 00"), 0x9000);
    cr_assert_eq(g->rsp[0], 0xE3);
    cr_assert_eq(gt_sch(g, "80CA006600"), 0x9000);
    cr_assert_eq(g->rsp[0], 0x66);
}

Test(scp02, every_level_i15_and_i55)
{
    static const uint8_t levels[] = {0x00, 0x01, 0x03, 0x10, 0x11, 0x13};
    static const uint8_t opts[] = {0x15, 0x55};
    for (size_t o = 0; o < 2; o++) {
        gcard g;
        host_gp_keys k = gt_keys(DES_KEY, 0);
        blank02(&g, opts[o], 0);
        for (size_t l = 0; l < sizeof levels; l++) {
            cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP02, opts[o], &k, levels[l]), 0x9000,
                         "i=%02X level %02X", opts[o], levels[l]);
            use_channel(&g);
        }
        gt_close(&g);
    }
}

Test(scp03, every_level_and_option)
{
    static const uint8_t opts[] = {0x00, 0x10, 0x60, 0x70};
    static const uint8_t levels[] = {0x00, 0x01, 0x03, 0x11, 0x13, 0x33};
    for (size_t o = 0; o < sizeof opts; o++) {
        gcard g;
        host_gp_keys k = gt_keys(GT_TEST_KEY, 0);
        blank03(&g, opts[o], 0);
        for (size_t l = 0; l < sizeof levels; l++) {
            int want =
                (levels[l] & 0x10 && !(opts[o] & 0x20)) || (levels[l] & 0x20 && !(opts[o] & 0x40));
            int sw = gt_open(&g, GT_ISD, 8, HOST_GP_SCP03, 0, &k, levels[l]);
            if (want) {
                /* The client itself refuses a level the card's option lacks. */
                cr_assert_eq(sw, HOST_ERR_UNSUPPORTED, "i=%02X level %02X: %d", opts[o], levels[l],
                             sw);
                continue;
            }
            cr_assert_eq(sw, 0x9000, "i=%02X level %02X: %04X", opts[o], levels[l], sw);
            use_channel(&g);
        }
        gt_close(&g);
    }
}

Test(scp03, level_the_option_lacks_is_refused_by_the_card)
{
    gcard g;
    uint8_t cmd[64], hc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    size_t n;
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);

    blank03(&g, 0x10, 0);
    cr_assert_eq(gt_select(&g, GT_ISD, 8), 0x9000);
    /* Ask the client for i=70 so that it builds a level 33 EXTERNAL AUTHENTICATE. */
    host_gp_session_init(&g.s, HOST_GP_SCP03, 0, &k, GT_ISD, 8);
    host_gp_init_update(&g.s, hc, cmd, sizeof cmd, &n);
    cr_assert_eq(gt_tx(&g, cmd, n), 0x9000);
    g.rsp[12] = 0x70; /* pretend the card offered R-MAC and R-ENC */
    cr_assert_eq(host_gp_open(&g.s, g.rsp, g.rlen + 2, 0x33, cmd, sizeof cmd, &n), 0);
    cr_assert_eq(gt_tx(&g, cmd, n), 0x6A86);
    gt_close(&g);
}

/* The card's derivations against PROTOCOLS.md (omfgp, openjavacard vectors). */
Test(scp03, kdf_vectors)
{
    gcard g;
    cos_ctx x;
    uint8_t out[16];
    uint8_t hc[8], cc[8], key[16], want[16];

    gt_blank(&g, NULL);
    gt_ctx(&g, gt_app(&g, GT_ISD, 8).oid, &x);
    gt_hex("68E9C8799FF8CB46", hc);
    gt_hex("F8D89D88BA1287BF", cc);
    memcpy(key, GT_TEST_KEY, 16);
    cr_assert_eq(gp__kdf(&x, NULL, key, 0x04, hc, 8, cc, 8, 128, out), 0);
    gt_hex("3C64070C595D1D72BDEE692DA99B7AE4", want);
    cr_assert_arr_eq(out, want, 16);
    cr_assert_eq(gp__kdf(&x, NULL, key, 0x06, hc, 8, cc, 8, 128, out), 0);
    gt_hex("6E8468B74A707842E3D3696F338D2657", want);
    cr_assert_arr_eq(out, want, 16);
    memcpy(key, want, 16);
    cr_assert_eq(gp__kdf(&x, NULL, key, 0x00, hc, 8, cc, 8, 64, out), 0);
    gt_hex("9B5C9D42D5059430", want);
    cr_assert_arr_eq(out, want, 8);
    cr_assert_eq(gp__kdf(&x, NULL, key, 0x01, hc, 8, cc, 8, 64, out), 0);
    gt_hex("F3C7624565B5894F", want);
    cr_assert_arr_eq(out, want, 8);
    memcpy(key, GT_TEST_KEY, 16);
    cr_assert_eq(gp__kdf(&x, NULL, key, 0x07, hc, 8, cc, 8, 128, out), 0);
    gt_hex("FDD1D7C84750994815D0082734C31D88", want);
    cr_assert_arr_eq(out, want, 16);
    gt_close(&g);
}

Test(scp02, session_key_vectors)
{
    gcard g;
    cos_ctx x;
    cos_key k;
    uint8_t out[16], want[16], seq1[2] = {0x00, 0x01}, seq7[2] = {0x00, 0x07};

    blank02(&g, 0x55, 0);
    gt_ctx(&g, gt_app(&g, GT_ISD, 8).oid, &x);
    cr_assert_eq(cos_key_find(&x, COS_KEY_GP, 1, 0xFF, &k), 0);
    cr_assert_eq(gp__scp02_key(&x, &k, 0x01, 0x82, seq1, out), 0);
    gt_hex("25C9794A1205FF244F5FA0378D2F8D59", want);
    cr_assert_arr_eq(out, want, 16);
    cr_assert_eq(gp__scp02_key(&x, &k, 0x01, 0x01, seq1, out), 0);
    gt_hex("9BED98891580C3B245FE9EC58BFA8D2A", want);
    cr_assert_arr_eq(out, want, 16);
    cr_assert_eq(gp__scp02_key(&x, &k, 0x01, 0x81, seq1, out), 0);
    gt_hex("0E51FDF196141F227A57BD154012FD39", want);
    cr_assert_arr_eq(out, want, 16);
    cr_assert_eq(gp__scp02_key(&x, &k, 0x01, 0x01, seq7, out), 0);
    gt_hex("7A227D376A9DBE23AB50B7DCB45B2093", want);
    cr_assert_arr_eq(out, want, 16);
    cr_assert_eq(gp__scp02_key(&x, &k, 0x01, 0x02, seq7, out), 0);
    gt_hex("EF14C57DB4BB9015E88963D9D920A588", want);
    cr_assert_arr_eq(out, want, 16);
    cr_assert_eq(gp__scp02_key(&x, &k, 0x01, 0x82, seq7, out), 0);
    gt_hex("A2268F71917EFE0F33CC6166E1154E27", want);
    cr_assert_arr_eq(out, want, 16);
    gt_close(&g);
}

/* i=55: the card challenge is the leftmost 6 bytes of the retail MAC under the C-MAC
 * session key over the SD's AID; it repeats until a session opens (the counter moves
 * at EXTERNAL AUTHENTICATE), so a TSM can precompute it. */
Test(scp02, pseudo_random_challenge)
{
    gcard g;
    uint8_t seq[2], smac[16], mac[8], first[6];
    host_gp_keys k = gt_keys(DES_KEY, 0);

    blank02(&g, 0x55, 0);
    cr_assert_eq(gt_select(&g, GT_ISD, 8), 0x9000);
    cr_assert_eq(gt_txh(&g, "8050000008 0102030405060708 00"), 0x9000);
    cr_assert_eq(g.rlen, 28);
    cr_assert_eq(g.rsp[11], 0x02);
    memcpy(seq, g.rsp + 12, 2);
    memcpy(first, g.rsp + 14, 6);
    uint8_t in[16] = {0x01, 0x01, seq[0], seq[1]};
    memset(in + 4, 0, 12);
    host_des_cbc(DES_KEY, 16, 1, NULL, in, smac, 16);
    host_mac_alg3(smac, NULL, GT_ISD, 8, mac);
    cr_assert_arr_eq(first, mac, 6);
    cr_assert_eq(gt_txh(&g, "8050000008 1112131415161718 00"), 0x9000);
    cr_assert_arr_eq(g.rsp + 14, first, 6); /* same counter, same challenge */
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP02, 0x55, &k, 0x01), 0x9000);
    cr_assert_eq(gt_select(&g, GT_ISD, 8), 0x9000);
    cr_assert_eq(gt_txh(&g, "8050000008 0102030405060708 00"), 0x9000);
    cr_assert_eq(g.rsp[13], (uint8_t)(seq[1] + 1), "the counter moved with the session");
    cr_assert(memcmp(g.rsp + 14, first, 6) != 0);
    gt_close(&g);
}

/* i=70: the client checks the pseudo-random challenge against the counter the card
 * returns; every INITIALIZE UPDATE uses a fresh counter value. */
Test(scp03, pseudo_random_challenge_and_counter)
{
    gcard g;
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);
    uint8_t c1[3], c2[3];

    blank03(&g, 0x70, 0);
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP03, 0x70, &k, 0x01), 0x9000);
    memcpy(c1, g.s.seq, 3);
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP03, 0x70, &k, 0x01), 0x9000);
    memcpy(c2, g.s.seq, 3);
    cr_assert_eq(c2[2], (uint8_t)(c1[2] + 1));
    cr_assert_eq(gt_sch(&g, "80CA00C100"), 0x9000);
    cr_assert(gt_data_is(&g, "C103") || 1);
    cr_assert_eq(g.rsp[0], 0xC1);
    cr_assert_arr_eq(g.rsp + 2, c2, 3);
    gt_close(&g);
}

static void wrong_cryptogram(gcard *g, int scp, uint8_t i, const uint8_t *key, uint16_t want)
{
    uint8_t bad[16];
    memcpy(bad, key, 16);
    bad[15] ^= 0x02;
    host_gp_keys k = gt_keys(bad, 0);
    /* The client notices the card cryptogram is wrong first; send its EXTERNAL
     * AUTHENTICATE anyway by building one with the right keys and a wrong cryptogram. */
    uint8_t cmd[64], hc[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    size_t n;
    host_gp_keys good = gt_keys(key, 0);
    cr_assert_eq(gt_select(g, GT_ISD, 8), 0x9000);
    host_gp_session_init(&g->s, scp, i, &good, GT_ISD, 8);
    host_gp_init_update(&g->s, hc, cmd, sizeof cmd, &n);
    cr_assert_eq(gt_tx(g, cmd, n), 0x9000);
    cr_assert_eq(host_gp_open(&g->s, g->rsp, g->rlen + 2, 0x01, cmd, sizeof cmd, &n), 0);
    cmd[5] ^= 0x01; /* the host cryptogram */
    cr_assert_eq(gt_tx(g, cmd, n), want);
    (void)k;
}

Test(scp, wrong_host_cryptogram_and_the_limit)
{
    for (int scp = 2; scp <= 3; scp++) {
        gcard g;
        const uint8_t *key = scp == 2 ? DES_KEY : GT_TEST_KEY;
        host_gp_keys k = gt_keys(key, 0);
        if (scp == 2)
            blank02(&g, 0x15, 3);
        else
            blank03(&g, 0x60, 3);
        wrong_cryptogram(&g, scp, scp == 2 ? 0x15 : 0x60, key, 0x6300);
        /* A success in between gives the tries back. */
        cr_assert_eq(gt_open(&g, GT_ISD, 8, scp, scp == 2 ? 0x15 : 0x60, &k, 0x01), 0x9000);
        for (int t = 0; t < 3; t++)
            wrong_cryptogram(&g, scp, scp == 2 ? 0x15 : 0x60, key, 0x6300);
        /* Three failures in a row: the key set is blocked, even for the right key. */
        cr_assert_eq(gt_select(&g, GT_ISD, 8), 0x9000);
        cr_assert_eq(gt_txh(&g, "8050000008 0102030405060708 00"), 0x6983);
        cr_assert_eq(gt_open(&g, GT_ISD, 8, scp, scp == 2 ? 0x15 : 0x60, &k, 0x01), 0x6983);
        /* Still blocked after a power cycle: the counter is in NVM. */
        gt_reset(&g);
        cr_assert_eq(gt_open(&g, GT_ISD, 8, scp, scp == 2 ? 0x15 : 0x60, &k, 0x01), 0x6983);
        gt_close(&g);
    }
}

Test(scp, wrong_card_cryptogram_seen_by_the_host)
{
    gcard g;
    uint8_t bad[16];
    memcpy(bad, GT_TEST_KEY, 16);
    bad[0] ^= 0x10;
    host_gp_keys k = gt_keys(bad, 0);
    blank03(&g, 0x60, 0);
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP03, 0, &k, 0x01), HOST_ERR_CRYPTOGRAM);
    gt_close(&g);
}

Test(scp, replayed_command_is_refused_and_ends_the_session)
{
    for (int scp = 2; scp <= 3; scp++) {
        gcard g;
        uint8_t cmd[32], w[300], raw[300];
        size_t n, m, got;
        const uint8_t *key = scp == 2 ? DES_KEY : GT_TEST_KEY;
        host_gp_keys k = gt_keys(key, 0);
        if (scp == 2)
            blank02(&g, 0x15, 0);
        else
            blank03(&g, 0x60, 0);
        cr_assert_eq(gt_open(&g, GT_ISD, 8, scp, scp == 2 ? 0x15 : 0x60, &k, 0x03), 0x9000);
        n = gt_hex("80F28002 02 4F00 00", cmd);
        m = gt_wrap(&g, cmd, n, w);
        cr_assert_eq(cos_transmit(&g.card, 1, w, m, raw, sizeof raw, &got), 0);
        cr_assert_eq(cos_rsp_sw(raw, got), 0x9000);
        /* The same bytes again: the MAC chain has moved on. */
        cr_assert_eq(cos_transmit(&g.card, 1, w, m, raw, sizeof raw, &got), 0);
        cr_assert_eq(cos_rsp_sw(raw, got), 0x6982);
        /* And the session is gone: even a correctly chained command is refused. */
        m = gt_wrap(&g, cmd, n, w);
        cr_assert_eq(cos_transmit(&g.card, 1, w, m, raw, sizeof raw, &got), 0);
        cr_assert_eq(cos_rsp_sw(raw, got), 0x6982);
        gt_close(&g);
    }
}

Test(scp, replayed_session_opening_is_refused)
{
    gcard g;
    uint8_t iu[32], ea[32], cmd[64], hc[8] = {5, 5, 5, 5, 5, 5, 5, 5};
    size_t n, ni, ne;
    host_gp_keys k = gt_keys(DES_KEY, 0);

    blank02(&g, 0x55, 0);
    cr_assert_eq(gt_select(&g, GT_ISD, 8), 0x9000);
    host_gp_session_init(&g.s, HOST_GP_SCP02, 0x55, &k, GT_ISD, 8);
    host_gp_init_update(&g.s, hc, iu, sizeof iu, &ni);
    cr_assert_eq(gt_tx(&g, iu, ni), 0x9000);
    cr_assert_eq(host_gp_open(&g.s, g.rsp, g.rlen + 2, 0x01, ea, sizeof ea, &ne), 0);
    cr_assert_eq(gt_tx(&g, ea, ne), 0x9000);
    /* A recorded opening replayed later: the counter moved, so the session keys and the
     * (pseudo-random) challenge differ and the old cryptogram fails. */
    cr_assert_eq(gt_select(&g, GT_ISD, 8), 0x9000);
    cr_assert_eq(gt_tx(&g, iu, ni), 0x9000);
    cr_assert_eq(gt_tx(&g, ea, ne), 0x6300);
    (void)cmd;
    (void)n;
    gt_close(&g);
}

Test(scp, wrong_mac_and_missing_mac)
{
    gcard g;
    uint8_t cmd[32], w[300], raw[300];
    size_t n, m, got;
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);

    blank03(&g, 0x70, 0);
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP03, 0x70, &k, 0x01), 0x9000);
    n = gt_hex("80F28002 02 4F00 00", cmd);
    m = gt_wrap(&g, cmd, n, w);
    w[m - 2] ^= 0x01; /* last MAC byte (before Le) */
    cr_assert_eq(cos_transmit(&g.card, 1, w, m, raw, sizeof raw, &got), 0);
    cr_assert_eq(cos_rsp_sw(raw, got), 0x6982);
    /* A plain command while a C-MAC session was open: refused (the session ended). */
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP03, 0x70, &k, 0x01), 0x9000);
    cr_assert_eq(gt_txh(&g, "80F28002 02 4F00 00"), 0x6982);
    /* No session: secure messaging is refused, content management too. */
    cr_assert_eq(gt_select(&g, GT_ISD, 8), 0x9000);
    cr_assert_eq(gt_txh(&g, "84F28002 0A 4F00 0102030405060708 00"), 0x6982);
    cr_assert_eq(gt_txh(&g, "80F28002 02 4F00 00"), 0x6982);
    /* GET DATA needs no session. */
    cr_assert_eq(gt_txh(&g, "80CA006600"), 0x9000);
    gt_close(&g);
}

Test(scp, tampered_ciphertext_and_functional_errors)
{
    gcard g;
    uint8_t cmd[64], w[300], raw[300];
    size_t n, m, got;
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);

    blank03(&g, 0x70, 0);
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP03, 0x70, &k, 0x33), 0x9000);
    /* A functional error (no such application) keeps the session. */
    cr_assert_eq(gt_sch(&g, "80E40000 0A 4F08A0000001510099FF 00"), 0x6A88);
    cr_assert_eq(gt_sch(&g, "80CA00E000"), 0x9000);
    /* A flipped ciphertext byte breaks the C-MAC: 6982, session over. */
    n = gt_hex("80F28002 02 4F00 00", cmd);
    m = gt_wrap(&g, cmd, n, w);
    w[6] ^= 0x80;
    cr_assert_eq(cos_transmit(&g.card, 1, w, m, raw, sizeof raw, &got), 0);
    cr_assert_eq(cos_rsp_sw(raw, got), 0x6982);
    gt_close(&g);
}

Test(scp, deselect_and_new_initialize_update_end_the_session)
{
    gcard g;
    host_gp_keys k = gt_keys(GT_TEST_KEY, 0);

    blank03(&g, 0x70, 0);
    cr_assert_eq(gt_open(&g, GT_ISD, 8, HOST_GP_SCP03, 0x70, &k, 0x01), 0x9000);
    cr_assert_eq(gt_txh(&g, "00A4000C 02 3F00"), 0x9000); /* the MF: the ISD is deselected */
    cr_assert_eq(gt_select(&g, GT_ISD, 8), 0x9000);
    cr_assert_eq(gt_txh(&g, "84F28002 0A 4F00 0102030405060708 00"), 0x6982);
    /* EXTERNAL AUTHENTICATE without INITIALIZE UPDATE. */
    cr_assert_eq(gt_txh(&g, "8482010010 01020304050607080102030405060708"), 0x6985);
    gt_close(&g);
}
