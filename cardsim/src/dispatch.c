/*
 * obol card OS: the APDU dispatcher.
 *
 * cos_transmit() parses the command, decodes CLA (ISO/IEC 7816-4:2020, 5.4: first
 * interindustry 0X: channel 0-3 in b2-b1, SM in b4-b3, chaining b5; further
 * interindustry 40-7F: channels 4-19; proprietary 80-FE coded like the first
 * interindustry values, as PBOC's 80/84), routes it to the OS or to the applet
 * selected on its channel, maps internal faults to 6F00, and applies Le.
 *
 * Routing: SELECT, MANAGE CHANNEL and GET RESPONSE (interindustry CLA) always go to
 * the OS; anything else goes to the selected applet's process() first, which may hand
 * it back (COS_PROCESS_OS) so the OS serves the ADF's files; with no applet, the OS.
 * The OS answers interindustry commands it does not know with 6D00 and proprietary
 * ones (other than the EMV/PBOC block commands 84 16/18/1E) with 6E00.
 *
 * Outgoing data and Le (5.1, 5.3.4):
 *   - error status words (not 9000, 62xx, 63xx) carry no data;
 *   - Le absent: no data, except with T=0, where the data waits for GET RESPONSE
 *     and the card answers 61xx (ISO/IEC 7816-3, T=0 case 4 is sent as case 3);
 *   - a specific Le shorter than the data: 6Cxx (xx = the data length) when it is at
 *     most 256 bytes, so the terminal can ask again with the exact Le; with more, Le
 *     bytes go out and 61xx tells what GET RESPONSE can fetch;
 *   - Le 00 / 0000 (the maximum): up to 256 / 65536 bytes, the rest via 61xx;
 *   - with T=0 (contact, COS_OPT_T0) a case 2 command must get exactly Le bytes:
 *     otherwise 6Cxx; more than 256 bytes go out 256 at a time with 61xx.
 * GET RESPONSE (00 C0 00 00 Le) with nothing pending answers 6985.
 */
#include "cos_internal.h"

static int is_ok_sw(int sw)
{
    return sw == (int)COS_SW_OK || (sw >> 8) == 0x62 || (sw >> 8) == 0x63;
}

static int valid_sw(int sw)
{
    return sw >= 0x6000 && sw <= 0x9FFF && (sw >> 8) != 0x60;
}

/* Decodes CLA into channel / SM / chaining; returns 0 or a status word. */
static int decode_cla(cos_apdu *a, int *iso)
{
    uint8_t cla = a->cla;
    int chain;

    if (cla == 0xFF)
        return COS_SW_CLA_UNSUPPORTED;
    if ((cla & 0x60) == 0x00) { /* 0X, 1X, 8X, 9X */
        a->chan = cla & 0x03;
        a->sm = (cla >> 2) & 0x03;
        chain = cla & 0x10;
    } else if ((cla & 0x40) == 0x40) { /* 4X-7X, CX-FE */
        a->chan = (uint8_t)(4 + (cla & 0x0F));
        a->sm = (cla & 0x20) ? 3 : 0;
        chain = cla & 0x10;
    } else {
        return COS_SW_CLA_UNSUPPORTED; /* 2X, 3X, AX, BX: reserved */
    }
    *iso = (cla & 0x80) == 0;
    return chain ? (int)COS_SW_CHAINING_UNSUPPORTED : 0;
}

static int os_command(cos_card *c, const cos_apdu *a, cos_resp *r, int iso)
{
    if (!iso) {
        /* EMV/PBOC issuer commands in the proprietary class 84 (80 = no MAC). */
        if (a->ins == 0x1E || a->ins == 0x18 || a->ins == 0x16)
            return cos__cmd_block(c, a, r);
        return COS_SW_CLA_UNSUPPORTED;
    }
    switch (a->ins) {
    case 0xB0:
        return cos__cmd_read_binary(c, a, r);
    case 0xD6:
        return cos__cmd_update_binary(c, a, r);
    case 0xB2:
        return cos__cmd_read_record(c, a, r);
    case 0xDC:
    case 0xE2:
        return cos__cmd_write_record(c, a, r);
    case 0x84:
        return cos__cmd_get_challenge(c, a, r);
    case 0x20:
        return cos__cmd_verify(c, a, r);
    case 0x24:
        return cos__cmd_change_ref(c, a, r);
    case 0x2C:
        return cos__cmd_reset_retry(c, a, r);
    case 0x82:
        return cos__cmd_ext_auth(c, a, r);
    case 0x88:
        return cos__cmd_int_auth(c, a, r);
    case 0x1E:
    case 0x18:
    case 0x16:
        return cos__cmd_block(c, a, r);
    default:
        return COS_SW_INS_UNSUPPORTED;
    }
}

/* Commands a temporarily blocked application still accepts. */
static int allowed_when_blocked(const cos_apdu *a, int iso)
{
    switch (a->ins) {
    case 0x84:
    case 0xB0:
    case 0xB2:
        return iso;
    case 0x18:
        return 1;
    default:
        return 0;
    }
}

static int dispatch(cos_card *c, cos_apdu *a, cos_resp *r)
{
    int iso = 0, sw;
    uint8_t lcs;

    sw = decode_cla(a, &iso);
    if (sw)
        return sw;
    if (a->chan >= COS_CHANNELS || !c->ch[a->chan].open)
        return COS_SW_CHANNEL_UNSUPPORTED;
    if (c->card_state == COS_LCS_TERMINATED)
        return COS_SW_FUNC_UNSUPPORTED;
    if ((a->ins & 0xF0) == 0x60 || (a->ins & 0xF0) == 0x90)
        return COS_SW_INS_UNSUPPORTED; /* odd procedure-byte INS values are invalid */
    if (iso && a->ins == 0x70)
        return cos__cmd_manage_channel(c, a, r);
    if (iso && a->ins == 0xA4)
        return cos__cmd_select(c, a, r);
    sw = cos__app_lcs(c, a->chan, &lcs);
    if (sw < 0)
        return sw;
    if (lcs == COS_LCS_TERMINATED)
        return COS_SW_FUNC_UNSUPPORTED;
    if (lcs == COS_LCS_DEACTIVATED && !allowed_when_blocked(a, iso))
        return COS_SW_CONDITIONS;
    if (c->ch[a->chan].app) {
        cos__df d;
        sw = cos__df_load(c, c->ch[a->chan].app, &d);
        if (sw < 0)
            return sw;
        const cos_applet_class *cl = cos__class_find(c, d.class_id);
        if (cl && cl->process) {
            cos_ctx x;
            cos__ctx_init(&x, c, c->ch[a->chan].app, a->chan);
            sw = cl->process(&x, a, r);
            if (sw != COS_PROCESS_OS) {
                if (sw > 0 && !valid_sw(sw))
                    return COS_ERR_APPLET;
                return sw;
            }
            r->len = 0;
        }
    }
    return os_command(c, a, r, iso);
}

/* Copies N pending/response bytes and SW into the caller's buffer. */
static int emit(cos_card *c, const uint8_t *data, size_t n, unsigned sw, uint8_t *rsp, size_t cap,
                size_t *rsplen)
{
    if (n + 2 > cap) {
        cos__fault(c, COS_ERR_BUFFER, NULL);
        n = 0;
        sw = COS_SW_UNKNOWN;
    }
    if (n)
        memcpy(rsp, data, n);
    rsp[n] = (uint8_t)(sw >> 8);
    rsp[n + 1] = (uint8_t)sw;
    *rsplen = n + 2;
    return 0;
}

/* Sends N bytes from the response buffer at OFF, keeping REST for GET RESPONSE. */
static int send_part(cos_card *c, uint16_t off, size_t n, size_t total, unsigned sw, uint8_t *rsp,
                     size_t cap, size_t *rsplen)
{
    size_t rest = total - n;
    if (rest) {
        c->pend_off = (uint16_t)(off + n);
        c->pend_len = (uint16_t)rest;
        c->pend_sw = (uint16_t)sw;
        sw = COS_SW_BYTES_AVAILABLE(rest >= 256 ? 0 : rest);
    } else {
        c->pend_len = 0;
    }
    return emit(c, c->resp + off, n, sw, rsp, cap, rsplen);
}

static int outgoing(cos_card *c, const cos_apdu *a, size_t len, unsigned sw, uint8_t *rsp,
                    size_t cap, size_t *rsplen)
{
    uint32_t ne = a->ne;

    c->pend_len = 0;
    if (!is_ok_sw((int)sw) || len == 0)
        return emit(c, NULL, 0, sw, rsp, cap, rsplen);
    if (c->t0 && a->kase == 2) {
        /* T=0 case 2: P3 is the exact length (00 = 256). */
        if (len <= 256 && len != ne)
            return emit(c, NULL, 0, COS_SW_WRONG_LE(len), rsp, cap, rsplen);
        return send_part(c, 0, ne < len ? ne : len, len, sw, rsp, cap, rsplen);
    }
    if (c->t0) /* cases 3 and 4: everything via GET RESPONSE */
        return send_part(c, 0, 0, len, sw, rsp, cap, rsplen);
    if (ne == 0)
        return emit(c, NULL, 0, sw, rsp, cap, rsplen);
    if (len > ne) {
        if (!cos_apdu_ne_wildcard(a) && len <= 256)
            return emit(c, NULL, 0, COS_SW_WRONG_LE(len), rsp, cap, rsplen);
        return send_part(c, 0, ne, len, sw, rsp, cap, rsplen);
    }
    return send_part(c, 0, len, len, sw, rsp, cap, rsplen);
}

static int get_response(cos_card *c, const cos_apdu *a, uint8_t *rsp, size_t cap, size_t *rsplen)
{
    size_t n = a->ne, have = c->pend_len;

    if (a->p1 || a->p2)
        return emit(c, NULL, 0, COS_SW_WRONG_P1P2, rsp, cap, rsplen);
    if (a->nc || a->ne == 0)
        return emit(c, NULL, 0, COS_SW_WRONG_LENGTH, rsp, cap, rsplen);
    if (!have)
        return emit(c, NULL, 0, COS_SW_CONDITIONS, rsp, cap, rsplen);
    if (c->t0 && have < 256 && n != have)
        return emit(c, NULL, 0, COS_SW_WRONG_LE(have), rsp, cap, rsplen);
    if (n > have)
        n = have;
    return send_part(c, c->pend_off, n, have, c->pend_sw, rsp, cap, rsplen);
}

int cos_transmit(cos_card *c, uint64_t now, const uint8_t *cmd, size_t len, uint8_t *rsp,
                 size_t cap, size_t *rsplen)
{
    cos_apdu a;
    cos_resp r;
    int sw, rc;

    if (!c || !cmd || !rsp || !rsplen || cap < 2)
        return COS_ERR_PARAM;
    *rsplen = 0;
    if (c->power != 1)
        return c->power == 2 ? COS_ERR_POWER_LOST : COS_ERR_NOT_POWERED;
    c->now = now;
    c->cost.apdus++;
    if (cos_apdu_parse(&a, cmd, len) < 0) {
        c->pend_len = 0;
        if (c->chal_age)
            c->chal_age--;
        return emit(c, NULL, 0, COS_SW_WRONG_LENGTH, rsp, cap, rsplen);
    }
    /* GET RESPONSE: only the interindustry class, on an open channel. */
    if (a.ins == 0xC0 && (a.cla & 0xE0) == 0x00 && (a.cla & 0x03) < COS_CHANNELS &&
        c->ch[a.cla & 0x03].open && !(a.cla & 0x1C))
        return get_response(c, &a, rsp, cap, rsplen);
    c->pend_len = 0;
    /* A challenge serves the one command right after GET CHALLENGE. */
    if (c->chal_age)
        c->chal_age--;
    r.buf = c->resp;
    r.cap = COS_RESP_MAX;
    r.len = 0;
    sw = dispatch(c, &a, &r);
    if (c->power == 2)
        return COS_ERR_POWER_LOST;
    if (sw < 0) {
        cos__fault(c, sw, &a);
        sw = COS_SW_UNKNOWN;
        r.len = 0;
    }
    if (c->txn.depth) {
        /* An applet returned with its transaction open (or a fault left one): roll it
         * back, as Java Card does. */
        c->txn.depth = 1;
        rc = cos__txn_abort(c);
        if (c->power == 2)
            return COS_ERR_POWER_LOST;
        if (rc < 0) {
            cos__fault(c, rc, &a);
            sw = COS_SW_UNKNOWN;
            r.len = 0;
        }
    }
    return outgoing(c, &a, r.len, (unsigned)sw, rsp, cap, rsplen);
}
