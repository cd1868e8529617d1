/*
 * obol applet gp: Secure Channel Protocol '03', card side (GP CS 2.3 Amendment D,
 * S8 mode, AES-128 key sets).
 *
 *   session keys   KDF (NIST SP 800-108 counter mode, AES-CMAC; D 4.1.5) with context
 *                  host challenge || card challenge: S-ENC 04 (ENC), S-MAC 06 and
 *                  S-RMAC 07 (MAC) (D 6.2.1)
 *   card challenge i b5 (10, 70): pseudo-random, KDF(static ENC, 02, 64 bits, sequence
 *                  counter (3) || SD AID) with the counter incremented for every
 *                  INITIALIZE UPDATE and returned after the cryptogram (D 6.2.2.1,
 *                  7.1.1.6); otherwise 8 random bytes
 *   cryptograms    KDF(S-MAC, 00 card / 01 host, 64 bits) (D 6.2.2.2, 6.2.2.3)
 *   C-MAC          CMAC(S-MAC, chaining value || CLA (channel 0, b3 set) INS P1 P2 Lc ||
 *                  data as sent); the full 16 bytes chain on, 8 are sent (D 6.2.4)
 *   C-DECRYPTION   AES-CBC under S-ENC, ICV = AES(S-ENC, encryption counter as 16 bytes),
 *                  the counter moving on with every command of the session (D 6.2.6)
 *   R-MAC          CMAC(S-RMAC, chaining value || response data || SW)[0..7] (D 6.2.5)
 *   R-ENCRYPTION   AES-CBC under S-ENC, ICV = AES(S-ENC, 80 || counter as 15 bytes),
 *                  80 00.. padding (D 6.2.7); no data, no encryption
 */
#include <string.h>

#include "gp_internal.h"
#include "obol/cos_crypto.h"

static void ctr_block(const gp_ram *ram, int response, uint8_t blk[16])
{
    memset(blk, 0, 16);
    memcpy(blk + 12, ram->u.s03.ctr, 4);
    if (response)
        blk[0] = 0x80;
}

int gp__scp03_init(gp_sd *sd, const gp_keyset *ks, const uint8_t hc[8], cos_resp *r)
{
    gp_ram *ram = sd->ram;
    uint8_t cc[8], cg[8], aid[COS_AID_MAX];
    int rc, n;

    ram->scp = 3;
    ram->i = sd->cfg[CFG_I03];
    ram->kvn = ks->kvn;
    if (ram->i & 0x10) {
        rc = gp__seq_next(sd);
        if (rc == COS_ERR_RANGE)
            return COS_SW_CONDITIONS; /* the counter is exhausted: no more sessions */
        if (rc < 0)
            return rc;
        n = cos_app_aid(sd->ctx, aid);
        if (n < 0)
            return n;
        rc = gp__kdf(sd->ctx, &ks->enc, NULL, 0x02, sd->cfg + CFG_SEQ, 3, aid, (size_t)n, 64, cc);
    } else {
        rc = cos_random(sd->ctx, cc, 8);
    }
    memcpy(ram->seq, sd->cfg + CFG_SEQ, 3);
    if (rc == 0)
        rc = gp__kdf(sd->ctx, &ks->enc, NULL, 0x04, hc, 8, cc, 8, 128, ram->u.s03.s_enc);
    if (rc == 0)
        rc = gp__kdf(sd->ctx, &ks->mac, NULL, 0x06, hc, 8, cc, 8, 128, ram->u.s03.s_mac);
    if (rc == 0)
        rc = gp__kdf(sd->ctx, &ks->mac, NULL, 0x07, hc, 8, cc, 8, 128, ram->u.s03.s_rmac);
    if (rc == 0)
        rc = gp__kdf(sd->ctx, NULL, ram->u.s03.s_mac, 0x00, hc, 8, cc, 8, 64, cg);
    if (rc == 0)
        rc = gp__kdf(sd->ctx, NULL, ram->u.s03.s_mac, 0x01, hc, 8, cc, 8, 64, ram->u.s03.chain);
    if (rc < 0)
        return rc;
    /* Amendment D 7.1.1.6: key diversification data (10), key information (KVN, 03, i),
     * card challenge (8), card cryptogram (8), sequence counter (3) when pseudo-random. */
    rc = cos_resp_put(r, sd->cfg + CFG_KDD, 10);
    if (rc == 0)
        rc = cos_resp_u8(r, ks->kvn);
    if (rc == 0)
        rc = cos_resp_u8(r, 0x03);
    if (rc == 0)
        rc = cos_resp_u8(r, ram->i);
    if (rc == 0)
        rc = cos_resp_put(r, cc, 8);
    if (rc == 0)
        rc = cos_resp_put(r, cg, 8);
    if (rc == 0 && (ram->i & 0x10))
        rc = cos_resp_put(r, sd->cfg + CFG_SEQ, 3);
    if (rc < 0)
        return rc;
    ram->state = GP_ST_INIT;
    return COS_SW_OK;
}

/* C-MAC over the command as sent: CMAC(S-MAC, chain || header || data); FULL gets the
 * 16-byte result (the next chaining value). */
static int cmac(gp_sd *sd, const cos_apdu *a, const uint8_t *data, size_t n, uint8_t full[16])
{
    gp_ram *ram = sd->ram;
    uint8_t hdr[5] = {(uint8_t)((a->cla & 0xF0) | 0x04), a->ins, a->p1, a->p2, (uint8_t)a->nc};
    gp_mac m;
    int rc = gp__mac_start(&m, sd->ctx, GP_MAC_CMAC, NULL, ram->u.s03.s_mac, 16, NULL);

    if (rc == 0)
        rc = gp__mac_update(&m, ram->u.s03.chain, 16);
    if (rc == 0)
        rc = gp__mac_update(&m, hdr, 5);
    if (rc == 0 && n)
        rc = gp__mac_update(&m, data, n);
    if (rc == 0)
        rc = gp__mac_final(&m, full);
    return rc;
}

int gp__scp03_auth(gp_sd *sd, const gp_keyset *ks, const cos_apdu *a)
{
    gp_ram *ram = sd->ram;
    uint8_t full[16];
    int rc, ok;

    (void)ks;
    /* 7.1.2: the chaining value starts at zero for EXTERNAL AUTHENTICATE. The expected
     * host cryptogram sits in the chain's first 8 bytes until now. */
    ok = cos_ct_equal(a->data, ram->u.s03.chain, 8);
    memset(ram->u.s03.chain, 0, 16);
    rc = cmac(sd, a, a->data, 8, full);
    if (rc < 0)
        return rc;
    ok &= cos_ct_equal(full, a->data + 8, 8);
    if (!ok)
        return 0x6300; /* 7.1.2.4: authentication of the host cryptogram failed */
    memcpy(ram->u.s03.chain, full, 16);
    memset(ram->u.s03.ctr, 0, 4);
    ram->level = a->p1;
    ram->state = GP_ST_OPEN;
    return COS_SW_OK;
}

int gp__scp03_unwrap(gp_sd *sd, const cos_apdu *a, cos_apdu *plain, uint8_t *buf)
{
    gp_ram *ram = sd->ram;
    uint8_t full[16], icv[16];
    size_t blen, plen;
    int rc;

    /* 6.2.6: the encryption counter moves for every command, with data or not. */
    for (int i = 3; i >= 0 && ++ram->u.s03.ctr[i] == 0; i--)
        ;
    rc = gp__unwrap_start(ram, a, plain, buf, &blen);
    if (rc != 1)
        return rc;
    rc = cmac(sd, a, a->data, blen, full);
    if (rc < 0)
        return rc;
    if (!cos_ct_equal(full, a->data + blen, 8))
        goto security;
    memcpy(ram->u.s03.chain, full, 16);
    if ((ram->level & GP_LVL_CDEC) && blen > 0) {
        if (blen % 16 || blen > GP_DATA_MAX)
            goto security;
        ctr_block(ram, 0, icv);
        rc = gp__aes_block(sd->ctx, ram->u.s03.s_enc, icv, icv);
        if (rc == 0)
            rc = cos_cipher(sd->ctx, COS_ALG_AES, ram->u.s03.s_enc, 16,
                            COS_CIPHER_DECRYPT | COS_CIPHER_CBC, icv, a->data, buf, blen);
        if (rc < 0)
            return rc;
        if (gp__unpad(buf, blen, &plen) < 0 || blen - plen > 16)
            goto security;
    } else {
        if (blen > GP_DATA_MAX)
            goto security;
        if (blen)
            memcpy(buf, a->data, blen);
        plen = blen;
    }
    plain->nc = (uint16_t)plen;
    return 0;
security:
    gp__session_close(ram);
    return COS_SW_SECURITY;
}

int gp__scp03_wrap(gp_sd *sd, const cos_apdu *plain, int sw, cos_resp *r)
{
    gp_ram *ram = sd->ram;
    uint8_t sw2[2] = {(uint8_t)(sw >> 8), (uint8_t)sw}, icv[16], full[16];
    gp_mac m;
    int rc = 0;

    (void)plain;
    if ((ram->level & GP_LVL_RENC) && r->len > 0) {
        size_t n = ((size_t)r->len / 16 + 1) * 16;
        if (n + 8 > r->cap)
            return COS_ERR_BUFFER;
        r->buf[r->len] = 0x80;
        memset(r->buf + r->len + 1, 0, n - r->len - 1);
        ctr_block(ram, 1, icv);
        rc = gp__aes_block(sd->ctx, ram->u.s03.s_enc, icv, icv);
        if (rc == 0)
            rc = cos_cipher(sd->ctx, COS_ALG_AES, ram->u.s03.s_enc, 16,
                            COS_CIPHER_ENCRYPT | COS_CIPHER_CBC, icv, r->buf, r->buf, n);
        if (rc < 0)
            return rc;
        r->len = (uint16_t)n;
    }
    if ((size_t)r->len + 8 > r->cap)
        return COS_ERR_BUFFER;
    rc = gp__mac_start(&m, sd->ctx, GP_MAC_CMAC, NULL, ram->u.s03.s_rmac, 16, NULL);
    if (rc == 0)
        rc = gp__mac_update(&m, ram->u.s03.chain, 16);
    if (rc == 0 && r->len)
        rc = gp__mac_update(&m, r->buf, r->len);
    if (rc == 0)
        rc = gp__mac_update(&m, sw2, 2);
    if (rc == 0)
        rc = gp__mac_final(&m, full);
    if (rc < 0)
        return rc;
    return cos_resp_put(r, full, 8);
}
