/*
 * The purchase a user scripts with `obol card exec`: examples/purchase.apdu run against
 * a funded purse card and a PSAM by the real CLI, and the card's TAC verified here with
 * OpenSSL (obol_host), from the TEST master TAC key of profiles/test-keys.profile
 * dispersed by the card serial the card itself reported.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/host_crypto.h"

#ifndef OBOL_BIN
#error "OBOL_BIN must name the obol executable"
#endif

/* Parses a hex line into BUF; returns the byte count. */
static size_t unhex(const char *s, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    while (s[0] && s[1] && s[0] != '\n' && n < cap) {
        unsigned v;
        cr_assert_eq(sscanf(s, "%2x", &v), 1, "not hex: %s", s);
        buf[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

/* The value of master key NAME in the profile at PATH. */
static void master_key(const char *path, const char *name, uint8_t key[16])
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        char word[32], kname[64], hex[80];
        if (sscanf(line, "%31s %63s %79s", word, kname, hex) == 3 &&
            strcmp(word, "masterkey") == 0 && strcmp(kname, name) == 0) {
            char clean[40];
            size_t k = 0;
            for (const char *p = hex; *p && k < 32; p++)
                if (*p != '_')
                    clean[k++] = *p;
            clean[k] = '\0';
            cr_assert_eq(unhex(clean, key, 16), 16);
            found = 1;
        }
    }
    fclose(f);
    cr_assert(found, "%s not in %s", name, path);
}

Test(cli_purchase, script_purchase_tac_verifies_with_openssl)
{
    FILE *p = popen(OBOL_BIN " card exec --card user=purse-funded --card sam=psam " OBOL_SRC
                             "/examples/purchase.apdu",
                    "r");
    cr_assert_not_null(p);
    uint8_t rsp[10][64];
    size_t len[10];
    char line[512];
    int n = 0;
    while (n < 10 && fgets(line, sizeof line, p))
        len[n] = unhex(line, rsp[n], sizeof rsp[n]), n++;
    cr_assert_eq(pclose(p), 0, "obol card exec failed");
    cr_assert_eq(n, 9, "nine APDUs, nine responses");
    for (int i = 0; i < n; i++)
        cr_assert(len[i] >= 2 && rsp[i][len[i] - 2] == 0x90 && rsp[i][len[i] - 1] == 0x00,
                  "response %d is not 9000", i + 1);

    /* Line 2: EF 0015 (card serial at 12..19); line 4: terminal id; line 6: the PSAM's
     * terminal transaction number and MAC1; line 7: the card's TAC and MAC2; line 9:
     * the balance, 10000 - 100 fen. */
    const uint8_t *serial = rsp[1] + 12, *tid = rsp[3], *tac = rsp[6];
    uint32_t ttn = (uint32_t)rsp[5][0] << 24 | (uint32_t)rsp[5][1] << 16 |
                   (uint32_t)rsp[5][2] << 8 | rsp[5][3];
    uint32_t balance = (uint32_t)rsp[8][0] << 24 | (uint32_t)rsp[8][1] << 16 |
                       (uint32_t)rsp[8][2] << 8 | rsp[8][3];
    cr_assert_eq(balance, 9900);

    uint8_t mtk[16], dtk[16];
    master_key(OBOL_SRC "/profiles/test-keys.profile", "TEST-MTK-01", mtk);
    cr_assert_eq(host_pboc_diversify(mtk, serial, dtk), 0);
    host_pboc_purchase pur = {.amount = 100,
                              .type = 0x06,
                              .ttn = ttn,
                              .date = {0x20, 0x26, 0x11, 0x22},
                              .time = {0x08, 0x30, 0x00}};
    memcpy(pur.terminal_id, tid, 6);
    cr_assert_eq(host_pboc_purchase_tac_verify(dtk, &pur, tac), 0, "the TAC does not verify");
    /* And a TAC for another amount must not verify: the check can fail. */
    pur.amount = 101;
    cr_assert_neq(host_pboc_purchase_tac_verify(dtk, &pur, tac), 0);
}
