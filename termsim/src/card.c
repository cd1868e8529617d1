/*
 * obol terminal kernel: the card and PSAM commands, as APDUs (PBOC 2.0 / JR/T 0025
 * part 1, clause 12; PROTOCOLS.md). Every function builds one command, exchanges it
 * through the reader and parses the answer; protocol answers are status words for
 * the flows to judge, and only a malformed answer (wrong length on 9000) is an error.
 */
#include <string.h>

#include "term_internal.h"

int term__xchg(term *t, term_reader *r, const uint8_t *cmd, size_t len, uint8_t *out, size_t cap,
               size_t *outlen, uint16_t *sw)
{
    uint8_t rsp[TERM__RSP_MAX], again[300];
    size_t n = 0, got = 0;
    int rc, loops = 0;

    *outlen = 0;
    *sw = 0;
    if (len > sizeof again)
        return TERM_ERR_ARG;
    rc = term_reader_transmit(r, &t->clock, cmd, len, rsp, sizeof rsp, &n);
    for (;;) {
        uint16_t w;
        size_t dl;
        if (rc != 0)
            return rc;
        w = (uint16_t)(rsp[n - 2] << 8 | rsp[n - 1]);
        dl = n - 2;
        if (dl > 0) {
            if (out == NULL || got + dl > cap)
                return TERM_ERR_PROTO;
            memcpy(out + got, rsp, dl);
            got += dl;
        }
        if (++loops > 16)
            return TERM_ERR_PROTO;
        if ((w >> 8) == 0x61) {
            /* T=0: the data waits for GET RESPONSE (ISO/IEC 7816-4, 5.3.4). */
            uint8_t gr[5] = {0x00, 0xC0, 0x00, 0x00, (uint8_t)w};
            rc = term_reader_transmit(r, &t->clock, gr, 5, rsp, sizeof rsp, &n);
            continue;
        }
        if ((w >> 8) == 0x6C && len >= 5) {
            /* Wrong Le: send the same command again with the length the card wants. */
            size_t l = len;
            memcpy(again, cmd, len);
            if (len == 5 || (size_t)cmd[4] + 5 < len)
                again[l - 1] = (uint8_t)w; /* case 2, or case 4 with Le at the end */
            else
                again[l++] = (uint8_t)w;
            got = 0;
            rc = term_reader_transmit(r, &t->clock, again, l, rsp, sizeof rsp, &n);
            continue;
        }
        *sw = w;
        *outlen = got;
        return 0;
    }
}

/* Sends to the card (XL) and checks a 9000 answer is exactly WANT bytes (0: any). */
static int card_cmd(term *t, const uint8_t *cmd, size_t len, uint8_t *out, size_t cap, size_t want,
                    size_t *outlen, uint16_t *sw)
{
    size_t n = 0;
    int rc = term__xchg(t, t->cfg.card, cmd, len, out, cap, &n, sw);

    if (rc != 0)
        return rc;
    if (*sw == COS_SW_OK && want != 0 && n != want)
        return TERM_ERR_PROTO;
    if (outlen != NULL)
        *outlen = n;
    return 0;
}

int term__card_read_ids(term *t, term__card *c, uint16_t *sw)
{
    /* EF 0015 public application data (PBOC 2.0 part 1, appendix): issuer (8)
     * application type (1) version (1) application serial (10, the card serial is its
     * rightmost 8) start date (4) expiry date (4) FCI data (2). */
    static const uint8_t rb15[] = {0x00, 0xB0, 0x95, 0x00, 0x1E};
    /* EF 0016 cardholder data: its first byte is the card type (PBOC 2.0 part 1). */
    static const uint8_t rb16[] = {0x00, 0xB0, 0x96, 0x00, 0x01};
    uint8_t r[64];
    size_t n;
    int rc;

    rc = card_cmd(t, rb15, sizeof rb15, r, sizeof r, 30, &n, sw);
    if (rc != 0 || *sw != COS_SW_OK)
        return rc;
    memcpy(c->issuer, r, 8);
    c->app_type = r[8];
    memcpy(c->serial, r + 12, 8);
    c->serialn = term__get_n(c->serial, 8);
    memcpy(c->start, r + 20, 4);
    memcpy(c->expiry, r + 24, 4);
    /* The card type is optional: a card without EF 0016 is of type 0 (standard). */
    c->card_type = 0;
    rc = card_cmd(t, rb16, sizeof rb16, r, sizeof r, 1, &n, sw);
    if (rc != 0)
        return rc;
    if (*sw == COS_SW_OK)
        c->card_type = r[0];
    *sw = COS_SW_OK;
    return 0;
}

int term__card_read_record(term *t, uint8_t sfi, uint8_t rec, uint8_t *out, size_t cap, size_t *len,
                           uint16_t *sw)
{
    uint8_t cmd[5] = {0x00, 0xB2, rec, (uint8_t)(sfi << 3 | 4), 0x00};
    return card_cmd(t, cmd, 5, out, cap, 0, len, sw);
}

static void parse_init(const uint8_t *r, term__init *o)
{
    o->balance = term__get32(r);
    o->counter = term__get16(r + 4);
    memcpy(o->overdraft, r + 6, 3);
    o->kver = r[9];
    o->alg = r[10];
    memcpy(o->rnd, r + 11, 4);
}

int term__card_init_purchase(term *t, int capp, uint8_t purse, uint8_t kid, uint32_t amount,
                             term__init *out, uint16_t *sw)
{
    uint8_t cmd[17], r[32];
    int rc;

    cmd[0] = 0x80;
    cmd[1] = 0x50;
    cmd[2] = capp ? 0x03 : 0x01;
    cmd[3] = purse;
    cmd[4] = 0x0B;
    cmd[5] = kid;
    term__put32(cmd + 6, amount);
    memcpy(cmd + 10, t->tid, 6);
    cmd[16] = 0x0F;
    rc = card_cmd(t, cmd, sizeof cmd, r, sizeof r, 15, NULL, sw);
    if (rc == 0 && *sw == COS_SW_OK)
        parse_init(r, out);
    return rc;
}

int term__card_capp_update(term *t, uint8_t sfi, uint8_t rec, const uint8_t *data, size_t len,
                           uint16_t *sw)
{
    uint8_t cmd[5 + 255];

    if (len == 0 || len > 255)
        return TERM_ERR_ARG;
    /* P1 the record number, P2 SFI << 3 | 100 (record number in P1). */
    cmd[0] = 0x80;
    cmd[1] = 0xDC;
    cmd[2] = rec;
    cmd[3] = (uint8_t)(sfi << 3 | 4);
    cmd[4] = (uint8_t)len;
    memcpy(cmd + 5, data, len);
    return card_cmd(t, cmd, 5 + len, NULL, 0, 0, NULL, sw);
}

int term__card_debit(term *t, uint32_t ttn, const uint8_t date[4], const uint8_t time[3],
                     const uint8_t mac1[4], uint8_t tac[4], uint8_t mac2[4], uint16_t *sw)
{
    uint8_t cmd[21], r[16];
    int rc;

    memcpy(cmd, "\x80\x54\x01\x00\x0F", 5);
    term__put32(cmd + 5, ttn);
    memcpy(cmd + 9, date, 4);
    memcpy(cmd + 13, time, 3);
    memcpy(cmd + 16, mac1, 4);
    cmd[20] = 0x08;
    rc = card_cmd(t, cmd, sizeof cmd, r, sizeof r, 8, NULL, sw);
    if (rc == 0 && *sw == COS_SW_OK) {
        memcpy(tac, r, 4);
        memcpy(mac2, r + 4, 4);
    }
    return rc;
}

int term__card_prove(term *t, uint8_t type, uint16_t counter_after, uint8_t mac[4], uint8_t tac[4],
                     uint16_t *sw)
{
    /* GET TRANSACTION PROVE: the counter after the transaction; the answer is MAC ||
     * TAC (the reverse of DEBIT's TAC || MAC2). */
    uint8_t cmd[8] = {0x80, 0x5A, 0x00, type, 0x02, 0, 0, 0x08}, r[16];
    int rc;

    term__put16(cmd + 5, counter_after);
    rc = card_cmd(t, cmd, sizeof cmd, r, sizeof r, 8, NULL, sw);
    if (rc == 0 && *sw == COS_SW_OK) {
        memcpy(mac, r, 4);
        memcpy(tac, r + 4, 4);
    }
    return rc;
}

int term__card_verify_pin(term *t, uint8_t ref, const uint8_t *pin, size_t len, uint16_t *sw)
{
    uint8_t cmd[5 + 16];

    if (len == 0 || len > 16)
        return TERM_ERR_ARG;
    cmd[0] = 0x00;
    cmd[1] = 0x20;
    cmd[2] = 0x00;
    cmd[3] = ref;
    cmd[4] = (uint8_t)len;
    memcpy(cmd + 5, pin, len);
    return card_cmd(t, cmd, 5 + len, NULL, 0, 0, NULL, sw);
}

int term__card_init_load(term *t, uint8_t purse, uint8_t kid, uint32_t amount, term__init *out,
                         uint16_t *sw)
{
    uint8_t cmd[17], r[32];
    int rc;

    cmd[0] = 0x80;
    cmd[1] = 0x50;
    cmd[2] = 0x00;
    cmd[3] = purse;
    cmd[4] = 0x0B;
    cmd[5] = kid;
    term__put32(cmd + 6, amount);
    memcpy(cmd + 10, t->tid, 6);
    cmd[16] = 0x10;
    rc = card_cmd(t, cmd, sizeof cmd, r, sizeof r, 16, NULL, sw);
    if (rc == 0 && *sw == COS_SW_OK) {
        /* old balance (4) online counter (2) key version (1) algorithm (1) random (4)
         * MAC1 (4) */
        memset(out, 0, sizeof *out);
        out->balance = term__get32(r);
        out->counter = term__get16(r + 4);
        out->kver = r[6];
        out->alg = r[7];
        memcpy(out->rnd, r + 8, 4);
        memcpy(out->mac1, r + 12, 4);
    }
    return rc;
}

int term__card_credit_load(term *t, const uint8_t date[4], const uint8_t time[3],
                           const uint8_t mac2[4], uint8_t tac[4], uint16_t *sw)
{
    uint8_t cmd[17], r[16];
    int rc;

    memcpy(cmd, "\x80\x52\x00\x00\x0B", 5);
    memcpy(cmd + 5, date, 4);
    memcpy(cmd + 9, time, 3);
    memcpy(cmd + 12, mac2, 4);
    cmd[16] = 0x04;
    rc = card_cmd(t, cmd, sizeof cmd, r, sizeof r, 4, NULL, sw);
    if (rc == 0 && *sw == COS_SW_OK)
        memcpy(tac, r, 4);
    return rc;
}

int term__card_block(term *t, const term__card *c, uint16_t *sw)
{
    /* APPLICATION BLOCK (EMV Book 3, 6.5.1; the card OS's lifecycle.c): GET CHALLENGE,
     * then 84 1E 00 00 04 MAC with the MAC from the security module over the header
     * (Lc counting the MAC), the challenge as ICV. P2 00: temporary, so the issuer can
     * unblock a card listed by mistake. */
    static const uint8_t chal[5] = {0x00, 0x84, 0x00, 0x00, 0x04};
    uint8_t cmd[9] = {0x84, 0x1E, 0x00, 0x00, 0x04}, r[16];
    size_t n;
    int rc;

    if (t->cfg.block_mac == NULL)
        return TERM_ERR_STATE;
    rc = card_cmd(t, chal, sizeof chal, r, sizeof r, 4, &n, sw);
    if (rc != 0 || *sw != COS_SW_OK)
        return rc;
    if (t->cfg.block_mac(t->cfg.block_ctx, c->serial, c->issuer, r, 4, cmd, 5, cmd + 5) != 0)
        return TERM_ERR_PSAM;
    return card_cmd(t, cmd, sizeof cmd, NULL, 0, 0, NULL, sw);
}

/* ---- PSAM ---------------------------------------------------------------------------- */

static int psam_cmd(term *t, const uint8_t *cmd, size_t len, uint8_t *out, size_t cap, size_t want,
                    size_t *outlen, uint16_t *sw)
{
    size_t n = 0;
    int rc;

    if (t->cfg.psam == NULL)
        return TERM_ERR_PSAM;
    rc = term__xchg(t, t->cfg.psam, cmd, len, out, cap, &n, sw);
    if (rc != 0)
        return TERM_ERR_PSAM; /* a PSAM that stops answering takes the terminal down */
    if (*sw == COS_SW_OK && want != 0 && n != want)
        return TERM_ERR_PSAM;
    if (outlen != NULL)
        *outlen = n;
    return 0;
}

/* The PSAM application of obol's psam profile (F0 'obolPSAM' 01). */
static const uint8_t PSAM_AID[] = {0xF0, 0x6F, 0x62, 0x6F, 0x6C, 0x50, 0x53, 0x41, 0x4D, 0x01};

int term__psam_open(term *t)
{
    uint8_t cmd[32], atr[64], r[64];
    size_t n;
    uint16_t sw;
    int rc;

    if (t->cfg.psam == NULL)
        return TERM_ERR_PSAM;
    rc = term_reader_power_on(t->cfg.psam, &t->clock, atr, sizeof atr, &n);
    if (rc != 0)
        return TERM_ERR_PSAM;
    cmd[0] = 0x00;
    cmd[1] = 0xA4;
    cmd[2] = 0x04;
    cmd[3] = 0x00;
    cmd[4] = sizeof PSAM_AID;
    memcpy(cmd + 5, PSAM_AID, sizeof PSAM_AID);
    cmd[5 + sizeof PSAM_AID] = 0x00;
    if ((rc = psam_cmd(t, cmd, 6 + sizeof PSAM_AID, r, sizeof r, 0, &n, &sw)) != 0)
        return rc;
    if (sw != COS_SW_OK)
        return TERM_ERR_PSAM;
    /* The terminal id: the PSAM's EF 0016 (SFI 0x16), 6 bytes. */
    memcpy(cmd, "\x00\xB0\x96\x00\x06", 5);
    if ((rc = psam_cmd(t, cmd, 5, r, sizeof r, 6, &n, &sw)) != 0)
        return rc;
    if (sw != COS_SW_OK)
        return TERM_ERR_PSAM;
    memcpy(t->tid, r, 6);
    t->id = term__get_n(t->tid, 6);
    return 0;
}

int term__psam_init(term *t, const term__card *c, const term__init *in, uint32_t amount,
                    uint8_t type, const uint8_t date[4], const uint8_t time[3], uint32_t *ttn,
                    uint8_t mac1[4], uint16_t *sw)
{
    /* INIT SAM FOR PURCHASE (80 70 00 00 24): card random (4) offline counter (2) amount
     * (4) type (1) date (4) time (3) key version (1) algorithm (1) card serial (8)
     * issuer code (8) -> terminal transaction number (4) MAC1 (4). */
    uint8_t cmd[42], r[16];
    int rc;

    memcpy(cmd, "\x80\x70\x00\x00\x24", 5);
    memcpy(cmd + 5, in->rnd, 4);
    term__put16(cmd + 9, in->counter);
    term__put32(cmd + 11, amount);
    cmd[15] = type;
    memcpy(cmd + 16, date, 4);
    memcpy(cmd + 20, time, 3);
    cmd[23] = in->kver;
    cmd[24] = in->alg;
    memcpy(cmd + 25, c->serial, 8);
    memcpy(cmd + 33, c->issuer, 8);
    cmd[41] = 0x08;
    rc = psam_cmd(t, cmd, sizeof cmd, r, sizeof r, 8, NULL, sw);
    if (rc == 0 && *sw == COS_SW_OK) {
        *ttn = term__get32(r);
        memcpy(mac1, r + 4, 4);
    }
    return rc;
}

int term__psam_credit(term *t, const uint8_t mac2[4], uint16_t *sw)
{
    uint8_t cmd[9] = {0x80, 0x72, 0x00, 0x00, 0x04};

    memcpy(cmd + 5, mac2, 4);
    return psam_cmd(t, cmd, sizeof cmd, NULL, 0, 0, NULL, sw);
}
