/*
 * obol host platform: Secure Channel Protocol '02' (GP Card Specification 2.3,
 * Appendix E), host side, options i=15 and i=55.
 *
 * Session keys from the 2-byte sequence counter (E.4.1), card and host cryptograms
 * (E.4.2), EXTERNAL AUTHENTICATE (E.5.2), C-MAC as a retail MAC whose ICV for the next
 * command is the previous C-MAC encrypted with single DES under the left half of the
 * C-MAC key (E.4.4, option b5), C-DECRYPTION with 3DES-CBC (E.4.6), R-MAC (E.4.5) and
 * key encryption under the session DEK (E.4.7).
 */
#include <string.h>

#include "obol/host_crypto.h"
#include "obol/host_gp.h"
#include "host_gp_internal.h"
#include "host_internal.h"

/* Derivation constants (GP CS 2.3 E.4.1). */
static const uint8_t C_CMAC[2] = {0x01, 0x01};
static const uint8_t C_RMAC[2] = {0x01, 0x02};
static const uint8_t C_ENC[2] = {0x01, 0x82};
static const uint8_t C_DEK[2] = {0x01, 0x81};

/* Session key = 3DES-CBC(static key, zero ICV) over constant || counter || 00 x 12. */
static int derive(const uint8_t base[16], const uint8_t constant[2], const uint8_t seq[2],
                  uint8_t out[16])
{
    uint8_t in[16];

    memset(in, 0, sizeof in);
    memcpy(in, constant, 2);
    memcpy(in + 2, seq, 2);
    return host_des_cbc(base, 16, 1, NULL, in, out, 16);
}

static int level_valid(uint8_t level)
{
    /* GP CS 2.3 E.5.2.3 Table E-9: no secure messaging, C-MAC, C-DEC + C-MAC, each
     * optionally with R-MAC. */
    switch (level) {
    case 0x00:
    case 0x01:
    case 0x03:
    case 0x10:
    case 0x11:
    case 0x13:
        return 1;
    default:
        return 0;
    }
}

/* C-MAC over MSG with the session's chained ICV; advances the chain: the ICV of the
 * next command is the C-MAC encrypted with single DES under the C-MAC key's left half
 * (option b5, "ICV encryption for C-MAC session"). */
static int cmac_chain(host_gp_session *s, const uint8_t *msg, size_t len, uint8_t mac[8])
{
    uint8_t next[8];
    int rc;

    rc = host_mac_alg3(s->s_mac, s->chain, msg, len, mac);
    if (rc != 0)
        return rc;
    if (s->i & 0x10) {
        rc = host_des_ecb(s->s_mac, 8, 1, mac, next, 8);
        if (rc != 0)
            return rc;
        memcpy(s->chain, next, 8);
    } else {
        memcpy(s->chain, mac, 8);
    }
    return 0;
}

int host__scp02_open(host_gp_session *s, const uint8_t *data, size_t len, uint8_t level,
                     uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t buf[16], card_cg[8], host_cg[8], ea[13], mac[8];
    const uint8_t *seq, *cc;
    int rc;

    if (!level_valid(level))
        return HOST_ERR_ARG;
    if (cap < 21)
        return HOST_ERR_NOSPACE;
    /* E.5.1.3: key diversification data(10) KVN(1) SCP id 02(1) sequence counter(2)
     * card challenge(6) card cryptogram(8). */
    if (len != 28 || data[11] != 0x02)
        return HOST_ERR_PROTO;
    s->card_kvn = data[10];
    seq = data + 12;
    cc = data + 14;
    memcpy(s->seq, seq, 2);
    memcpy(s->card_challenge, cc, 6);

    rc = derive(s->keys.enc, C_ENC, seq, s->s_enc);
    if (rc == 0)
        rc = derive(s->keys.mac, C_CMAC, seq, s->s_mac);
    if (rc == 0)
        rc = derive(s->keys.mac, C_RMAC, seq, s->s_rmac);
    if (rc == 0)
        rc = derive(s->keys.dek, C_DEK, seq, s->s_dek);
    if (rc != 0)
        return rc;

    /* E.4.2.1: card cryptogram = full 3DES MAC under S-ENC over host challenge ||
     * sequence counter || card challenge. */
    memcpy(buf, s->host_challenge, 8);
    memcpy(buf + 8, seq, 2);
    memcpy(buf + 10, cc, 6);
    rc = host_mac_alg1(s->s_enc, 16, NULL, buf, 16, card_cg);
    if (rc != 0)
        return rc;
    if (host_verify_equal(card_cg, data + 20, 8) != 0)
        return HOST_ERR_CRYPTOGRAM;

    /* E.4.2.2: host cryptogram over sequence counter || card challenge || host
     * challenge. */
    memcpy(buf, seq, 2);
    memcpy(buf + 2, cc, 6);
    memcpy(buf + 8, s->host_challenge, 8);
    rc = host_mac_alg1(s->s_enc, 16, NULL, buf, 16, host_cg);
    if (rc != 0)
        return rc;

    /* E.5.2: EXTERNAL AUTHENTICATE always carries a C-MAC computed with a zero ICV over
     * the header as sent (CLA 84, Lc 10) and the host cryptogram. */
    ea[0] = 0x84;
    ea[1] = 0x82;
    ea[2] = level;
    ea[3] = 0x00;
    ea[4] = 0x10;
    memcpy(ea + 5, host_cg, 8);
    memset(s->chain, 0, sizeof s->chain);
    rc = cmac_chain(s, ea, sizeof ea, mac);
    if (rc != 0)
        return rc;
    memcpy(out, ea, 13);
    memcpy(out + 13, mac, 8);
    *out_len = 21;
    s->level = level;
    memset(s->ricv, 0, sizeof s->ricv); /* the R-MAC chain starts from zero */
    return 0;
}

int host__scp02_wrap(host_gp_session *s, const host__apdu *a, const uint8_t *in, size_t in_len,
                     uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t msg[5 + 255], enc[256], mac[8];
    const uint8_t *body = a->data;
    size_t body_len = a->lc, n;
    uint8_t cla = a->cla | 0x04;
    int rc;

    /* What the R-MAC of the answer covers (E.4.5, pinned in tests): the plain command
     * with its CLA's secure messaging and channel bits cleared, INS P1 P2, Lc (00 when
     * there is no data) and the plain data, without the C-MAC. */
    if (s->level & HOST_GP_LEVEL_RMAC) {
        s->rcmd[0] = a->cla & 0xF8;
        s->rcmd[1] = a->ins;
        s->rcmd[2] = a->p1;
        s->rcmd[3] = a->p2;
        s->rcmd[4] = (uint8_t)a->lc;
        if (a->lc > 0)
            memcpy(s->rcmd + 5, a->data, a->lc);
        s->rcmd_len = 5 + a->lc;
    }
    if (!(s->level & HOST_GP_LEVEL_CMAC))
        return host__copy_out(in, in_len, out, cap, out_len);

    /* Check sizes before the chain moves: Lc + 8 and the padded ciphertext + 8 must
     * fit in a short APDU. */
    if (a->lc + 8 > 255)
        return HOST_ERR_ARG;
    if ((s->level & HOST_GP_LEVEL_CDEC) && a->lc > 0 && (a->lc / 8 + 1) * 8 + 8 > 255)
        return HOST_ERR_ARG;
    n = 5 + ((s->level & HOST_GP_LEVEL_CDEC) && a->lc > 0 ? (a->lc / 8 + 1) * 8 : a->lc) + 8 +
        (a->has_le ? 1 : 0);
    if (n > cap)
        return HOST_ERR_NOSPACE;

    /* E.4.4: C-MAC over the header as it will be sent (CLA with b3 set, Lc + 8) and the
     * plain data, i.e. before encryption. */
    msg[0] = cla;
    msg[1] = a->ins;
    msg[2] = a->p1;
    msg[3] = a->p2;
    msg[4] = (uint8_t)(a->lc + 8);
    if (a->lc > 0)
        memcpy(msg + 5, a->data, a->lc);
    rc = cmac_chain(s, msg, 5 + a->lc, mac);
    if (rc != 0)
        return rc;

    /* E.4.6: the data field is padded `80 00..` (always) and 3DES-CBC encrypted under
     * S-ENC with a zero ICV. A command without data is not encrypted. */
    if ((s->level & HOST_GP_LEVEL_CDEC) && a->lc > 0) {
        memcpy(enc, a->data, a->lc);
        body_len = host__pad80(enc, a->lc, sizeof enc, 8);
        rc = host_des_cbc(s->s_enc, 16, 1, NULL, enc, enc, body_len);
        if (rc != 0)
            return rc;
        body = enc;
    }
    return host__apdu_emit(a, cla, body, body_len, mac, 8, out, cap, out_len);
}

int host__scp02_unwrap(host_gp_session *s, const uint8_t *rsp, size_t rsp_len, uint8_t *out,
                       size_t cap, size_t *out_len)
{
    uint8_t msg[261 + 1 + 256 + 2], mac[8];
    size_t rlen, n;
    int rc;

    if (!(s->level & HOST_GP_LEVEL_RMAC))
        return host__copy_out(rsp, rsp_len, out, cap, out_len);
    /* An error status word (anything but 9000, 62xx, 63xx) comes without data, hence
     * without R-MAC (ISO/IEC 7816-4 5.6; the card OS sends no data with it), as in
     * SCP03: pass it through and leave the R-MAC chain where it was. */
    if (!((rsp[rsp_len - 2] == 0x90 && rsp[rsp_len - 1] == 0x00) || rsp[rsp_len - 2] == 0x62 ||
          rsp[rsp_len - 2] == 0x63))
        return host__copy_out(rsp, rsp_len, out, cap, out_len);
    /* E.4.5: every other response in an R-MAC session ends with an 8-byte R-MAC before
     * the status word. */
    if (rsp_len < 10)
        return HOST_ERR_PROTO;
    rlen = rsp_len - 10;
    if (rlen > 255)
        return HOST_ERR_PROTO;
    if (rlen + 2 > cap)
        return HOST_ERR_NOSPACE;
    /* R-MAC = retail MAC under the R-MAC session key, ICV the previous R-MAC, over the
     * command part recorded by wrap || Li || response data || SW1 SW2. */
    memcpy(msg, s->rcmd, s->rcmd_len);
    n = s->rcmd_len;
    msg[n++] = (uint8_t)rlen;
    memcpy(msg + n, rsp, rlen);
    n += rlen;
    msg[n++] = rsp[rsp_len - 2];
    msg[n++] = rsp[rsp_len - 1];
    rc = host_mac_alg3(s->s_rmac, s->ricv, msg, n, mac);
    if (rc != 0)
        return rc;
    memcpy(s->ricv, mac, 8);
    if (host_verify_equal(mac, rsp + rlen, 8) != 0)
        return HOST_ERR_RMAC;
    memmove(out, rsp, rlen);
    out[rlen] = rsp[rsp_len - 2];
    out[rlen + 1] = rsp[rsp_len - 1];
    *out_len = rlen + 2;
    return 0;
}
