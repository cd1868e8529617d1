/*
 * obol card OS: basic security handling commands (ISO/IEC 7816-4:2020, clause 11, basic security
 * handling: GET CHALLENGE, VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, EXTERNAL and
 * INTERNAL AUTHENTICATE).
 *
 * References in P2: bits 5-1 give the PIN or key number, 0 meaning "the PIN / key of
 * this kind that the current DF context defines" (PBOC's VERIFY 00 20 00 00). Bit 8
 * (global / DF-specific) is accepted but not used to scope the search: the nearest
 * PIN or key with that number, from the current DF up to the MF, is taken, which is
 * what FMCOS-style cards do.
 *
 * Try counters are decremented before the comparison and restored after a success
 * (each a one-byte write, outside any transaction): cutting the power after the
 * comparison cannot save an attempt. A correct VERIFY torn between the two writes
 * therefore leaves one try consumed; the tearing tests accept exactly that.
 */
#include "cos_internal.h"

#include "obol/cos_crypto.h"

static int pin_write_left(cos_card *c, cos__pin *p, uint8_t v)
{
    int rc = cos__nvm_write_raw(c, p->o.off + COS__OBJ_HDR, &v, 1);
    if (rc == 0)
        p->left = v;
    return rc;
}

static uint16_t tries_sw(unsigned left)
{
    return left == 0 ? COS_SW_AUTH_BLOCKED : (uint16_t)COS_SW_VERIFY_FAILED(left > 15 ? 15 : left);
}

/* Compares VAL with the PIN's value, counting the attempt. Returns a status word. */
static int pin_try(cos_card *c, cos__pin *p, const uint8_t *val, size_t len)
{
    uint8_t stored[COS_PIN_MAX], given[COS_PIN_MAX];
    int rc, eq;

    if (p->left == 0)
        return COS_SW_AUTH_BLOCKED;
    rc = pin_write_left(c, p, (uint8_t)(p->left - 1));
    if (rc < 0)
        return rc;
    rc = cos__nvm_read(c, p->o.off + COS__OBJ_HDR + COS__PIN_HDR, stored, p->len);
    if (rc < 0)
        return rc;
    memset(given, 0, sizeof given);
    memcpy(given, val, len < sizeof given ? len : sizeof given);
    eq = cos_ct_equal(stored, given, p->len) && len == p->len;
    cos_wipe(stored, sizeof stored);
    cos_wipe(given, sizeof given);
    if (!eq)
        return tries_sw(p->left);
    rc = pin_write_left(c, p, p->max);
    return rc < 0 ? rc : COS_SW_OK;
}

/* Writes a new PIN value and resets its counter, atomically. */
static int pin_set(cos_card *c, cos__pin *p, const uint8_t *val, size_t len)
{
    uint8_t b[3] = {p->max, p->max, (uint8_t)len};
    int rc = cos__txn_enter(c);
    if (rc < 0)
        return rc;
    rc = cos__nvm_write(c, p->o.off + COS__OBJ_HDR + COS__PIN_HDR, val, len);
    if (rc == 0)
        rc = cos__nvm_write(c, p->o.off + COS__OBJ_HDR, b, sizeof b);
    rc = cos__txn_leave(c, rc, rc == 0);
    return rc < 0 ? rc : COS_SW_OK;
}

int cos__cmd_get_challenge(cos_card *c, const cos_apdu *a, cos_resp *r)
{
    int rc;

    if (a->p1 || a->p2)
        return COS_SW_WRONG_P1P2;
    /* 4 bytes (FMCOS/PBOC), 8 (one DES block) or 16 (one AES block). */
    if (a->nc || (a->ne != 4 && a->ne != 8 && a->ne != 16))
        return COS_SW_WRONG_LENGTH;
    rc = cos__random(c, c->chal, a->ne);
    if (rc < 0)
        return rc;
    c->chal_len = (uint8_t)a->ne;
    c->chal_ch = a->chan;
    c->chal_age = 2;
    rc = cos_resp_put(r, c->chal, a->ne);
    return rc < 0 ? rc : COS_SW_OK;
}

int cos__cmd_verify(cos_card *c, const cos_apdu *a, cos_resp *r)
{
    cos__pin p;
    int rc;

    (void)r;
    if (a->sm)
        return COS_SW_SM_UNSUPPORTED;
    if ((a->p1 != 0x00 && a->p1 != 0xFF) || (a->p2 & 0x60))
        return COS_SW_WRONG_P1P2;
    if (a->ne || (a->p1 == 0xFF && a->nc) || a->nc > COS_PIN_MAX)
        return COS_SW_WRONG_LENGTH;
    rc = cos__fs_find_pin(c, c->ch[a->chan].df, a->p2 & 0x1F, &p);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_REF_NOT_FOUND;
    if (rc < 0)
        return rc;
    if (a->p1 == 0xFF) {
        /* ISO/IEC 7816-4:2020: P1 = FF resets the verification status. */
        cos__sec_remove(c, a->chan, cos__off_oid(p.o.off));
        return COS_SW_OK;
    }
    if (a->nc == 0) {
        /* No data: ask for the status (9000 verified, else 63Cx / 6983). */
        if (cos__sec_has(c, a->chan, cos__off_oid(p.o.off)))
            return COS_SW_OK;
        return tries_sw(p.left);
    }
    cos__sec_remove(c, a->chan, cos__off_oid(p.o.off));
    rc = pin_try(c, &p, a->data, a->nc);
    if (rc == (int)COS_SW_OK)
        cos__sec_add(c, a->chan, cos__off_oid(p.o.off));
    return rc;
}

int cos__cmd_change_ref(cos_card *c, const cos_apdu *a, cos_resp *r)
{
    cos__pin p;
    size_t newlen;
    int rc;

    (void)r;
    if (a->sm)
        return COS_SW_SM_UNSUPPORTED;
    if (a->p1 > 1 || (a->p2 & 0x60))
        return COS_SW_WRONG_P1P2;
    if (a->ne || a->nc == 0)
        return COS_SW_WRONG_LENGTH;
    rc = cos__fs_find_pin(c, c->ch[a->chan].df, a->p2 & 0x1F, &p);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_REF_NOT_FOUND;
    if (rc < 0)
        return rc;
    if (a->p1 == 0) {
        /* P1 00: old value || new value; the old one has the stored length. */
        if (a->nc <= p.len)
            return COS_SW_WRONG_LENGTH;
        newlen = a->nc - p.len;
    } else {
        /* P1 01: new value only, the PIN must have been verified on this channel. */
        newlen = a->nc;
    }
    if (newlen > p.maxlen)
        return COS_SW_WRONG_LENGTH;
    if (a->p1 == 0) {
        rc = pin_try(c, &p, a->data, p.len);
        if (rc != (int)COS_SW_OK) {
            cos__sec_remove(c, a->chan, cos__off_oid(p.o.off));
            return rc;
        }
    } else if (!cos__sec_has(c, a->chan, cos__off_oid(p.o.off))) {
        return COS_SW_SECURITY;
    }
    rc = pin_set(c, &p, a->data + (a->nc - newlen), newlen);
    if (rc == (int)COS_SW_OK)
        cos__sec_add(c, a->chan, cos__off_oid(p.o.off));
    return rc;
}

int cos__cmd_reset_retry(cos_card *c, const cos_apdu *a, cos_resp *r)
{
    cos__pin p, puk;
    size_t codelen = 0, newlen = 0;
    int rc;

    (void)r;
    if (a->sm)
        return COS_SW_SM_UNSUPPORTED;
    if (a->p1 > 3 || (a->p2 & 0x60))
        return COS_SW_WRONG_P1P2;
    if (a->ne)
        return COS_SW_WRONG_LENGTH;
    rc = cos__fs_find_pin(c, c->ch[a->chan].df, a->p2 & 0x1F, &p);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_REF_NOT_FOUND;
    if (rc < 0)
        return rc;
    if (p.puk == 0)
        return COS_SW_CONDITIONS; /* no resetting code for this PIN */
    rc = cos__fs_find_pin(c, p.o.parent, p.puk, &puk);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_CONDITIONS;
    if (rc < 0)
        return rc;
    /* P1: 00 code || new, 01 code, 02 new (code verified before), 03 nothing. */
    if (a->p1 <= 1)
        codelen = puk.len;
    if (a->p1 == 0 || a->p1 == 2)
        newlen = a->nc - codelen;
    if (a->nc < codelen || (a->p1 == 0 && a->nc == codelen) || (a->p1 == 1 && a->nc != codelen) ||
        (a->p1 == 2 && a->nc == 0) || (a->p1 == 3 && a->nc) || newlen > p.maxlen)
        return COS_SW_WRONG_LENGTH;
    if (codelen) {
        rc = pin_try(c, &puk, a->data, codelen);
        if (rc != (int)COS_SW_OK)
            return rc;
    } else if (!cos__sec_has(c, a->chan, cos__off_oid(puk.o.off))) {
        return COS_SW_SECURITY;
    }
    if (newlen)
        return pin_set(c, &p, a->data + codelen, newlen);
    rc = pin_write_left(c, &p, p.max);
    return rc < 0 ? rc : COS_SW_OK;
}

/* The key for EXTERNAL/INTERNAL AUTHENTICATE: P1 algorithm (00: the key's own), P2
 * key number. */
static int auth_key(cos_card *c, const cos_apdu *a, uint8_t usage, cos_key *k)
{
    if (a->p1 != 0 || (a->p2 & 0x60))
        return COS_SW_WRONG_P1P2;
    int rc = cos__fs_find_key(c, c->ch[a->chan].df, usage, a->p2 & 0x1F, k);
    if (rc == COS_ERR_NOT_FOUND)
        return COS_SW_REF_NOT_FOUND;
    if (rc < 0)
        return rc;
    if (k->err_max && k->err_left == 0)
        return COS_SW_AUTH_BLOCKED;
    return COS_SW_OK;
}

int cos__cmd_ext_auth(cos_card *c, const cos_apdu *a, cos_resp *r)
{
    uint8_t blk[16], val[COS_KEY_MAX];
    size_t bs;
    cos_key k;
    int rc, eq;

    (void)r;
    if (a->sm)
        return COS_SW_SM_UNSUPPORTED;
    rc = auth_key(c, a, COS_KEY_EXT_AUTH, &k);
    if (rc != (int)COS_SW_OK)
        return rc;
    bs = k.alg == COS_ALG_DES ? 8u : 16u;
    /* The terminal sends the card's challenge (padded with zeros to a block)
     * enciphered with the key (ECB). */
    if (a->ne || a->nc != bs)
        return COS_SW_WRONG_LENGTH;
    if (c->chal_age != 1 || c->chal_ch != a->chan)
        return COS_SW_REF_UNUSABLE;
    c->chal_age = 0;
    /* Count the attempt first (see the top of this file). */
    if (k.err_max) {
        uint8_t before = k.err_left;
        rc = cos__key_failed(c, &k);
        if (rc < 0)
            return rc;
        k.err_left = before;
    }
    memset(blk, 0, sizeof blk);
    memcpy(blk, c->chal, c->chal_len < bs ? c->chal_len : bs);
    rc = cos__key_value(c, &k, val, sizeof val);
    if (rc >= 0)
        rc = cos__cipher(c, k.alg, val, k.len, COS_CIPHER_ENCRYPT, NULL, blk, blk, bs);
    cos_wipe(val, sizeof val);
    if (rc < 0)
        return rc;
    eq = cos_ct_equal(blk, a->data, bs);
    if (!eq) {
        cos__sec_remove(c, a->chan, k.oid);
        if (k.err_max == 0)
            return 0x6300; /* authentication failed, no counter */
        return tries_sw(k.err_left ? k.err_left - 1u : 0u);
    }
    k.err_left = 0; /* force the restore write */
    rc = cos__key_succeeded(c, &k);
    if (rc < 0)
        return rc;
    cos__sec_add(c, a->chan, k.oid);
    return COS_SW_OK;
}

int cos__cmd_int_auth(cos_card *c, const cos_apdu *a, cos_resp *r)
{
    uint8_t out[64], val[COS_KEY_MAX];
    size_t bs;
    cos_key k;
    int rc;

    if (a->sm)
        return COS_SW_SM_UNSUPPORTED;
    rc = auth_key(c, a, COS_KEY_INT_AUTH, &k);
    if (rc != (int)COS_SW_OK)
        return rc;
    bs = k.alg == COS_ALG_DES ? 8u : 16u;
    /* The card enciphers the terminal's challenge (ECB); PBOC/FMCOS send 8 bytes. */
    if (a->nc == 0 || a->nc % bs || a->nc > sizeof out)
        return COS_SW_WRONG_LENGTH;
    rc = cos__key_value(c, &k, val, sizeof val);
    if (rc >= 0)
        rc = cos__cipher(c, k.alg, val, k.len, COS_CIPHER_ENCRYPT, NULL, a->data, out, a->nc);
    cos_wipe(val, sizeof val);
    if (rc < 0)
        return rc;
    rc = cos_resp_put(r, out, a->nc);
    return rc < 0 ? rc : COS_SW_OK;
}
