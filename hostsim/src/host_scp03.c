/*
 * obol host platform: Secure Channel Protocol '03' (GP Card Specification 2.3,
 * Amendment D "SCP03"), host side, S8 mode.
 *
 * Data derivation with the NIST SP 800-108 KDF in counter mode and AES-CMAC (D 6.2.1,
 * 4.1.5), session keys and cryptograms (6.2.2), the pseudo-random card challenge
 * (6.2.2.1), C-MAC with MAC chaining (6.2.4), command encryption with the encryption
 * counter (6.2.6), R-MAC (6.2.5) and response decryption (6.2.7). Static keys may be
 * AES-128, -192 or -256.
 */
#include <string.h>

#include "obol/host_crypto.h"
#include "obol/host_gp.h"
#include "host_gp_internal.h"
#include "host_internal.h"

/* Derivation constants (Amendment D 4.1.5 Table 4-1). */
enum {
    K_CARD_CRYPTOGRAM = 0x00,
    K_HOST_CRYPTOGRAM = 0x01,
    K_CARD_CHALLENGE = 0x02,
    K_S_ENC = 0x04,
    K_S_MAC = 0x06,
    K_S_RMAC = 0x07
};

/* KDF in counter mode (Amendment D 4.1.5): for i = 1, 2, ...
 *   CMAC(KEY, 00 x 11 || constant || 00 || L (2 bytes, bits) || i || context)
 * concatenated and cut to L bits. */
static int kdf(const uint8_t *key, size_t keylen, uint8_t constant, const uint8_t *ctx,
               size_t ctxlen, size_t lbits, uint8_t *out)
{
    uint8_t in[16 + 32], block[16];
    size_t done = 0, want = lbits / 8;
    uint8_t i = 1;
    int rc = 0;

    if (ctxlen > sizeof in - 16)
        return HOST_ERR_ARG;
    memset(in, 0, 16);
    in[11] = constant;
    in[12] = 0x00;
    in[13] = (uint8_t)(lbits >> 8);
    in[14] = (uint8_t)lbits;
    memcpy(in + 16, ctx, ctxlen);
    while (done < want) {
        size_t n = want - done < 16 ? want - done : 16;
        in[15] = i++;
        rc = host_aes_cmac(key, keylen, in, 16 + ctxlen, block);
        if (rc != 0)
            break;
        memcpy(out + done, block, n);
        done += n;
    }
    host_wipe(block, sizeof block);
    return rc;
}

static int level_valid(uint8_t level)
{
    /* Amendment D 7.1.2.1 Table 7-4 (with R-ENC from GP CS 2.3 Table 10-1). */
    switch (level) {
    case 0x00:
    case 0x01:
    case 0x03:
    case 0x11:
    case 0x13:
    case 0x33:
        return 1;
    default:
        return 0;
    }
}

/* C-MAC over MSG: CMAC(S-MAC, chaining value || MSG); the full 16 bytes become the
 * next chaining value, the leftmost 8 are sent (S8 mode). */
static int cmac_chain(host_gp_session *s, const uint8_t *msg, size_t len, uint8_t mac[8])
{
    uint8_t full[16];
    int rc;

    rc = host__aes_cmac2(s->s_mac, s->keys.len, s->chain, 16, msg, len, full);
    if (rc != 0)
        return rc;
    memcpy(s->chain, full, 16);
    memcpy(mac, full, 8);
    return 0;
}

/* ICV for command (RESPONSE 0) or response (RESPONSE 1) encryption: AES(S-ENC, block)
 * where the block is the encryption counter left-padded with zeros, its first byte set
 * to 80 for responses (Amendment D 6.2.6, 6.2.7). */
static int make_icv(const host_gp_session *s, int response, uint8_t icv[16])
{
    uint8_t blk[16];

    memset(blk, 0, sizeof blk);
    host__be32(blk + 12, s->enc_counter);
    if (response)
        blk[0] = 0x80;
    return host_aes_ecb(s->s_enc, s->keys.len, 1, blk, icv, 16);
}

int host__scp03_open(host_gp_session *s, const uint8_t *data, size_t len, uint8_t level,
                     uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t ctx[16 + 3], card_cg[8], host_cg[8], ea[13], mac[8], chal[8];
    size_t klen = s->keys.len;
    uint8_t i;
    int rc;

    if (!level_valid(level))
        return HOST_ERR_ARG;
    if (cap < 21)
        return HOST_ERR_NOSPACE;
    /* Amendment D 7.1.1.6 Table 7-3: key diversification data(10), key information
     * (KVN, 03, i), card challenge(8), card cryptogram(8), sequence counter(3) when the
     * card challenge is pseudo-random. */
    if ((len != 29 && len != 32) || data[11] != 0x03)
        return HOST_ERR_PROTO;
    i = data[12];
    if (s->i != 0 && s->i != i)
        return HOST_ERR_PROTO;
    if ((i & 0x10) && len != 32)
        return HOST_ERR_PROTO;
    /* i b6 = R-MAC support, b7 = R-ENC support (Amendment D 5.1 Table 5-1). */
    if (((level & HOST_GP_LEVEL_RMAC) && !(i & 0x20)) ||
        ((level & HOST_GP_LEVEL_RENC) && !(i & 0x40)))
        return HOST_ERR_UNSUPPORTED;
    s->i = i;
    s->card_kvn = data[10];
    memcpy(s->card_challenge, data + 13, 8);
    if (len == 32)
        memcpy(s->seq, data + 29, 3);

    /* 6.2.2.1: a pseudo-random card challenge is KDF(static ENC, 02, 64 bits,
     * sequence counter || invoking AID); checking it proves the card knows the key
     * set before any cryptogram is trusted. */
    if ((i & 0x10) && s->aid_len > 0) {
        memcpy(ctx, s->seq, 3);
        memcpy(ctx + 3, s->aid, s->aid_len);
        rc = kdf(s->keys.enc, klen, K_CARD_CHALLENGE, ctx, 3 + s->aid_len, 64, chal);
        if (rc != 0)
            return rc;
        if (host_verify_equal(chal, s->card_challenge, 8) != 0)
            return HOST_ERR_CHALLENGE;
    }

    /* 6.2.1: session keys, context = host challenge || card challenge. */
    memcpy(ctx, s->host_challenge, 8);
    memcpy(ctx + 8, s->card_challenge, 8);
    rc = kdf(s->keys.enc, klen, K_S_ENC, ctx, 16, klen * 8, s->s_enc);
    if (rc == 0)
        rc = kdf(s->keys.mac, klen, K_S_MAC, ctx, 16, klen * 8, s->s_mac);
    if (rc == 0)
        rc = kdf(s->keys.mac, klen, K_S_RMAC, ctx, 16, klen * 8, s->s_rmac);
    if (rc != 0)
        return rc;

    /* 6.2.2.2 / 6.2.2.3: cryptograms are 64-bit KDF outputs under S-MAC. */
    rc = kdf(s->s_mac, klen, K_CARD_CRYPTOGRAM, ctx, 16, 64, card_cg);
    if (rc != 0)
        return rc;
    if (host_verify_equal(card_cg, data + 21, 8) != 0)
        return HOST_ERR_CRYPTOGRAM;
    rc = kdf(s->s_mac, klen, K_HOST_CRYPTOGRAM, ctx, 16, 64, host_cg);
    if (rc != 0)
        return rc;

    /* 7.1.2: EXTERNAL AUTHENTICATE carries a C-MAC whose chaining value starts at
     * zero; it is never encrypted. */
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
    s->enc_counter = 0; /* 6.2.6: the first command after EXTERNAL AUTHENTICATE uses 1 */
    return 0;
}

int host__scp03_wrap(host_gp_session *s, const host__apdu *a, const uint8_t *in, size_t in_len,
                     uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t msg[5 + 255], enc[256], icv[16], mac[8];
    const uint8_t *body = a->data;
    size_t body_len = a->lc, n, padded = (a->lc / 16 + 1) * 16;
    int encrypt = (s->level & HOST_GP_LEVEL_CDEC) && a->lc > 0;
    int rc;

    if (!(s->level & HOST_GP_LEVEL_CMAC)) {
        s->enc_counter++;
        return host__copy_out(in, in_len, out, cap, out_len);
    }
    if ((encrypt ? padded : a->lc) + 8 > 255)
        return HOST_ERR_ARG;
    n = 5 + (encrypt ? padded : a->lc) + 8 + (a->has_le ? 1 : 0);
    if (n > cap)
        return HOST_ERR_NOSPACE;

    /* 6.2.6: the counter moves for every command, with or without data. */
    s->enc_counter++;
    if (encrypt) {
        memcpy(enc, a->data, a->lc);
        body_len = host__pad80(enc, a->lc, sizeof enc, 16);
        rc = make_icv(s, 0, icv);
        if (rc == 0)
            rc = host_aes_cbc(s->s_enc, s->keys.len, 1, icv, enc, enc, body_len);
        if (rc != 0)
            return rc;
        body = enc;
    }

    /* 6.2.4: the MAC covers CLA with the logical channel set to zero and b3 set, INS
     * P1 P2, Lc including the MAC, and the data as sent; Le is not covered. The CLA
     * sent keeps its channel bits and has b3 set, b4 cleared. */
    msg[0] = (uint8_t)((a->cla & 0xF0) | 0x04);
    msg[1] = a->ins;
    msg[2] = a->p1;
    msg[3] = a->p2;
    msg[4] = (uint8_t)(body_len + 8);
    if (body_len > 0)
        memcpy(msg + 5, body, body_len);
    rc = cmac_chain(s, msg, 5 + body_len, mac);
    if (rc != 0)
        return rc;
    return host__apdu_emit(a, (uint8_t)((a->cla & 0xF7) | 0x04), body, body_len, mac, 8, out, cap,
                           out_len);
}

int host__scp03_unwrap(host_gp_session *s, const uint8_t *rsp, size_t rsp_len, uint8_t *out,
                       size_t cap, size_t *out_len)
{
    uint8_t msg[256 + 2], full[16], icv[16], plain[256];
    uint8_t sw1 = rsp[rsp_len - 2], sw2 = rsp[rsp_len - 1];
    size_t rlen, plen;
    int rc;

    if (!(s->level & HOST_GP_LEVEL_RMAC))
        return host__copy_out(rsp, rsp_len, out, cap, out_len);
    /* 6.2.5: no R-MAC on an error status (anything but 9000, 62xx, 63xx); the MAC
     * chain has already moved with the command. */
    if (!((sw1 == 0x90 && sw2 == 0x00) || sw1 == 0x62 || sw1 == 0x63))
        return host__copy_out(rsp, rsp_len, out, cap, out_len);
    if (rsp_len < 10 || rsp_len - 10 > 256)
        return HOST_ERR_PROTO;
    rlen = rsp_len - 10;
    /* R-MAC = CMAC(S-RMAC, chaining value of the command || data as sent || SW). */
    memcpy(msg, rsp, rlen);
    msg[rlen] = sw1;
    msg[rlen + 1] = sw2;
    rc = host__aes_cmac2(s->s_rmac, s->keys.len, s->chain, 16, msg, rlen + 2, full);
    if (rc != 0)
        return rc;
    if (host_verify_equal(full, rsp + rlen, 8) != 0)
        return HOST_ERR_RMAC;

    plen = rlen;
    if ((s->level & HOST_GP_LEVEL_RENC) && rlen > 0) {
        /* 6.2.7: AES-CBC under S-ENC, ICV from the command's counter with MSB 80. */
        if (rlen % 16 != 0)
            return HOST_ERR_PROTO;
        rc = make_icv(s, 1, icv);
        if (rc == 0)
            rc = host_aes_cbc(s->s_enc, s->keys.len, 0, icv, rsp, plain, rlen);
        if (rc == 0)
            rc = host__unpad80(plain, rlen, &plen);
        if (rc != 0) {
            host_wipe(plain, sizeof plain);
            return rc;
        }
    } else if (rlen > 0) {
        memcpy(plain, rsp, rlen);
    }
    if (plen + 2 > cap) {
        host_wipe(plain, sizeof plain);
        return HOST_ERR_NOSPACE;
    }
    memcpy(out, plain, plen);
    out[plen] = sw1;
    out[plen + 1] = sw2;
    *out_len = plen + 2;
    host_wipe(plain, sizeof plain);
    return 0;
}
