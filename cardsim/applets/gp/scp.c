/*
 * obol applet gp: secure channel sessions, the part common to SCP02 and SCP03.
 *
 * INITIALIZE UPDATE picks the key set (P1 = KVN, 00 the default set) and the protocol
 * from its algorithm (3DES: SCP02, GP CS 2.3 Appendix E; AES: SCP03, Amendment D).
 * EXTERNAL AUTHENTICATE counts an attempt against the key set before it checks the
 * host cryptogram (so a power cut cannot hide a failed guess) and gives it back on
 * success; when the ENC key's counter reaches zero the key set is blocked and
 * INITIALIZE UPDATE answers 6983.
 *
 * The session lives in the channel's applet RAM (gp_ram) and ends when the SD is
 * deselected, at power off, at a new INITIALIZE UPDATE, at a failed EXTERNAL
 * AUTHENTICATE, and at any secure messaging error (a wrong or missing C-MAC, bad
 * padding of decrypted data): GP CS 2.3 10.2 and E.4.4, Amendment D 6.2.4. A command
 * that merely fails (6A88, 6985...) leaves the session open, its MAC chain advanced,
 * and is answered without R-MAC (Amendment D 6.2.5: error status words carry neither
 * data nor R-MAC).
 */
#include <string.h>

#include "gp_internal.h"
#include "obol/cos_crypto.h"

void gp__session_close(gp_ram *ram)
{
    if (ram)
        cos_wipe(ram, sizeof *ram);
}

int gp__seq_next(gp_sd *sd)
{
    uint8_t *s = sd->cfg + CFG_SEQ;
    uint32_t v = (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2];
    uint8_t b[3];

    /* SCP02 has 2 bytes of counter (E.4.1), SCP03 3 (Amendment D 6.2.2.1). */
    if (v >= (sd->ram && sd->ram->scp == 2 ? 0xFFFFu : 0xFFFFFFu))
        return COS_ERR_RANGE;
    v++;
    b[0] = (uint8_t)(v >> 16);
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)v;
    /* One write of 3 bytes outside a transaction is atomic on its own (cos_obj_write). */
    return gp__cfg_write(sd, CFG_SEQ, b, 3);
}

/* Security levels of EXTERNAL AUTHENTICATE P1 (GP CS 2.3 E.5.2.3 Table E-9; Amendment
 * D 7.1.2.1 Table 7-4 with R-ENC from GP CS 2.3 10.8). SCP03's R-MAC and R-ENC need the
 * implementation option to announce them (i b6, b7; Amendment D 5.1). */
static int level_ok(const gp_ram *ram, uint8_t level)
{
    if (ram->scp == 2)
        return level == 0x00 || level == 0x01 || level == 0x03 || level == 0x10 || level == 0x11 ||
               level == 0x13;
    switch (level) {
    case 0x00:
    case 0x01:
    case 0x03:
        return 1;
    case 0x11:
    case 0x13:
        return (ram->i & 0x20) != 0;
    case 0x33:
        return (ram->i & 0x60) == 0x60;
    default:
        return 0;
    }
}

int gp__cmd_init_update(gp_sd *sd, const cos_apdu *a, cos_resp *r)
{
    gp_keyset ks;
    uint8_t lcs;
    int rc;

    if (!sd->ram)
        return COS_SW_CONDITIONS;
    /* A new INITIALIZE UPDATE ends whatever session was there (E.5.1, 7.1.1). */
    gp__session_close(sd->ram);
    if (a->sm)
        return COS_SW_SECURITY;
    if (a->p2 != 0x00)
        return COS_SW_WRONG_P1P2;
    if (a->nc != 8)
        return COS_SW_WRONG_LENGTH;
    rc = gp__card_lcs(sd, &lcs);
    if (rc < 0)
        return rc;
    /* A TERMINATED card opens no channel; a LOCKED one only on the ISD (to unlock). */
    if (lcs == GP_CARD_TERMINATED || (lcs == GP_CARD_LOCKED && !(sd->cfg[CFG_FLAGS] & CF_ISD)))
        return COS_SW_CONDITIONS;
    rc = gp__keyset(sd, a->p1 ? a->p1 : -1, &ks);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_REF_NOT_FOUND;
    if (rc < 0)
        return rc;
    if (ks.enc.err_max && ks.enc.err_left == 0)
        return COS_SW_AUTH_BLOCKED;
    if (ks.alg == COS_ALG_DES)
        rc = gp__scp02_init(sd, &ks, a->data, r);
    else
        rc = gp__scp03_init(sd, &ks, a->data, r);
    if (rc != (int)COS_SW_OK)
        gp__session_close(sd->ram);
    return rc;
}

int gp__cmd_ext_auth(gp_sd *sd, const cos_apdu *a)
{
    gp_ram *ram = sd->ram;
    gp_keyset ks;
    int rc, sw;

    if (!ram || ram->state != GP_ST_INIT) {
        gp__session_close(ram);
        return COS_SW_CONDITIONS;
    }
    if (!(a->cla & 0x04) || a->p2 != 0 || a->nc != 16 || !level_ok(ram, a->p1)) {
        gp__session_close(ram);
        return a->nc != 16 ? COS_SW_WRONG_LENGTH : COS_SW_WRONG_P1P2;
    }
    rc = gp__keyset(sd, ram->kvn, &ks);
    if (rc == 0)
        rc = cos_key_failed(sd->ctx, &ks.enc); /* counted before the check */
    if (rc < 0) {
        gp__session_close(ram);
        return rc == COS_ERR_NOT_FOUND ? (int)COS_SW_REF_NOT_FOUND : rc;
    }
    sw = ram->scp == 2 ? gp__scp02_auth(sd, &ks, a) : gp__scp03_auth(sd, &ks, a);
    if (sw != (int)COS_SW_OK) {
        gp__session_close(ram);
        return sw;
    }
    rc = cos_key_succeeded(sd->ctx, &ks.enc);
    /* The sequence counter moves once per session: here, after the tries are given
     * back, unless SCP03's pseudo-random challenge moved it at INITIALIZE UPDATE. */
    if (rc == 0 && (ram->scp == 2 || !(ram->i & 0x10))) {
        rc = gp__seq_next(sd);
        if (rc == COS_ERR_RANGE)
            rc = 0; /* exhausted: this session is the last (INITIALIZE UPDATE refuses) */
    }
    if (rc < 0) {
        gp__session_close(ram);
        return rc;
    }
    return COS_SW_OK;
}

int gp__unwrap_start(gp_ram *ram, const cos_apdu *a, cos_apdu *plain, uint8_t *buf, size_t *blen)
{
    *plain = *a;
    plain->cla = (uint8_t)(a->cla & ~0x04u);
    plain->sm = 0;
    plain->data = buf;
    if (!(ram->level & GP_LVL_CMAC)) {
        if (a->cla & 0x04 || a->nc > GP_DATA_MAX)
            goto security;
        if (a->nc)
            memcpy(buf, a->data, a->nc);
        return 0;
    }
    if (!(a->cla & 0x04) || a->nc < 8)
        goto security;
    *blen = a->nc - 8u;
    return 1;
security:
    gp__session_close(ram);
    return COS_SW_SECURITY;
}

int gp__unwrap(gp_sd *sd, const cos_apdu *a, cos_apdu *plain, uint8_t *buf)
{
    gp_ram *ram = sd->ram;

    if (ram && ram->state == GP_ST_OPEN)
        return ram->scp == 2 ? gp__scp02_unwrap(sd, a, plain, buf)
                             : gp__scp03_unwrap(sd, a, plain, buf);
    if (ram && ram->state == GP_ST_INIT)
        gp__session_close(ram); /* anything but EXTERNAL AUTHENTICATE aborts set-up */
    /* Secure messaging without a session: GP CS 2.3 10.2.3 answers 6982. */
    if (a->cla & 0x04)
        return COS_SW_SECURITY;
    if (a->nc > GP_DATA_MAX)
        return COS_SW_WRONG_LENGTH;
    *plain = *a;
    if (a->nc)
        memcpy(buf, a->data, a->nc);
    plain->data = buf;
    return 0;
}

int gp__wrap(gp_sd *sd, const cos_apdu *plain, int sw, cos_resp *r)
{
    gp_ram *ram = sd->ram;

    if (!ram || ram->state != GP_ST_OPEN || !(ram->level & GP_LVL_RMAC) || !gp__sw_ok(sw))
        return 0;
    return ram->scp == 2 ? gp__scp02_wrap(sd, plain, sw, r) : gp__scp03_wrap(sd, plain, sw, r);
}
