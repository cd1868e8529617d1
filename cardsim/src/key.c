/*
 * obol card OS: key objects.
 *
 * Keys are NVM objects of their DF (an instance's keys lie in its ADF): usage (what
 * the key may do: external/internal authentication, line-protection MAC, application
 * maintenance, GlobalPlatform sets, applet-defined PBOC load/purchase/TAC keys), id
 * or index, version (PBOC key version, GP KVN), algorithm, value and an error
 * counter that blocks the key after err_max failures. This file has the OS-side
 * accessors and the applet services of cos_applet.h for keys, which enforce the
 * firewall: an applet reaches only keys of its own ADF subtree.
 */
#include "cos_internal.h"

#include "obol/cos_crypto.h"

int cos__key_load(cos_card *c, cos_oid oid, cos_key *k)
{
    uint8_t b[COS__KEY_HDR];
    cos__obj o;
    int rc = cos__obj_load(c, oid, &o);

    if (rc < 0)
        return rc;
    if (o.type != COS__T_KEY)
        return COS_ERR_NOT_FOUND;
    rc = cos__nvm_read(c, o.off + COS__OBJ_HDR, b, sizeof b);
    if (rc < 0)
        return rc;
    k->oid = oid;
    k->usage = b[0];
    k->kid = b[1];
    k->kver = b[2];
    k->alg = b[3];
    k->len = b[4];
    k->err_left = b[5];
    k->err_max = b[6];
    if (k->len > COS_KEY_MAX || COS__OBJ_HDR + COS__KEY_HDR + (uint32_t)k->len > o.size)
        return COS_ERR_CORRUPT;
    return 0;
}

int cos__key_value(cos_card *c, const cos_key *k, uint8_t *buf, size_t cap)
{
    if (cap < k->len)
        return COS_ERR_BUFFER;
    int rc = cos__nvm_read(c, cos__oid_off(k->oid) + COS__OBJ_HDR + COS__KEY_HDR, buf, k->len);
    return rc < 0 ? rc : k->len;
}

int cos__key_failed(cos_card *c, cos_key *k)
{
    if (k->err_max == 0)
        return 15; /* unlimited: report the most ISO's 63Cx can say */
    if (k->err_left > 0) {
        uint8_t v = (uint8_t)(k->err_left - 1);
        /* A direct one-byte write: it must count even if a transaction aborts. */
        int rc = cos__nvm_write_raw(c, cos__oid_off(k->oid) + COS__OBJ_HDR + 5, &v, 1);
        if (rc < 0)
            return rc;
        k->err_left = v;
    }
    return k->err_left;
}

int cos__key_succeeded(cos_card *c, cos_key *k)
{
    if (k->err_max == 0 || k->err_left == k->err_max)
        return 0;
    int rc = cos__nvm_write_raw(c, cos__oid_off(k->oid) + COS__OBJ_HDR + 5, &k->err_max, 1);
    if (rc == 0)
        k->err_left = k->err_max;
    return rc;
}

static int spec_ok(const cos_key_spec *s)
{
    if (!s || !s->value)
        return 0;
    switch (s->alg) {
    case COS_ALG_DES:
        return s->len == 8 || s->len == 16 || s->len == 24;
    case COS_ALG_AES:
        return s->len == 16 || s->len == 24 || s->len == 32;
    case COS_ALG_SM4:
        return s->len == 16;
    default:
        return 0;
    }
}

static void spec_body(const cos_key_spec *s, uint8_t *b)
{
    b[0] = s->usage;
    b[1] = s->kid;
    b[2] = s->kver;
    b[3] = s->alg;
    b[4] = s->len;
    b[5] = s->err_max;
    b[6] = s->err_max;
    b[7] = 0;
    memcpy(b + COS__KEY_HDR, s->value, s->len);
}

int cos__key_create(cos_card *c, cos_oid df, const cos_key_spec *spec, cos_oid *out)
{
    uint8_t b[COS__KEY_HDR + COS_KEY_MAX];
    cos__obj o;
    int rc;

    if (!spec_ok(spec))
        return COS_ERR_PARAM;
    spec_body(spec, b);
    rc = cos__obj_alloc(c, COS__T_KEY, 0, df, (uint16_t)(spec->usage << 8 | spec->kid), b,
                        COS__KEY_HDR + spec->len, COS__KEY_HDR + spec->len, &o);
    cos_wipe(b, sizeof b);
    if (rc == 0 && out)
        *out = cos__off_oid(o.off);
    return rc;
}

/* ---- applet services (cos_applet.h) ------------------------------------------------- */

/* Reloads K from NVM after checking it is a key of the calling instance. */
static int own_key(cos_ctx *x, const cos_key *k, cos_key *fresh)
{
    cos__obj o;
    cos_oid owner;
    int rc;

    if (!x || !k)
        return COS_ERR_PARAM;
    rc = cos__obj_check(x->card, k->oid, &o);
    if (rc < 0)
        return rc == COS_ERR_NOT_FOUND ? COS_ERR_ACCESS : rc;
    if (o.type != COS__T_KEY)
        return COS_ERR_ACCESS;
    rc = cos__obj_owner(x->card, k->oid, &owner);
    if (rc < 0)
        return rc;
    if (owner != x->inst || owner == 0)
        return COS_ERR_ACCESS;
    return cos__key_load(x->card, k->oid, fresh);
}

int cos_key_find(cos_ctx *x, uint8_t usage, uint8_t kid, int kver, cos_key *out)
{
    cos__obj o = {0};
    cos_oid owner;
    int rc;

    if (!x || !out)
        return COS_ERR_PARAM;
    while ((rc = cos__obj_next(x->card, &o)) == 1) {
        if (o.type != COS__T_KEY)
            continue;
        rc = cos__key_load(x->card, cos__off_oid(o.off), out);
        if (rc < 0)
            return rc;
        if ((usage != COS_KEY_ANY && out->usage != usage) || out->kid != kid ||
            (kver >= 0 && out->kver != kver))
            continue;
        rc = cos__obj_owner(x->card, out->oid, &owner);
        if (rc < 0)
            return rc;
        if (owner == x->inst && owner != 0)
            return 0;
    }
    return rc < 0 ? rc : COS_ERR_NOT_FOUND;
}

int cos_key_put(cos_ctx *x, const cos_key_spec *spec, cos_key *out)
{
    uint8_t b[COS__KEY_HDR + COS_KEY_MAX];
    cos_key old;
    cos_oid oid = 0;
    int rc;

    if (!x || !spec_ok(spec))
        return COS_ERR_PARAM;
    rc = cos_key_find(x, spec->usage, spec->kid, spec->kver, &old);
    if (rc < 0 && rc != COS_ERR_NOT_FOUND)
        return rc;
    int exists = rc == 0;
    rc = cos__txn_enter(x->card);
    if (rc < 0)
        return rc;
    if (exists && old.len == spec->len) {
        spec_body(spec, b);
        oid = old.oid;
        rc = cos__nvm_write(x->card, cos__oid_off(oid) + COS__OBJ_HDR, b, COS__KEY_HDR + spec->len);
    } else {
        if (exists)
            rc = cos__obj_free(x->card, old.oid);
        if (rc == 0)
            rc = cos__key_create(x->card, x->inst, spec, &oid);
    }
    cos_wipe(b, sizeof b);
    rc = cos__txn_leave(x->card, rc, rc == 0);
    if (rc == 0 && out)
        rc = cos__key_load(x->card, oid, out);
    return rc;
}

int cos_key_delete(cos_ctx *x, const cos_key *k)
{
    cos_key f;
    int rc = own_key(x, k, &f);
    return rc < 0 ? rc : cos__obj_free(x->card, f.oid);
}

int cos_key_read(cos_ctx *x, const cos_key *k, uint8_t *buf, size_t cap)
{
    cos_key f;
    int rc = own_key(x, k, &f);
    return rc < 0 ? rc : cos__key_value(x->card, &f, buf, cap);
}

static int usable(cos_ctx *x, const cos_key *k, cos_key *f, uint8_t *val)
{
    int rc = own_key(x, k, f);
    if (rc < 0)
        return rc;
    if (f->err_max && f->err_left == 0)
        return COS_ERR_CRYPTO;
    return cos__key_value(x->card, f, val, COS_KEY_MAX);
}

int cos_key_cipher(cos_ctx *x, const cos_key *k, unsigned mode, uint8_t *iv, const uint8_t *in,
                   uint8_t *out, size_t len)
{
    uint8_t v[COS_KEY_MAX];
    cos_key f;
    int rc = usable(x, k, &f, v);
    if (rc >= 0)
        rc = cos__cipher(x->card, f.alg, v, f.len, mode, iv, in, out, len);
    cos_wipe(v, sizeof v);
    return rc;
}

int cos_key_mac(cos_ctx *x, const cos_key *k, const uint8_t *icv, const uint8_t *data, size_t len,
                uint8_t out[16])
{
    uint8_t v[COS_KEY_MAX];
    cos_key f;
    int rc = usable(x, k, &f, v);
    if (rc >= 0)
        rc = cos__mac(x->card, f.alg, v, f.len, icv, data, len, out);
    cos_wipe(v, sizeof v);
    return rc;
}

int cos_key_failed(cos_ctx *x, cos_key *k)
{
    int rc = own_key(x, k, k);
    return rc < 0 ? rc : cos__key_failed(x->card, k);
}

int cos_key_succeeded(cos_ctx *x, cos_key *k)
{
    int rc = own_key(x, k, k);
    return rc < 0 ? rc : cos__key_succeeded(x->card, k);
}

int cos_cipher(cos_ctx *x, uint8_t alg, const uint8_t *key, size_t keylen, unsigned mode,
               uint8_t *iv, const uint8_t *in, uint8_t *out, size_t len)
{
    if (!x)
        return COS_ERR_PARAM;
    return cos__cipher(x->card, alg, key, keylen, mode, iv, in, out, len);
}

int cos_mac(cos_ctx *x, uint8_t alg, const uint8_t *key, size_t keylen, const uint8_t *icv,
            const uint8_t *data, size_t len, uint8_t out[16])
{
    if (!x)
        return COS_ERR_PARAM;
    return cos__mac(x->card, alg, key, keylen, icv, data, len, out);
}

int cos_sm_verify(cos_ctx *x, const cos_apdu *cmd, cos_key *k)
{
    cos_key f;
    int rc = own_key(x, k, &f);
    if (rc < 0)
        return rc;
    rc = cos__sm_verify(x->card, cmd, &f);
    *k = f;
    return rc;
}

int cos_pin_verified(cos_ctx *x, uint8_t ref)
{
    cos__pin pin;
    if (x->chan >= COS_CHANNELS || ref == 0 || ref > 31)
        return 0;
    int rc = cos__fs_find_pin(x->card, x->inst, ref, &pin);
    if (rc == COS_ERR_NOT_FOUND)
        return 0;
    if (rc < 0)
        return rc;
    return cos__sec_has(x->card, x->chan, cos__off_oid(pin.o.off)) ? 1 : 0;
}
