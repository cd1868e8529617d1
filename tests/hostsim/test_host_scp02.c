/*
 * obol tests: the host's SCP02 client (GP CS 2.3 Appendix E, i=15 and i=55).
 *
 * Vectors: session keys for sequence counters 0007 (omfgp) and 0001 (openjavacard),
 * kaoh/globalplatform scp02Test.c (i=15, C-MAC and C-MAC + C-DEC sessions with their
 * chained commands) and pySim test_globalplatform.py (cases 1 to 4). The R-MAC and a
 * C-MAC chain without a published vector are pinned against the formulas coded in the
 * test on host_ref.c. Error paths: wrong cryptogram, wrong R-MAC, bad lengths, state.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "obol/host_crypto.h"
#include "obol/host_gp.h"
#include "host_ref.h"

#define HEX(buf, str) ref_hex((str), (buf), sizeof(buf))

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
    uint8_t w[300];
    size_t n = HEX(w, want);

    cr_assert_eq(len, n, "length %zu, expected %zu (%s)", len, n, want);
    cr_assert_arr_eq(got, w, n, "bytes differ from %s", want);
}

static host_gp_keys keys_40(void)
{
    host_gp_keys k;

    memset(&k, 0, sizeof k);
    HEX(k.enc, "404142434445464748494A4B4C4D4E4F");
    memcpy(k.mac, k.enc, 16);
    memcpy(k.dek, k.enc, 16);
    k.len = 16;
    return k;
}

/* INITIALIZE UPDATE + open: returns host_gp_open's result, EXTERNAL AUTHENTICATE in
 * EA. RSP_HEX is the card's response data without the status word. */
static int open_session(host_gp_session *s, const host_gp_keys *k, uint8_t i, const char *hc_hex,
                        const char *rsp_hex, uint8_t level, uint8_t *ea, size_t *ea_len)
{
    uint8_t hc[8], iu[32], rsp[64];
    size_t n, rl;

    cr_assert_eq(host_gp_session_init(s, HOST_GP_SCP02, i, k, NULL, 0), 0);
    HEX(hc, hc_hex);
    cr_assert_eq(host_gp_init_update(s, hc, iu, sizeof iu, &n), 0);
    cr_assert_eq(n, 14);
    rl = HEX(rsp, rsp_hex);
    rsp[rl++] = 0x90;
    rsp[rl++] = 0x00;
    return host_gp_open(s, rsp, rl, level, ea, 32, ea_len);
}

static void confirm(host_gp_session *s)
{
    static const uint8_t ok[2] = {0x90, 0x00};
    cr_assert_eq(host_gp_confirm(s, ok, 2), 0);
    cr_assert_eq(s->state, HOST_GP_OPEN);
}

static void wrap_expect(host_gp_session *s, const char *plain_hex, const char *want_hex)
{
    uint8_t in[300], out[300];
    size_t n = HEX(in, plain_hex), on;

    cr_assert_eq(host_gp_wrap(s, in, n, out, sizeof out, &on), 0, "wrap %s", plain_hex);
    assert_hex(out, on, want_hex);
}

/* A card answer whose cryptogram is right for KEYS' S-ENC (computed here). */
static void card_response(const uint8_t s_enc[16], const uint8_t hc[8], const char *seq_cc_hex,
                          char out_hex[64])
{
    uint8_t buf[16], mac[8];
    int i;

    memcpy(buf, hc, 8);
    ref_hex(seq_cc_hex, buf + 8, 8); /* sequence counter(2) || card challenge(6) */
    ref_mac1(s_enc, 16, NULL, buf, 16, mac);
    strcpy(out_hex, "00000000000000000000FF02");
    for (i = 0; i < 8; i++)
        sprintf(out_hex + 24 + 2 * i, "%02X", buf[8 + i]);
    for (i = 0; i < 8; i++)
        sprintf(out_hex + 40 + 2 * i, "%02X", mac[i]);
}

Test(host_scp02, session_keys_counter_0007)
{
    host_gp_keys k = keys_40();
    host_gp_session s;
    uint8_t senc[16], hc[8], ea[32];
    char rsp[64];
    size_t n;

    HEX(senc, "A2268F71917EFE0F33CC6166E1154E27");
    HEX(hc, "0001020304050607");
    card_response(senc, hc, "0007 A1A2A3A4A5A6", rsp);
    cr_assert_eq(open_session(&s, &k, 0x15, "0001020304050607", rsp, 0x01, ea, &n), 0);
    assert_hex(s.s_mac, 16, "7A227D376A9DBE23AB50B7DCB45B2093");
    assert_hex(s.s_rmac, 16, "EF14C57DB4BB9015E88963D9D920A588");
    assert_hex(s.s_enc, 16, "A2268F71917EFE0F33CC6166E1154E27");
    cr_assert_eq(s.card_kvn, 0xFF);
    host_gp_session_wipe(&s);
}

Test(host_scp02, session_keys_counter_0001)
{
    host_gp_keys k = keys_40();
    host_gp_session s;
    uint8_t senc[16], hc[8], ea[32];
    char rsp[64];
    size_t n;

    HEX(senc, "25C9794A1205FF244F5FA0378D2F8D59");
    HEX(hc, "1122334455667788");
    card_response(senc, hc, "0001 010203040506", rsp);
    cr_assert_eq(open_session(&s, &k, 0x55, "1122334455667788", rsp, 0x01, ea, &n), 0);
    assert_hex(s.s_enc, 16, "25C9794A1205FF244F5FA0378D2F8D59");
    assert_hex(s.s_mac, 16, "9BED98891580C3B245FE9EC58BFA8D2A");
    assert_hex(s.s_dek, 16, "0E51FDF196141F227A57BD154012FD39");
}

/* kaoh/globalplatform scp02Test.c get_status_mac_only: i=15, C-MAC only. */
Test(host_scp02, kaoh_cmac_session_and_get_status)
{
    host_gp_keys k = keys_40();
    host_gp_session s;
    uint8_t ea[32], cmd[32];
    size_t n;

    cr_assert_eq(open_session(&s, &k, 0x15, "D5AD539A60CA5E72",
                              "000074746E6E6E6262620102069FAA2A0591E73367DD78794D04315E", 0x01, ea,
                              &n),
                 0);
    assert_hex(ea, n, "84820100107C799B3C771DBAE6BEF49310977617BA");
    confirm(&s);
    cr_assert_eq(host_gp_get_status_cmd(0x20, 0, NULL, 0, cmd, sizeof cmd, &n), 0);
    assert_hex(cmd, n, "80F22002024F0000");
    wrap_expect(&s, "80F22002024F0000", "84F220020A4F00BB6E71C0EFCFCF0D00");
}

/* kaoh/globalplatform scp02Test.c install_mac_enc: i=15, C-DEC + C-MAC, six chained
 * commands: two DELETEs (the first answered 6A88), INSTALL [for load], two LOAD blocks
 * and INSTALL [for install and make selectable]. The first three are rebuilt with the
 * builders; the LOAD plaintexts are recovered by decrypting with the reference. */
Test(host_scp02, kaoh_cdec_session_chain)
{
    static const char *const sent[] = {
        "84E4008018BC146FA0403BE4BAD3BC089E4ABD8674DA7EFEA21047B85800",
        "84E4008018C2748C1669FAFC0E20C5253680388A4A49C9A6038D77B45700",
        "84E60200280839B761AA201C218FD6607C56803CFD2D098CBAA9946976EEFAE3F210038EB4965D6E04EDEF8017"
        "00",
        "84E80000F8562EFDC9F22082A5184831F1DA6A0F495C5DF0FD71E8014A2B94EA81069FB630346197CDF1C3BD9"
        "CDBDD9513BFE6FE7992730FCF2089019D1374DA1021BD74E2085B806B8DA57431FF008406E1C695F2E27E0C2A"
        "554E01047B9B36F4058CFC1C2FB8D0A45B01C626DF5CB2509436283BE22B9E7750B3B7F36E29E3C97C69533B3"
        "5C2DBEF13904D06E96BEBB6FA38D3E7EB7EB9170F3004824F5A32278AE7CBC3E591BA0C79B090FBD8038B60AC"
        "5F83E4E250B32AD5B92768E775AA974A4FAFC81356FA333D5AB4FAF1A0056E08420AF95D18CA0DF726BA560C5"
        "C340CCA81A1BEA294AAFE3AED250EF6865AA2D3F11D058FDFE5EE7622AE19",
        "84E88001787FFE538F755D612CEE738FA68E177E8E146E66EF2A840387F7086C1CA8659C9F985585E11001A12"
        "D4940CB3EF200DFEC9EC7FB59CADED4A7F82EDA5BE808552A3CD3B65D41F9F61A23E6FDA2C1BF2493F4929950"
        "FA62030FF023B34398247A2E01BBF949E819B5EEA117DC6E0D91D40D85ABDE0BC2A76D8600",
        "84E60C00300839B761AA201C21EDAE7D003F76B62164B363AF56A2C7FE12AEF9FDC790DFC8FFE6B0346E9BF02"
        "674684247652F109A00"};
    static const uint8_t elf[] = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0x01};
    static const uint8_t app[] = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0x01, 0x01};
    static const uint8_t sd[] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00};
    static const uint8_t load_params[] = {0xEF, 0x08, 0xC6, 0x02, 0x01,
                                          0x60, 0xC8, 0x02, 0x07, 0xD0};
    static const uint8_t inst_params[] = {0xC9, 0x01, 0x00, 0xEF, 0x04, 0xC8, 0x02, 0x07, 0xD0};
    static const uint8_t priv = 0x02;
    host_gp_keys k = keys_40();
    host_gp_session s;
    uint8_t ea[32], want[300], plain[300], cmd[300], out[300];
    size_t n, wn, pn, on, i;
    host_gp_install in;

    cr_assert_eq(open_session(&s, &k, 0x15, "EBAA9E53C696281B",
                              "000074746E6E6E626262010206A15086BBEE58F467149061DA4B6EAE", 0x03, ea,
                              &n),
                 0);
    assert_hex(ea, n, "848203001005814C116071EB67D8BA9D9879454564");
    confirm(&s);
    for (i = 0; i < sizeof sent / sizeof sent[0]; i++) {
        wn = HEX(want, sent[i]);
        /* Recover the plain command: 3DES-CBC decrypt under S-ENC, strip 80 00.. */
        pn = want[4] - 8;
        ref_des_cbc(s.s_enc, 0, NULL, want + 5, plain, pn);
        while (plain[pn - 1] == 0x00)
            pn--;
        cr_assert_eq(plain[--pn], 0x80);
        cmd[0] = 0x80;
        memcpy(cmd + 1, want + 1, 3);
        cmd[4] = (uint8_t)pn;
        memcpy(cmd + 5, plain, pn);
        n = 5 + pn;
        if (wn > 5 + (size_t)want[4])
            cmd[n++] = 0x00; /* Le */
        /* The builders produce the same plain commands. */
        memset(&in, 0, sizeof in);
        if (i == 0) {
            cr_assert_eq(host_gp_delete_cmd(app, sizeof app, 1, out, sizeof out, &on), 0);
            cr_assert_eq(on, n);
            cr_assert_arr_eq(out, cmd, n, "DELETE D0D1D2D3D4D50101");
        } else if (i == 1) {
            cr_assert_eq(host_gp_delete_cmd(elf, sizeof elf, 1, out, sizeof out, &on), 0);
            cr_assert_eq(on, n);
            cr_assert_arr_eq(out, cmd, n, "DELETE D0D1D2D3D4D501");
        } else if (i == 2) {
            in.p1 = HOST_GP_INSTALL_LOAD;
            in.elf_aid = elf;
            in.elf_aid_len = sizeof elf;
            in.sd_aid = sd;
            in.sd_aid_len = sizeof sd;
            in.params = load_params;
            in.params_len = sizeof load_params;
            cr_assert_eq(host_gp_install_cmd(&in, out, sizeof out, &on), 0);
            cr_assert_eq(on, n);
            cr_assert_arr_eq(out, cmd, n, "INSTALL [for load]");
        } else if (i == 5) {
            in.p1 = HOST_GP_INSTALL_INSTALL | HOST_GP_INSTALL_SELECTABLE;
            in.elf_aid = elf;
            in.elf_aid_len = sizeof elf;
            in.module_aid = app;
            in.module_aid_len = sizeof app;
            in.app_aid = app;
            in.app_aid_len = sizeof app;
            in.privileges = &priv;
            in.privileges_len = 1;
            in.params = inst_params;
            in.params_len = sizeof inst_params;
            cr_assert_eq(host_gp_install_cmd(&in, out, sizeof out, &on), 0);
            cr_assert_eq(on, n);
            cr_assert_arr_eq(out, cmd, n, "INSTALL [for install and make selectable]");
        }
        cr_assert_eq(host_gp_wrap(&s, cmd, n, out, sizeof out, &on), 0);
        cr_assert_eq(on, wn, "command %zu length", i);
        cr_assert_arr_eq(out, want, wn, "command %zu", i);
    }
}

/* pySim test_globalplatform.py SCP02_Test: distinct ENC/MAC/DEK keys, KVN 20 asked,
 * the four APDU cases chained after EXTERNAL AUTHENTICATE. */
Test(host_scp02, pysim_four_cases)
{
    host_gp_keys k;
    host_gp_session s;
    uint8_t ea[32], hc[8], iu[16], rsp[40];
    size_t n, rl;

    memset(&k, 0, sizeof k);
    HEX(k.enc, "100102030405060708090A0B0C0D0E0F");
    HEX(k.mac, "101102030405060708090A0B0C0D0E0F");
    HEX(k.dek, "102102030405060708090A0B0C0D0E0F");
    k.len = 16;
    k.kvn = 0x20;
    cr_assert_eq(host_gp_session_init(&s, HOST_GP_SCP02, 0x15, &k, NULL, 0), 0);
    HEX(hc, "40A62C37FA6304F8");
    cr_assert_eq(host_gp_init_update(&s, hc, iu, sizeof iu, &n), 0);
    assert_hex(iu, n, "805020000840A62C37FA6304F800");
    rl = HEX(rsp, "00000000000000000000700200016B4524ABEE7CF32EA3838BC148F3 9000");
    cr_assert_eq(host_gp_open(&s, rsp, rl, 0x01, ea, sizeof ea, &n), 0);
    assert_hex(ea, n, "8482010010BA6961667737C5BCEBECE14C7D6A4376");
    confirm(&s);
    wrap_expect(&s, "80F22002", "84F220020814DB34FA4341DCA8");
    wrap_expect(&s, "80CA006600", "84CA00660855ED7C5FF069512B00");
    wrap_expect(&s, "80F220020A4F0212345C054F9F70C5",
                "84F22002124F0212345C054F9F70C58FC1B380C4228AF8");
    wrap_expect(&s, "80F28002024F0000", "84F280020A4F003B95F09317DE6A4E00");
}

/* The C-MAC chain of E.4.4 coded here: ICV(n+1) = DES(K_left, C-MAC(n)). */
Test(host_scp02, cmac_chain_matches_formula)
{
    static const char *const plain[] = {"80F22002024F0000", "80E2800003010203", "80CA9F7F00",
                                        "80D8000001AA00"};
    host_gp_keys k = keys_40();
    host_gp_session s;
    uint8_t ea[32], icv[8], in[64], msg[64], mac[8], out[64];
    size_t n, pn, on, i;

    cr_assert_eq(open_session(&s, &k, 0x55, "D5AD539A60CA5E72",
                              "000074746E6E6E6262620102069FAA2A0591E73367DD78794D04315E", 0x01, ea,
                              &n),
                 0);
    confirm(&s);
    ref_des_block(s.s_mac, 8, 1, ea + 13, icv);
    for (i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        pn = HEX(in, plain[i]);
        size_t lc = pn > 5 ? in[4] : 0;
        msg[0] = 0x84;
        memcpy(msg + 1, in + 1, 3);
        msg[4] = (uint8_t)(lc + 8);
        memcpy(msg + 5, in + 5, lc);
        ref_mac3(s.s_mac, icv, msg, 5 + lc, mac);
        cr_assert_eq(host_gp_wrap(&s, in, pn, out, sizeof out, &on), 0);
        cr_assert_eq(on, 5 + lc + 8 + (pn == 5 || pn > 5 + lc ? 1 : 0));
        cr_assert_arr_eq(out, msg, 5 + lc);
        cr_assert_arr_eq(out + 5 + lc, mac, 8, "C-MAC of command %zu", i);
        ref_des_block(s.s_mac, 8, 1, mac, icv);
    }
}

/* R-MAC (E.4.5) pinned against the formula: retail MAC under the R-MAC session key
 * (constant 0102 from the static MAC key), ICV = previous R-MAC starting from zero,
 * over CLA (SM and channel bits clear) INS P1 P2 Lc data || Li || data || SW. */
Test(host_scp02, rmac_chain_and_wrong_rmac)
{
    host_gp_keys k = keys_40();
    host_gp_session s;
    uint8_t ea[32], drv[16], srmac[16], ricv[8] = {0}, cmd[32], out[64], rsp[64], msg[64];
    size_t n, on, mn;
    int round;

    cr_assert_eq(open_session(&s, &k, 0x15, "D5AD539A60CA5E72",
                              "000074746E6E6E6262620102069FAA2A0591E73367DD78794D04315E", 0x13, ea,
                              &n),
                 0);
    confirm(&s);
    HEX(drv, "0102069F000000000000000000000000");
    ref_des_cbc(k.mac, 1, NULL, drv, srmac, 16);
    cr_assert_arr_eq(s.s_rmac, srmac, 16);
    for (round = 0; round < 2; round++) {
        n = HEX(cmd, round == 0 ? "80CA006600" : "80F28002024F0000");
        cr_assert_eq(host_gp_wrap(&s, cmd, n, out, sizeof out, &on), 0);
        /* The card answers 3 data bytes (first round) or none (second). */
        mn = 0;
        msg[mn++] = 0x80;
        memcpy(msg + mn, cmd + 1, 3);
        mn += 3;
        if (n > 5) {
            memcpy(msg + mn, cmd + 4, 1 + cmd[4]);
            mn += 1 + cmd[4];
        } else {
            msg[mn++] = 0x00;
        }
        size_t rl = round == 0 ? HEX(rsp, "010203") : 0;
        msg[mn++] = (uint8_t)rl;
        memcpy(msg + mn, rsp, rl);
        mn += rl;
        msg[mn++] = 0x90;
        msg[mn++] = 0x00;
        ref_mac3(srmac, ricv, msg, mn, rsp + rl);
        memcpy(ricv, rsp + rl, 8);
        rsp[rl + 8] = 0x90;
        rsp[rl + 9] = 0x00;
        cr_assert_eq(host_gp_unwrap(&s, rsp, rl + 10, out, sizeof out, &on), 0, "round %d", round);
        cr_assert_eq(on, rl + 2);
        cr_assert_arr_eq(out, rsp, rl);
        cr_assert_eq(out[rl], 0x90);
    }
    /* A wrong R-MAC fails and ends the session. */
    n = HEX(cmd, "80CA006600");
    cr_assert_eq(host_gp_wrap(&s, cmd, n, out, sizeof out, &on), 0);
    n = HEX(rsp, "0102030000000000000000 9000");
    cr_assert_eq(host_gp_unwrap(&s, rsp, n, out, sizeof out, &on), HOST_ERR_RMAC);
    cr_assert_eq(s.state, HOST_GP_FAILED);
    cr_assert_eq(host_gp_wrap(&s, cmd, 5, out, sizeof out, &on), HOST_ERR_STATE);
}

Test(host_scp02, rmac_missing_is_a_bad_length)
{
    host_gp_keys k = keys_40();
    host_gp_session s;
    uint8_t ea[32], out[32], cmd[8], sw[2] = {0x90, 0x00};
    size_t n, on;

    cr_assert_eq(open_session(&s, &k, 0x15, "D5AD539A60CA5E72",
                              "000074746E6E6E6262620102069FAA2A0591E73367DD78794D04315E", 0x11, ea,
                              &n),
                 0);
    confirm(&s);
    n = HEX(cmd, "80CA006600");
    cr_assert_eq(host_gp_wrap(&s, cmd, n, out, sizeof out, &on), 0);
    cr_assert_eq(host_gp_unwrap(&s, sw, 2, out, sizeof out, &on), HOST_ERR_PROTO);
    cr_assert_eq(s.state, HOST_GP_FAILED);
}

Test(host_scp02, wrong_card_cryptogram)
{
    host_gp_keys k = keys_40();
    host_gp_session s;
    uint8_t ea[32], cmd[8] = {0x80, 0xCA, 0x00, 0x66, 0x00}, out[32];
    size_t n;

    cr_assert_eq(open_session(&s, &k, 0x15, "D5AD539A60CA5E72",
                              "000074746E6E6E6262620102069FAA2A0591E73367DD78794D04315F", 0x01, ea,
                              &n),
                 HOST_ERR_CRYPTOGRAM);
    cr_assert_eq(s.state, HOST_GP_FAILED);
    cr_assert_eq(host_gp_wrap(&s, cmd, 5, out, sizeof out, &n), HOST_ERR_STATE);
    /* Another key set gives another cryptogram (bit 0 is DES parity: flip bit 1). */
    k.enc[0] ^= 2;
    cr_assert_eq(open_session(&s, &k, 0x15, "D5AD539A60CA5E72",
                              "000074746E6E6E6262620102069FAA2A0591E73367DD78794D04315E", 0x01, ea,
                              &n),
                 HOST_ERR_CRYPTOGRAM);
}

Test(host_scp02, malformed_responses_and_levels)
{
    host_gp_keys k = keys_40();
    host_gp_session s;
    uint8_t ea[32];
    size_t n;
    const char *good = "000074746E6E6E6262620102069FAA2A0591E73367DD78794D04315E";

    cr_assert_eq(open_session(&s, &k, 0x15, "D5AD539A60CA5E72",
                              "000074746E6E6E6262620102069FAA2A0591E73367DD78794D0431", 0x01, ea,
                              &n),
                 HOST_ERR_PROTO, "27 bytes");
    cr_assert_eq(open_session(&s, &k, 0x15, "D5AD539A60CA5E72",
                              "000074746E6E6E6262620103069FAA2A0591E73367DD78794D04315E", 0x01, ea,
                              &n),
                 HOST_ERR_PROTO, "SCP identifier 03");
    cr_assert_eq(open_session(&s, &k, 0x15, "D5AD539A60CA5E72", good, 0x02, ea, &n), HOST_ERR_ARG);
    cr_assert_eq(open_session(&s, &k, 0x15, "D5AD539A60CA5E72", good, 0x33, ea, &n), HOST_ERR_ARG);
    /* The card refuses INITIALIZE UPDATE. */
    {
        uint8_t hc[8] = {0}, iu[16], sw[2] = {0x6A, 0x88};
        cr_assert_eq(host_gp_session_init(&s, HOST_GP_SCP02, 0x15, &k, NULL, 0), 0);
        cr_assert_eq(host_gp_init_update(&s, hc, iu, sizeof iu, &n), 0);
        cr_assert_eq(host_gp_init_update(&s, hc, iu, sizeof iu, &n), HOST_ERR_STATE);
        cr_assert_eq(host_gp_open(&s, sw, 1, 0x01, ea, sizeof ea, &n), HOST_ERR_PROTO);
        cr_assert_eq(host_gp_open(&s, sw, 2, 0x01, ea, sizeof ea, &n), HOST_ERR_SW);
    }
    /* The card refuses EXTERNAL AUTHENTICATE. */
    {
        uint8_t sw[2] = {0x63, 0x00};
        cr_assert_eq(open_session(&s, &k, 0x15, "D5AD539A60CA5E72", good, 0x01, ea, &n), 0);
        cr_assert_eq(host_gp_confirm(&s, sw, 2), HOST_ERR_SW);
        cr_assert_eq(s.state, HOST_GP_FAILED);
    }
    /* Options and key lengths the client does not implement. */
    cr_assert_eq(host_gp_session_init(&s, HOST_GP_SCP02, 0x0A, &k, NULL, 0), HOST_ERR_UNSUPPORTED);
    cr_assert_eq(host_gp_session_init(&s, 1, 0x15, &k, NULL, 0), HOST_ERR_UNSUPPORTED);
    k.len = 24;
    cr_assert_eq(host_gp_session_init(&s, HOST_GP_SCP02, 0x15, &k, NULL, 0), HOST_ERR_ARG);
}

Test(host_scp02, wrap_rejects_bad_apdus)
{
    host_gp_keys k = keys_40();
    host_gp_session s;
    uint8_t ea[32], in[300], out[300];
    size_t n, on;

    memset(in, 0x5A, sizeof in);
    in[0] = 0x80;
    cr_assert_eq(host_gp_session_init(&s, HOST_GP_SCP02, 0x15, &k, NULL, 0), 0);
    cr_assert_eq(host_gp_wrap(&s, in, 4, out, sizeof out, &on), HOST_ERR_STATE, "not open");
    cr_assert_eq(open_session(&s, &k, 0x15, "EBAA9E53C696281B",
                              "000074746E6E6E626262010206A15086BBEE58F467149061DA4B6EAE", 0x03, ea,
                              &n),
                 0);
    cr_assert_eq(host_gp_wrap(&s, in, 4, out, sizeof out, &on), HOST_ERR_STATE, "not confirmed");
    confirm(&s);
    cr_assert_eq(host_gp_wrap(&s, in, 3, out, sizeof out, &on), HOST_ERR_ARG, "3 bytes");
    in[4] = 0x00;
    cr_assert_eq(host_gp_wrap(&s, in, 8, out, sizeof out, &on), HOST_ERR_ARG, "Lc 00");
    in[4] = 0x05;
    cr_assert_eq(host_gp_wrap(&s, in, 12, out, sizeof out, &on), HOST_ERR_ARG, "Lc mismatch");
    in[4] = 240; /* pads to 248 + 8 > 255 */
    cr_assert_eq(host_gp_wrap(&s, in, 245, out, sizeof out, &on), HOST_ERR_ARG, "too long");
    in[4] = 0x05;
    cr_assert_eq(host_gp_wrap(&s, in, 10, out, 20, &on), HOST_ERR_NOSPACE);
    /* None of the failures moved the chain: the kaoh first DELETE still matches. */
    wrap_expect(&s, "80E400800A4F08D0D1D2D3D4D5010100",
                "84E4008018BC146FA0403BE4BAD3BC089E4ABD8674DA7EFEA21047B85800");
}

/* PUT KEY (11.8, E.4.7): key data 3DES-ECB under the session DEK, checked by
 * decrypting with the reference and the counter-0001 DEK vector. */
Test(host_scp02, put_key_encrypts_under_session_dek)
{
    host_gp_keys k = keys_40();
    host_gp_session s;
    uint8_t senc[16], hc[8], ea[32], dek[16], newkeys[48], out[128], clear[16], kcv[8],
        zero[8] = {0};
    char rsp[64];
    size_t n, i;

    HEX(senc, "25C9794A1205FF244F5FA0378D2F8D59");
    HEX(hc, "1122334455667788");
    card_response(senc, hc, "0001 010203040506", rsp);
    cr_assert_eq(open_session(&s, &k, 0x15, "1122334455667788", rsp, 0x03, ea, &n), 0);
    cr_assert_eq(host_gp_put_key_cmd(&s, 0, 0x21, 1, newkeys, 3, 16, out, sizeof out, &n),
                 HOST_ERR_STATE, "channel not open");
    confirm(&s);
    HEX(dek, "0E51FDF196141F227A57BD154012FD39");
    for (i = 0; i < sizeof newkeys; i++)
        newkeys[i] = (uint8_t)(0x50 + i);
    cr_assert_eq(host_gp_put_key_cmd(&s, 0xFF, 0x21, 1, newkeys, 3, 16, out, sizeof out, &n), 0);
    cr_assert_eq(n, 5 + 1 + 3 * 22 + 1);
    assert_hex(out, 6, "80D8FF814321");
    for (i = 0; i < 3; i++) {
        const uint8_t *blk = out + 6 + 22 * i;
        cr_assert_eq(blk[0], 0x80);
        cr_assert_eq(blk[1], 0x10);
        ref_des_block(dek, 16, 0, blk + 2, clear);
        ref_des_block(dek, 16, 0, blk + 10, clear + 8);
        cr_assert_arr_eq(clear, newkeys + 16 * i, 16, "key %zu", i);
        cr_assert_eq(blk[18], 0x03);
        ref_des_block(newkeys + 16 * i, 16, 1, zero, kcv);
        cr_assert_arr_eq(blk + 19, kcv, 3);
    }
    cr_assert_eq(out[n - 1], 0x00);
    cr_assert_eq(host_gp_put_key_cmd(&s, 0, 0x21, 1, newkeys, 1, 24, out, sizeof out, &n),
                 HOST_ERR_ARG, "SCP02 keys are 16 bytes");
    cr_assert_eq(host_gp_put_key_cmd(&s, 0, 0x21, 1, newkeys, 3, 16, out, 40, &n),
                 HOST_ERR_NOSPACE);
}
