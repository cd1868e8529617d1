/*
 * obol card OS: security status, access conditions and line protection.
 *
 * The security status of a channel is the set of PIN and key objects verified or
 * authenticated on it (ISO/IEC 7816-4:2020, security status of the card,
 * of an application, of a file). A verification stays valid while the current DF
 * is within the DF that holds the PIN or key; leaving that DF drops it.
 *
 * Line protection ("安全报文" in FMCOS/PBOC terms, CLA 04/84 = proprietary secure
 * messaging per ISO/IEC 7816-4:2020, 5.4): the command data ends with a 4-byte MAC
 * over CLA INS P1 P2 Lc || data (Lc counting the MAC), padded 80 00.., with the
 * initial value = the challenge of the immediately preceding GET CHALLENGE padded
 * with zeros to a block, under the file's MAC key (8 bytes: ISO/IEC 9797-1 MAC
 * algorithm 1; 16 bytes: algorithm 3). The challenge is consumed by the check, so
 * a MACed command cannot be replayed.
 */
#include "cos_internal.h"

#include "obol/cos_crypto.h"

int cos__sec_has(const cos_card *c, uint8_t ch, cos_oid oid)
{
    for (unsigned i = 0; i < COS_SEC_SLOTS; i++)
        if (oid && c->ch[ch].sec[i] == oid)
            return 1;
    return 0;
}

void cos__sec_add(cos_card *c, uint8_t ch, cos_oid oid)
{
    cos_oid *s = c->ch[ch].sec;

    if (cos__sec_has(c, ch, oid))
        return;
    for (unsigned i = 0; i < COS_SEC_SLOTS; i++) {
        if (s[i] == 0) {
            s[i] = oid;
            return;
        }
    }
    /* Full: forget the oldest verification. */
    memmove(s, s + 1, (COS_SEC_SLOTS - 1) * sizeof *s);
    s[COS_SEC_SLOTS - 1] = oid;
}

void cos__sec_remove(cos_card *c, uint8_t ch, cos_oid oid)
{
    for (unsigned i = 0; i < COS_SEC_SLOTS; i++)
        if (c->ch[ch].sec[i] == oid)
            c->ch[ch].sec[i] = 0;
}

int cos__sec_prune(cos_card *c, uint8_t ch)
{
    cos__chan *k = &c->ch[ch];

    for (unsigned i = 0; i < COS_SEC_SLOTS; i++) {
        cos__obj o;
        if (!k->sec[i])
            continue;
        int rc = cos__obj_load(c, k->sec[i], &o);
        if (rc < 0 && rc != COS_ERR_NOT_FOUND)
            return rc;
        if (rc < 0 || !cos__obj_is_under(c, k->df, o.parent))
            k->sec[i] = 0;
    }
    return 0;
}

int cos__sec_check(cos_card *c, const cos_apdu *a, cos_oid df, uint8_t ac, uint16_t *nc)
{
    unsigned kind = ac >> 4, ref = ac & 0x0Fu;
    cos__pin pin;
    cos_key key;
    int rc;

    *nc = a->nc;
    if (a->sm >= 2 || (a->sm == 1 && kind != 3))
        return COS_SW_SM_UNSUPPORTED;
    switch (kind) {
    case 0:
        return ac == COS_AC_ALWAYS ? COS_SW_OK : COS_SW_SECURITY;
    case 1:
        rc = cos__fs_find_pin(c, df, (uint8_t)ref, &pin);
        if (rc == COS_ERR_NOT_FOUND)
            return COS_SW_SECURITY;
        if (rc < 0)
            return rc;
        return cos__sec_has(c, a->chan, cos__off_oid(pin.o.off)) ? COS_SW_OK : COS_SW_SECURITY;
    case 2:
        rc = cos__fs_find_key(c, df, COS_KEY_EXT_AUTH, (uint8_t)ref, &key);
        if (rc == COS_ERR_NOT_FOUND)
            return COS_SW_SECURITY;
        if (rc < 0)
            return rc;
        return cos__sec_has(c, a->chan, key.oid) ? COS_SW_OK : COS_SW_SECURITY;
    case 3:
        if (a->sm != 1)
            return COS_SW_SECURITY;
        rc = cos__fs_find_key(c, df, COS_KEY_SM_MAC, (uint8_t)ref, &key);
        if (rc == COS_ERR_NOT_FOUND)
            return COS_SW_SECURITY;
        if (rc < 0)
            return rc;
        rc = cos__sm_verify(c, a, &key);
        if (rc == (int)COS_SW_OK)
            *nc = (uint16_t)(a->nc - 4u);
        return rc;
    default:
        return COS_SW_SECURITY; /* NEVER, and every undefined value */
    }
}

int cos__sm_verify(cos_card *c, const cos_apdu *a, cos_key *k)
{
    uint8_t hdr[7], icv[16], val[COS_KEY_MAX], mac[16];
    size_t hl = 4, bs = k->alg == COS_ALG_DES ? 8u : 16u;
    int rc;

    if (a->nc < 4)
        return COS_SW_WRONG_LENGTH;
    if (k->err_max && k->err_left == 0)
        return COS_SW_AUTH_BLOCKED;
    if (c->chal_age != 1 || c->chal_ch != a->chan)
        return COS_SW_REF_UNUSABLE;
    c->chal_age = 0;
    hdr[0] = a->cla;
    hdr[1] = a->ins;
    hdr[2] = a->p1;
    hdr[3] = a->p2;
    if (a->ext) {
        hdr[4] = 0;
        cos__put16(hdr + 5, a->nc);
        hl = 7;
    } else {
        hdr[4] = (uint8_t)a->nc;
        hl = 5;
    }
    memset(icv, 0, sizeof icv);
    memcpy(icv, c->chal, c->chal_len < bs ? c->chal_len : bs);
    /* Count the attempt before checking it, and give the try back only on success (as
     * VERIFY and EXTERNAL AUTHENTICATE do): a card torn between the comparison and the
     * write must not have granted a free try, whatever an attacker sees of the
     * comparison's outcome (timing, power) before cutting the power. */
    rc = cos__key_failed(c, k);
    if (rc < 0)
        return rc;
    rc = cos__key_value(c, k, val, sizeof val);
    if (rc >= 0)
        rc = cos__mac_hdr(c, k->alg, val, k->len, icv, hdr, hl, a->data, a->nc - 4u, mac);
    cos_wipe(val, sizeof val);
    if (rc < 0)
        return rc;
    if (!cos_ct_equal(mac, a->data + a->nc - 4u, 4))
        return COS_SW_SM_WRONG;
    rc = cos__key_succeeded(c, k);
    return rc < 0 ? rc : COS_SW_OK;
}
