/*
 * obol applet gp: Secure Channel Protocol '02', card side (GP CS 2.3 Appendix E),
 * implementation options i=15 and i=55: three static keys, explicit initiation,
 * C-MAC on the modified APDU, ICV encrypted for the C-MAC session; 55 adds the
 * pseudo-random card challenge.
 *
 *   session keys   3DES-CBC(static key) over constant || sequence counter || 00 x 12
 *                  (E.4.1): S-ENC 0182 (ENC), C-MAC 0101 and R-MAC 0102 (MAC), DEK 0181
 *   card challenge i=55: the leftmost 6 bytes of the retail MAC under the C-MAC session
 *                  key over the SD's AID (E.4.2.1); i=15: random
 *   cryptograms    full 3DES CBC-MAC under S-ENC: card over host challenge || counter ||
 *                  card challenge, host over counter || card challenge || host challenge
 *   C-MAC          retail MAC over CLA INS P1 P2 (Lc of the plain data + 8) || plain data
 *                  (so before C-DECRYPTION, E.4.4); ICV = previous C-MAC encrypted with
 *                  single DES under the C-MAC key's left half (option b5)
 *   C-DECRYPTION   3DES-CBC, zero ICV, under S-ENC, data padded 80 00.. (E.4.6)
 *   R-MAC          retail MAC under the R-MAC key, ICV the previous R-MAC, over the plain
 *                  command (CLA b1-b3 cleared, Lc of the plain data) || Li || response
 *                  data || SW (E.4.5); not on error status words
 * The sequence counter advances when a session opens (EXTERNAL AUTHENTICATE), so the
 * pseudo-random challenge of i=55 changes with every session a TSM can precompute.
 */
#include <string.h>

#include "gp_internal.h"
#include "obol/cos_crypto.h"

static int des3_mac(cos_ctx *ctx, const uint8_t key[16], const uint8_t *a, size_t na,
                    const uint8_t *b, size_t nb, const uint8_t *c, size_t nc, uint8_t out[8])
{
    uint8_t full[16];
    gp_mac m;
    int rc = gp__mac_start(&m, ctx, GP_MAC_DES3, NULL, key, 16, NULL);
    if (rc == 0)
        rc = gp__mac_update(&m, a, na);
    if (rc == 0)
        rc = gp__mac_update(&m, b, nb);
    if (rc == 0)
        rc = gp__mac_update(&m, c, nc);
    if (rc == 0)
        rc = gp__mac_final(&m, full);
    memcpy(out, full, 8);
    return rc;
}

/* The next ICV: the C-MAC encrypted with single DES under the key's left half. */
static int next_icv(gp_sd *sd, const uint8_t mac[8])
{
    gp_ram *ram = sd->ram;
    if (!(ram->i & 0x10)) {
        memcpy(ram->u.s02.icv, mac, 8);
        return 0;
    }
    return cos_cipher(sd->ctx, COS_ALG_DES, ram->u.s02.s_mac, 8,
                      COS_CIPHER_ENCRYPT | COS_CIPHER_ECB, NULL, mac, ram->u.s02.icv, 8);
}

int gp__scp02_init(gp_sd *sd, const gp_keyset *ks, const uint8_t hc[8], cos_resp *r)
{
    gp_ram *ram = sd->ram;
    const uint8_t *seq = sd->cfg + CFG_SEQ + 1;
    uint8_t cc[8], cg[8], aid[COS_AID_MAX];
    int rc, n;

    if (seq[0] == 0xFF && seq[1] == 0xFF)
        return COS_SW_CONDITIONS; /* the counter is exhausted: no more sessions */
    ram->scp = 2;
    ram->i = sd->cfg[CFG_I02];
    ram->kvn = ks->kvn;
    memcpy(ram->seq, sd->cfg + CFG_SEQ, 3);
    rc = gp__scp02_key(sd->ctx, &ks->enc, 0x01, 0x82, seq, ram->u.s02.s_enc);
    if (rc == 0)
        rc = gp__scp02_key(sd->ctx, &ks->mac, 0x01, 0x01, seq, ram->u.s02.s_mac);
    if (rc == 0)
        rc = gp__scp02_key(sd->ctx, &ks->mac, 0x01, 0x02, seq, ram->u.s02.s_rmac);
    if (rc == 0)
        rc = gp__scp02_key(sd->ctx, &ks->dek, 0x01, 0x81, seq, ram->u.s02.s_dek);
    if (rc < 0)
        return rc;
    if (ram->i & 0x40) {
        gp_mac m;
        uint8_t full[16];
        n = cos_app_aid(sd->ctx, aid);
        if (n < 0)
            return n;
        rc = gp__mac_start(&m, sd->ctx, GP_MAC_RETAIL, NULL, ram->u.s02.s_mac, 16, NULL);
        if (rc == 0)
            rc = gp__mac_update(&m, aid, (size_t)n);
        if (rc == 0)
            rc = gp__mac_final(&m, full);
        memcpy(cc, full, 6);
    } else {
        rc = cos_random(sd->ctx, cc, 6);
    }
    if (rc == 0)
        rc = des3_mac(sd->ctx, ram->u.s02.s_enc, hc, 8, seq, 2, cc, 6, cg);
    if (rc == 0) /* the host cryptogram EXTERNAL AUTHENTICATE must carry */
        rc = des3_mac(sd->ctx, ram->u.s02.s_enc, seq, 2, cc, 6, hc, 8, ram->u.s02.icv);
    if (rc < 0)
        return rc;
    /* E.5.1.3: key diversification data (10), KVN, SCP identifier 02, sequence counter
     * (2), card challenge (6), card cryptogram (8). */
    rc = cos_resp_put(r, sd->cfg + CFG_KDD, 10);
    if (rc == 0)
        rc = cos_resp_u8(r, ks->kvn);
    if (rc == 0)
        rc = cos_resp_u8(r, 0x02);
    if (rc == 0)
        rc = cos_resp_put(r, seq, 2);
    if (rc == 0)
        rc = cos_resp_put(r, cc, 6);
    if (rc == 0)
        rc = cos_resp_put(r, cg, 8);
    if (rc < 0)
        return rc;
    ram->state = GP_ST_INIT;
    return COS_SW_OK;
}

int gp__scp02_auth(gp_sd *sd, const gp_keyset *ks, const cos_apdu *a)
{
    gp_ram *ram = sd->ram;
    uint8_t hdr[5] = {a->cla, a->ins, a->p1, a->p2, 0x10}, mac[16];
    gp_mac m;
    int rc, ok;

    (void)ks;
    /* E.5.2.2: the C-MAC of EXTERNAL AUTHENTICATE starts from a zero ICV. */
    rc = gp__mac_start(&m, sd->ctx, GP_MAC_RETAIL, NULL, ram->u.s02.s_mac, 16, NULL);
    if (rc == 0)
        rc = gp__mac_update(&m, hdr, 5);
    if (rc == 0)
        rc = gp__mac_update(&m, a->data, 8);
    if (rc == 0)
        rc = gp__mac_final(&m, mac);
    if (rc < 0)
        return rc;
    ok = cos_ct_equal(a->data, ram->u.s02.icv, 8);
    ok &= cos_ct_equal(mac, a->data + 8, 8);
    if (!ok)
        return 0x6300; /* E.5.2.4: authentication of the host cryptogram failed */
    rc = next_icv(sd, mac);
    if (rc < 0)
        return rc;
    memset(ram->u.s02.ricv, 0, 8);
    ram->level = a->p1;
    ram->state = GP_ST_OPEN;
    return COS_SW_OK;
}

int gp__scp02_unwrap(gp_sd *sd, const cos_apdu *a, cos_apdu *plain, uint8_t *buf)
{
    gp_ram *ram = sd->ram;
    size_t blen, plen;
    uint8_t mac[16], hdr[5];
    gp_mac m;
    int rc;

    rc = gp__unwrap_start(ram, a, plain, buf, &blen);
    if (rc != 1)
        return rc;
    if ((ram->level & GP_LVL_CDEC) && blen > 0) {
        uint8_t iv[8] = {0};
        if (blen % 8 || blen > GP_DATA_MAX)
            goto security;
        rc = cos_cipher(sd->ctx, COS_ALG_DES, ram->u.s02.s_enc, 16,
                        COS_CIPHER_DECRYPT | COS_CIPHER_CBC, iv, a->data, buf, blen);
        if (rc < 0)
            return rc;
        if (gp__unpad(buf, blen, &plen) < 0 || blen - plen > 8)
            goto security;
    } else {
        if (blen > GP_DATA_MAX)
            goto security;
        if (blen)
            memcpy(buf, a->data, blen);
        plen = blen;
    }
    hdr[0] = a->cla;
    hdr[1] = a->ins;
    hdr[2] = a->p1;
    hdr[3] = a->p2;
    hdr[4] = (uint8_t)(plen + 8);
    rc = gp__mac_start(&m, sd->ctx, GP_MAC_RETAIL, NULL, ram->u.s02.s_mac, 16, ram->u.s02.icv);
    if (rc == 0)
        rc = gp__mac_update(&m, hdr, 5);
    if (rc == 0 && plen)
        rc = gp__mac_update(&m, buf, plen);
    if (rc == 0)
        rc = gp__mac_final(&m, mac);
    if (rc < 0)
        return rc;
    if (!cos_ct_equal(mac, a->data + blen, 8))
        goto security;
    rc = next_icv(sd, mac);
    if (rc < 0)
        return rc;
    plain->nc = (uint16_t)plen;
    return 0;
security:
    gp__session_close(ram);
    return COS_SW_SECURITY;
}

int gp__scp02_wrap(gp_sd *sd, const cos_apdu *plain, int sw, cos_resp *r)
{
    gp_ram *ram = sd->ram;
    uint8_t hdr[5] = {(uint8_t)(plain->cla & 0xF8), plain->ins, plain->p1, plain->p2,
                      (uint8_t)plain->nc};
    uint8_t li = (uint8_t)r->len, sw2[2] = {(uint8_t)(sw >> 8), (uint8_t)sw}, mac[16];
    gp_mac m;
    int rc;

    if ((size_t)r->len + 8 > r->cap)
        return COS_ERR_BUFFER;
    rc = gp__mac_start(&m, sd->ctx, GP_MAC_RETAIL, NULL, ram->u.s02.s_rmac, 16, ram->u.s02.ricv);
    if (rc == 0)
        rc = gp__mac_update(&m, hdr, 5);
    if (rc == 0 && plain->nc)
        rc = gp__mac_update(&m, plain->data, plain->nc);
    if (rc == 0)
        rc = gp__mac_update(&m, &li, 1);
    if (rc == 0 && r->len)
        rc = gp__mac_update(&m, r->buf, r->len);
    if (rc == 0)
        rc = gp__mac_update(&m, sw2, 2);
    if (rc == 0)
        rc = gp__mac_final(&m, mac);
    if (rc < 0)
        return rc;
    memcpy(ram->u.s02.ricv, mac, 8);
    return cos_resp_put(r, mac, 8);
}
