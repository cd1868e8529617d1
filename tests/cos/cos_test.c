/* obol card OS tests: shared helpers (see cos_test.h). */
#include "cos_test.h"

#include <criterion/criterion.h>
#include <string.h>

#include "obol/cos_crypto.h"

const cos_applet_class *const tc_classes[] = {&testapp_class};
const uint16_t tc_nclasses = 1;

void tc_open(tcard *t, uint8_t options, unsigned flags)
{
    cos_card_config cfg;
    uint8_t atr[40];
    size_t n;

    memset(t, 0, sizeof *t);
    cr_assert_eq(cos_host_open_mem(&t->host, TC_NVM, TC_PAGE, TC_SEED), 0);
    cos_host_config(&t->host, tc_classes, tc_nclasses, &cfg);
    cr_assert_eq(cos_card_attach(&t->card, &cfg), 0);
    cr_assert_eq(cos_perso_default(&t->card, TESTAPP_CLASS, options), 0);
    cr_assert_eq(cos_power_on(&t->card, flags, 0, atr, sizeof atr, &n), 0);
}

void tc_close(tcard *t)
{
    cos_power_off(&t->card);
    cos_host_close(&t->host);
}

void tc_reset(tcard *t, unsigned flags)
{
    uint8_t atr[40];
    size_t n;
    cos_power_off(&t->card);
    cr_assert_eq(cos_power_on(&t->card, flags, 0, atr, sizeof atr, &n), 0);
}

size_t tc_hex(const char *s, uint8_t *out)
{
    size_t n = 0;
    int hi = -1;
    for (; *s; s++) {
        int v;
        if (*s >= '0' && *s <= '9')
            v = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            v = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F')
            v = *s - 'A' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

uint16_t tc_txb(tcard *t, const uint8_t *cmd, size_t len)
{
    size_t n = 0;
    int rc = cos_transmit(&t->card, 1, cmd, len, t->rsp, sizeof t->rsp, &n);
    cr_assert_eq(rc, 0, "transmit: %s", cos_strerror(rc));
    cr_assert_geq(n, 2);
    t->rsplen = n - 2;
    t->sw = cos_rsp_sw(t->rsp, n);
    return t->sw;
}

uint16_t tc_tx(tcard *t, const char *hex)
{
    uint8_t cmd[4096];
    size_t n = tc_hex(hex, cmd);
    return tc_txb(t, cmd, n);
}

int tc_data_is(const tcard *t, const char *hex)
{
    uint8_t want[1024];
    size_t n = tc_hex(hex, want);
    return n == t->rsplen && memcmp(want, t->rsp, n) == 0;
}

void tc_key(uint8_t first, uint8_t out[16])
{
    for (int i = 0; i < 16; i++)
        out[i] = (uint8_t)(first + i);
}

uint16_t tc_tx_mac(tcard *t, const char *hdr, const char *data, const uint8_t key[16])
{
    uint8_t cmd[300], icv[8] = {0}, mac[8];
    size_t h = tc_hex(hdr, cmd), d;
    uint8_t gc[5] = {0x00, 0x84, 0x00, 0x00, 0x04};

    gc[0] = cmd[0] & 0x03; /* the same channel */
    cr_assert_eq(tc_txb(t, gc, 5), 0x9000);
    memcpy(icv, t->rsp, 4);
    d = tc_hex(data, cmd + 5);
    cmd[4] = (uint8_t)(d + 4);
    /* MAC over CLA INS P1 P2 Lc || data (ISO/IEC 9797-1 alg. 3, method 2 padding). */
    cr_assert_eq(cos_mac_alg3(key, icv, cmd, 5 + d, mac), 0);
    memcpy(cmd + 5 + d, mac, 4);
    (void)h;
    return tc_txb(t, cmd, 5 + d + 4);
}
