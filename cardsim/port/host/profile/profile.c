/*
 * obol card profiles: the loader (host side; format in docs/profiles.md).
 *
 * A profile is read whole (with its includes) into a list of directive lines, checked
 * once without touching the card (a dry run of the same code), and only then played
 * against the card: cos_format(), cos_power_on(), the MF/DF/application/file/PIN/key
 * steps in file order, cos_perso_finish(), cos_power_off(). Every error names the
 * file and line and says what was expected.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/cos.h"
#include "obol/cos_crypto.h"
#include "obol/cos_perso.h"
#include "obol/cos_profile.h"
#include "profile_internal.h"
#include "obol/obol_rom.h"
#include "pboc/pboc.h"
#include "psam/psam.h"
#include "ssc/ssc.h"
#include "transit/transit.h"

/* ---- directives -------------------------------------------------------------------------- */

static int do_masterkey(loader *L, const pline *p)
{
    const char *name = prof__arg(p, 0), *v = prof__arg(p, 1);
    mkey *m;
    size_t i;
    int rc;

    if (name == NULL || v == NULL)
        return prof__fail(L, p, COS_ERR_PARAM, "expected 'masterkey TEST-NAME HEX'");
    /* Every master key in a profile is a published test key and must say so. */
    if (strncmp(name, "TEST-", 5) != 0)
        return prof__fail(L, p, COS_ERR_PARAM, "master key names must start with TEST-, got '%s'",
                          name);
    for (i = 0; i < L->nmk; i++)
        if (strcmp(L->mk[i].name, name) == 0)
            return prof__fail(L, p, COS_ERR_PARAM, "master key '%s' defined twice", name);
    if (L->nmk == MAX_MKEYS)
        return prof__fail(L, p, COS_ERR_PARAM, "more than %d master keys", MAX_MKEYS);
    m = &L->mk[L->nmk];
    if ((rc = prof__hex(L, p, "the master key", v, m->v, sizeof m->v, &m->len)) != 0)
        return rc;
    if (m->len != 8 && m->len != 16 && m->len != 24 && m->len != 32)
        return prof__fail(L, p, COS_ERR_PARAM, "expected a key of 8, 16, 24 or 32 bytes, got %zu",
                          m->len);
    m->name = name;
    L->nmk++;
    return prof__check_used(L, p);
}

static int do_card(loader *L, const pline *p, uint64_t serial_override)
{
    unsigned long long n;
    int rc, i;

    if (L->card_line != NULL)
        return prof__fail(L, p, COS_ERR_PARAM, "a second 'card' line (the first is at %s:%d)",
                          L->card_line->file, L->card_line->line);
    L->card_line = p;
    if (serial_override != 0) {
        for (i = 0; i < 8; i++)
            L->serial[i] = (uint8_t)(serial_override >> (56 - 8 * i));
        (void)prof__get(p, "serial");
    } else if ((rc = prof__hex_exact(L, p, "serial", prof__get(p, "serial"), L->serial, 8)) != 0) {
        return rc;
    }
    if (prof__get(p, "issuer") != NULL &&
        (rc = prof__hex_exact(L, p, "issuer", prof__get(p, "issuer"), L->issuer, 8)) != 0)
        return rc;
    if ((rc = prof__opt_num(L, p, "journal", 65535, 0, &n)) != 0)
        return rc;
    L->journal = (uint16_t)n;
    if ((rc = prof__opt_num(L, p, "t0", 1, 0, &n)) != 0)
        return rc;
    L->options = n ? COS_OPT_T0 : 0;
    if (prof__get(p, "mf_name") != NULL &&
        (rc = prof__hex(L, p, "mf_name", prof__get(p, "mf_name"), L->mf_name, COS_AID_MAX,
                        &L->mf_name_len)) != 0)
        return rc;
    return prof__check_used(L, p);
}

/* Reports a card OS result: 0 passes, a status word or a fault fails naming the step. */
static int card_rc(loader *L, const pline *p, int rc, const char *what)
{
    if (rc == 0)
        return 0;
    if (rc > 0)
        return prof__fail(L, p, COS_ERR_PARAM, "%s refused with status word %04X", what,
                          (unsigned)rc);
    return prof__fail(L, p, rc, "%s failed: %s", what, cos_strerror(rc));
}

static int do_df(loader *L, const pline *p)
{
    uint8_t name[COS_AID_MAX], fci[COS_FCI_MAX], fidb[2];
    size_t namelen = 0, fcilen = 0;
    cos_df_spec spec;
    cos_oid oid = 0;
    int rc;

    if ((rc = prof__hex_exact(L, p, "fid", prof__get(p, "fid"), fidb, 2)) != 0)
        return rc;
    if (prof__get(p, "name") != NULL &&
        (rc = prof__hex(L, p, "name", prof__get(p, "name"), name, sizeof name, &namelen)) != 0)
        return rc;
    if (prof__get(p, "fci") != NULL &&
        (rc = prof__hex(L, p, "fci", prof__get(p, "fci"), fci, sizeof fci, &fcilen)))
        return rc;
    if ((rc = prof__check_used(L, p)) != 0)
        return rc;
    memset(&spec, 0, sizeof spec);
    spec.fid = (uint16_t)(fidb[0] << 8 | fidb[1]);
    spec.name = namelen ? name : NULL;
    spec.namelen = (uint8_t)namelen;
    spec.fci = fcilen ? fci : NULL;
    spec.fcilen = (uint8_t)fcilen;
    if (!L->dry && (rc = card_rc(L, p, cos_perso_df(L->card, L->mf, &spec, &oid), "DF")) != 0)
        return rc;
    L->cur = oid;
    return 0;
}

/* Install parameters a profile may name for the ROM classes (encoded as the class's TLV). */
enum { V_U8, V_U24, V_U32, V_PURSES, V_HEX };
static const struct {
    const char *cls, *name;
    uint8_t tag, kind;
} class_attrs[] = {
    {"pboc", "purses", PBOC_TAG_PURSES, V_PURSES},
    {"pboc", "overdraft", PBOC_TAG_OVERDRAFT, V_U24},
    {"pboc", "max_balance", PBOC_TAG_MAX_BALANCE, V_U32},
    {"pboc", "mac_fail_limit", PBOC_TAG_MAC_LIMIT, V_U8},
    {"pboc", "ed_balance", PBOC_TAG_ED_BALANCE, V_U32},
    {"pboc", "ep_balance", PBOC_TAG_EP_BALANCE, V_U32},
    {"pboc", "pin_ref", PBOC_TAG_PIN_REF, V_U8},
    {"pboc", "capp_max", PBOC_TAG_CAPP_MAX, V_U8},
    {"pboc", "log_records", PBOC_TAG_LOG_NREC, V_U8},
    {"psam", "ttn", PSAM_TAG_TTN, V_U32},
    /* transit and ssc carry the PBOC purse: its parameters, then their own */
    {"transit", "max_balance", PBOC_TAG_MAX_BALANCE, V_U32},
    {"transit", "mac_fail_limit", PBOC_TAG_MAC_LIMIT, V_U8},
    {"transit", "ep_balance", PBOC_TAG_EP_BALANCE, V_U32},
    {"transit", "log_records", PBOC_TAG_LOG_NREC, V_U8},
    {"transit", "operators", TRANSIT_TAG_OPERATORS, V_HEX},
    {"transit", "capp_reclen", TRANSIT_TAG_CAPP_RECLEN, V_U8},
    {"ssc", "max_balance", PBOC_TAG_MAX_BALANCE, V_U32},
    {"ssc", "mac_fail_limit", PBOC_TAG_MAC_LIMIT, V_U8},
    {"ssc", "ep_balance", PBOC_TAG_EP_BALANCE, V_U32},
    {"ssc", "log_records", PBOC_TAG_LOG_NREC, V_U8},
    {"ssc", "visit_records", SSC_TAG_VISIT_NREC, V_U8},
    {"ssc", "rx_records", SSC_TAG_RX_NREC, V_U8},
    {"ssc", "debit_pin", SSC_TAG_DEBIT_PIN, V_U8},
};

static int class_params(loader *L, const pline *p, const char *cls, uint8_t *out, size_t *len)
{
    static const unsigned bytes[] = {1, 3, 4, 1, 0};
    size_t i, n = 0;
    int rc;

    for (i = 0; i < sizeof class_attrs / sizeof class_attrs[0]; i++) {
        const char *v;
        unsigned long long x = 0;
        unsigned b, k;
        if (strcmp(class_attrs[i].cls, cls) != 0 || (v = prof__get(p, class_attrs[i].name)) == NULL)
            continue;
        b = bytes[class_attrs[i].kind];
        if (class_attrs[i].kind == V_HEX) {
            /* A byte string (hex, placeholders allowed) the class checks itself. */
            size_t hl, room = MAX_PARAMS - n < 257 ? MAX_PARAMS - n : 257;
            if (room < 2)
                return prof__fail(L, p, COS_ERR_PARAM, "install parameters longer than %d bytes",
                                  MAX_PARAMS);
            if ((rc = prof__hex(L, p, class_attrs[i].name, v, out + n + 2, room - 2, &hl)) != 0)
                return rc;
            out[n] = class_attrs[i].tag;
            out[n + 1] = (uint8_t)hl;
            n += 2 + hl;
            continue;
        }
        if (class_attrs[i].kind == V_PURSES) {
            if (strcmp(v, "ed") == 0)
                x = PBOC_PURSE_ED;
            else if (strcmp(v, "ep") == 0)
                x = PBOC_PURSE_EP;
            else if (strcmp(v, "ed,ep") == 0 || strcmp(v, "ep,ed") == 0)
                x = PBOC_PURSE_ED | PBOC_PURSE_EP;
            else
                return prof__fail(L, p, COS_ERR_PARAM, "expected purses=ed, ep or ed,ep, got '%s'",
                                  v);
        } else if ((rc = prof__num(L, p, class_attrs[i].name, v, (1ull << (8 * b)) - 1, &x)) != 0) {
            return rc;
        }
        if (n + 2 + b > MAX_PARAMS)
            return prof__fail(L, p, COS_ERR_PARAM, "install parameters longer than %d bytes",
                              MAX_PARAMS);
        out[n++] = class_attrs[i].tag;
        out[n++] = (uint8_t)b;
        for (k = 0; k < b; k++)
            out[n++] = (uint8_t)(x >> (8 * (b - 1 - k)));
    }
    *len = n;
    return 0;
}

static int do_app(loader *L, const pline *p)
{
    uint8_t aid[COS_AID_MAX], fci[COS_FCI_MAX], fidb[2] = {0, 0}, params[MAX_PARAMS], priv[3];
    size_t aidlen, fcilen = 0, plen = 0, raw = 0;
    const char *clsname = prof__get(p, "class");
    const cos_applet_class *cls;
    cos_inst_spec spec;
    cos_oid oid = 0;
    int rc;

    if (clsname == NULL)
        return prof__fail(L, p, COS_ERR_PARAM, "expected class=NAME on 'app'");
    cls = obol_rom_find_name(clsname);
    if (cls == NULL)
        return prof__fail(L, p, COS_ERR_PARAM, "unknown applet class '%s' (not in obol_rom.h)",
                          clsname);
    if ((rc = prof__hex(L, p, "aid", prof__get(p, "aid"), aid, sizeof aid, &aidlen)) != 0)
        return rc;
    if (aidlen < 5)
        return prof__fail(L, p, COS_ERR_PARAM, "expected an AID of 5 to 16 bytes");
    if (prof__get(p, "fid") != NULL &&
        (rc = prof__hex_exact(L, p, "fid", prof__get(p, "fid"), fidb, 2)) != 0)
        return rc;
    if (prof__get(p, "fci") != NULL &&
        (rc = prof__hex(L, p, "fci", prof__get(p, "fci"), fci, sizeof fci, &fcilen)))
        return rc;
    memset(priv, 0, sizeof priv);
    if (prof__get(p, "priv") != NULL &&
        (rc = prof__hex_exact(L, p, "priv", prof__get(p, "priv"), priv, 3)) != 0)
        return rc;
    if ((rc = class_params(L, p, clsname, params, &plen)) != 0)
        return rc;
    if (prof__get(p, "params") != NULL &&
        (rc = prof__hex(L, p, "params", prof__get(p, "params"), params + plen, sizeof params - plen,
                        &raw)))
        return rc;
    plen += raw;
    if ((rc = prof__check_used(L, p)) != 0)
        return rc;
    memset(&spec, 0, sizeof spec);
    spec.df.fid = (uint16_t)(fidb[0] << 8 | fidb[1]);
    spec.df.name = aid;
    spec.df.namelen = (uint8_t)aidlen;
    spec.df.fci = fcilen ? fci : NULL;
    spec.df.fcilen = (uint8_t)fcilen;
    spec.class_id = cls->id;
    spec.params = plen ? params : NULL;
    spec.plen = (uint16_t)plen;
    memcpy(spec.priv, priv, 3);
    if (!L->dry &&
        (rc = card_rc(L, p, cos_inst_create(L->card, L->mf, &spec, &oid), "installing the app")))
        return rc;
    L->cur = oid;
    return 0;
}

static int do_ef(loader *L, const pline *p)
{
    uint8_t data[MAX_DATA];
    const char *type = prof__get(p, "type"), *recs;
    uint8_t fidb[2];
    unsigned long long sfi = 0, size = 0, reclen = 0, nrec = 0, blank = 0;
    size_t dlen = 0;
    cos_ef_spec spec;
    cos_oid oid;
    int rc;

    memset(&spec, 0, sizeof spec);
    if ((rc = prof__hex_exact(L, p, "fid", prof__get(p, "fid"), fidb, 2)) != 0)
        return rc;
    spec.fid = (uint16_t)(fidb[0] << 8 | fidb[1]);
    if (prof__get(p, "sfi") != NULL) {
        uint8_t b;
        if ((rc = prof__hex_exact(L, p, "sfi (hex)", prof__get(p, "sfi"), &b, 1)) != 0)
            return rc;
        if (b < 1 || b > 30)
            return prof__fail(L, p, COS_ERR_PARAM, "expected an sfi from 01 to 1E");
        sfi = b;
    }
    spec.sfi = (uint8_t)sfi;
    if (type == NULL)
        return prof__fail(L, p, COS_ERR_PARAM, "expected type=transparent, linear or cyclic");
    if (strcmp(type, "transparent") == 0)
        spec.type = COS_EF_TRANSPARENT;
    else if (strcmp(type, "linear") == 0)
        spec.type = COS_EF_LINEAR;
    else if (strcmp(type, "cyclic") == 0)
        spec.type = COS_EF_CYCLIC;
    else
        return prof__fail(L, p, COS_ERR_PARAM,
                          "expected type=transparent, linear or cyclic, got '%s'", type);
    if ((rc = prof__acond(L, p, "read", COS_AC_ALWAYS, &spec.ac_read)) != 0 ||
        (rc = prof__acond(L, p, "write", COS_AC_NEVER, &spec.ac_write)) != 0)
        return rc;
    if (spec.type == COS_EF_TRANSPARENT) {
        if (prof__get(p, "data") != NULL &&
            (rc = prof__hex(L, p, "data", prof__get(p, "data"), data, sizeof data, &dlen)) != 0)
            return rc;
        if ((rc = prof__opt_num(L, p, "size", 65535, dlen, &size)) != 0)
            return rc;
        if (size == 0 || dlen > size)
            return prof__fail(L, p, COS_ERR_PARAM, "expected size >= 1 and >= the data (%zu bytes)",
                              dlen);
        spec.size = (uint16_t)size;
    } else {
        if ((rc = prof__num(L, p, "reclen", prof__get(p, "reclen"), 255, &reclen)) != 0 ||
            (rc = prof__num(L, p, "nrec", prof__get(p, "nrec"), 254, &nrec)) != 0)
            return rc;
        if (reclen == 0 || nrec == 0)
            return prof__fail(L, p, COS_ERR_PARAM, "expected reclen and nrec of at least 1");
        spec.reclen = (uint8_t)reclen;
        spec.nrec = (uint8_t)nrec;
        /* records=R1,R2,... each exactly reclen bytes, appended in order */
        if ((recs = prof__get(p, "records")) != NULL) {
            char tmp[1024];
            const char *s = recs;
            while (*s != '\0') {
                const char *c = strchr(s, ',');
                size_t l = c ? (size_t)(c - s) : strlen(s), got;
                if (l >= sizeof tmp)
                    return prof__fail(L, p, COS_ERR_PARAM, "a record is too long");
                memcpy(tmp, s, l);
                tmp[l] = '\0';
                if ((rc = prof__hex(L, p, "a record", tmp, data + dlen, sizeof data - dlen,
                                    &got)) != 0)
                    return rc;
                if (got != reclen)
                    return prof__fail(L, p, COS_ERR_PARAM,
                                      "expected records of %llu bytes, got %zu", reclen, got);
                dlen += got;
                if (dlen / reclen > nrec)
                    return prof__fail(L, p, COS_ERR_PARAM, "more records than nrec=%llu", nrec);
                s = c ? c + 1 : s + l;
            }
        }
        /* blank=N appends N records of zeros (records a CAPP update rewrites later) */
        if ((rc = prof__opt_num(L, p, "blank", 254, 0, &blank)) != 0)
            return rc;
        if (dlen / reclen + blank > nrec)
            return prof__fail(L, p, COS_ERR_PARAM, "more records than nrec=%llu", nrec);
        if (dlen + blank * reclen > sizeof data)
            return prof__fail(L, p, COS_ERR_PARAM, "initial records longer than %zu bytes",
                              sizeof data);
        memset(data + dlen, 0, (size_t)(blank * reclen));
        dlen += (size_t)(blank * reclen);
    }
    spec.init = dlen ? data : NULL;
    spec.init_len = (uint16_t)dlen;
    if ((rc = prof__check_used(L, p)) != 0)
        return rc;
    if (L->dry)
        return 0;
    return card_rc(L, p, cos_perso_ef(L->card, L->cur, &spec, &oid), "creating the EF");
}

static int do_pin(loader *L, const pline *p)
{
    uint8_t v[COS_PIN_MAX];
    size_t len;
    unsigned long long ref, maxlen, tries, puk;
    cos_oid oid;
    int rc;

    if ((rc = prof__num(L, p, "ref", prof__get(p, "ref"), 31, &ref)) != 0)
        return rc;
    if (ref == 0)
        return prof__fail(L, p, COS_ERR_PARAM, "expected ref from 1 to 31");
    if ((rc = prof__hex(L, p, "value", prof__get(p, "value"), v, sizeof v, &len)) != 0)
        return rc;
    if (len == 0)
        return prof__fail(L, p, COS_ERR_PARAM, "expected a PIN value of 1 to %d bytes",
                          COS_PIN_MAX);
    if ((rc = prof__opt_num(L, p, "max", COS_PIN_MAX, len, &maxlen)) != 0 ||
        (rc = prof__opt_num(L, p, "tries", 15, 3, &tries)) != 0 ||
        (rc = prof__opt_num(L, p, "puk", 31, 0, &puk)) != 0)
        return rc;
    if (maxlen < len)
        return prof__fail(L, p, COS_ERR_PARAM, "expected max >= the PIN length %zu", len);
    if ((rc = prof__check_used(L, p)) != 0)
        return rc;
    if (L->dry)
        return 0;
    rc = cos_perso_pin(L->card, L->cur, (uint8_t)ref, v, (uint8_t)len, (uint8_t)maxlen,
                       (uint8_t)tries, (uint8_t)puk, &oid);
    return card_rc(L, p, rc, "creating the PIN");
}

static const struct {
    const char *name;
    uint8_t usage;
} usages[] = {
    {"any", COS_KEY_ANY},
    {"ext_auth", COS_KEY_EXT_AUTH},
    {"int_auth", COS_KEY_INT_AUTH},
    {"sm_mac", COS_KEY_SM_MAC},
    {"app_maint", COS_KEY_APP_MAINT},
    {"gp", COS_KEY_GP},
    {"purchase", PBOC_KEY_PURCHASE},
    {"load", PBOC_KEY_LOAD},
    {"tac", PBOC_KEY_TAC},
    {"psam_purchase1", PSAM_KEY_PURCHASE1},
    {"psam_purchase2", PSAM_KEY_PURCHASE2},
    {"psam_tac1", PSAM_KEY_TAC1},
    {"psam_tac2", PSAM_KEY_TAC2},
    {"ssc_role", SSC_KEY_ROLE},
};

static int do_key(loader *L, const pline *p)
{
    const char *u = prof__get(p, "usage"), *alg = prof__get(p, "alg"),
               *master = prof__get(p, "master");
    const char *disp = prof__get(p, "disperse");
    uint8_t v[COS_KEY_MAX], k1[16];
    size_t len = 0, i;
    unsigned long long usage = 256, kid, kver, tries;
    cos_key_spec spec;
    cos_oid oid;
    int rc;

    if (u == NULL)
        return prof__fail(L, p, COS_ERR_PARAM, "expected usage=NAME or a number on 'key'");
    for (i = 0; i < sizeof usages / sizeof usages[0]; i++)
        if (strcmp(usages[i].name, u) == 0)
            usage = usages[i].usage;
    if (usage == 256 && (rc = prof__num(L, p, "usage", u, 255, &usage)) != 0)
        return rc;
    if ((rc = prof__opt_num(L, p, "index", 255, 1, &kid)) != 0 ||
        (rc = prof__opt_num(L, p, "version", 255, 1, &kver)) != 0 ||
        (rc = prof__opt_num(L, p, "tries", 255, 0, &tries)) != 0)
        return rc;
    memset(&spec, 0, sizeof spec);
    spec.alg = COS_ALG_DES;
    if (alg != NULL) {
        if (strcmp(alg, "des") == 0 || strcmp(alg, "3des") == 0)
            spec.alg = COS_ALG_DES;
        else if (strcmp(alg, "aes") == 0)
            spec.alg = COS_ALG_AES;
        else if (strcmp(alg, "sm4") == 0)
            spec.alg = COS_ALG_SM4;
        else
            return prof__fail(L, p, COS_ERR_PARAM, "expected alg=des, aes or sm4, got '%s'", alg);
    }
    if ((master != NULL) == (prof__get(p, "value") != NULL))
        return prof__fail(L, p, COS_ERR_PARAM,
                          "expected exactly one of value=HEX and master=TEST-NAME");
    if (master != NULL) {
        const mkey *m = NULL;
        for (i = 0; i < L->nmk; i++)
            if (strcmp(L->mk[i].name, master) == 0)
                m = &L->mk[i];
        if (m == NULL)
            return prof__fail(L, p, COS_ERR_PARAM,
                              "unknown master key '%s' (expected a masterkey line)", master);
        if (disp == NULL || strcmp(disp, "serial") == 0 || strcmp(disp, "issuer,serial") == 0) {
            /* PBOC dispersion: Div(MK, F) = 3DES(MK, F) || 3DES(MK, NOT F); two levels
             * disperse by the issuer code first (the project's pinned choice). */
            if (m->len != 16 || spec.alg != COS_ALG_DES)
                return prof__fail(L, p, COS_ERR_PARAM,
                                  "dispersion needs a 16-byte 3DES master key");
            if (disp != NULL && strcmp(disp, "issuer,serial") == 0) {
                cos_pboc_disperse(m->v, L->issuer, k1);
                cos_pboc_disperse(k1, L->serial, v);
                cos_wipe(k1, sizeof k1);
            } else {
                cos_pboc_disperse(m->v, L->serial, v);
            }
            len = 16;
        } else if (strcmp(disp, "none") == 0) {
            memcpy(v, m->v, m->len);
            len = m->len;
        } else {
            return prof__fail(L, p, COS_ERR_PARAM,
                              "expected disperse=serial, issuer,serial or none, got '%s'", disp);
        }
    } else if ((rc = prof__hex(L, p, "value", prof__get(p, "value"), v, sizeof v, &len)) != 0) {
        return rc;
    }
    if ((rc = prof__check_used(L, p)) != 0)
        goto out;
    spec.usage = (uint8_t)usage;
    spec.kid = (uint8_t)kid;
    spec.kver = (uint8_t)kver;
    spec.len = (uint8_t)len;
    spec.err_max = (uint8_t)tries;
    spec.value = v;
    if (!L->dry)
        rc = card_rc(L, p, cos_perso_key(L->card, L->cur, &spec, &oid), "creating the key");
out:
    cos_wipe(v, sizeof v);
    return rc;
}

/* Plays the directives (other than card and masterkey) in order. */
static int play(loader *L)
{
    size_t i;
    int rc = 0;

    L->cur = L->mf;
    for (i = 0; rc == 0 && i < L->n; i++) {
        const pline *p = &L->lines[i];
        if (strcmp(p->dir, "card") == 0 || strcmp(p->dir, "masterkey") == 0)
            continue;
        if (strcmp(p->dir, "mf") == 0) {
            L->cur = L->mf;
            rc = prof__check_used(L, p);
        } else if (strcmp(p->dir, "df") == 0) {
            rc = do_df(L, p);
        } else if (strcmp(p->dir, "app") == 0) {
            rc = do_app(L, p);
        } else if (strcmp(p->dir, "ef") == 0) {
            rc = do_ef(L, p);
        } else if (strcmp(p->dir, "pin") == 0) {
            rc = do_pin(L, p);
        } else if (strcmp(p->dir, "key") == 0) {
            rc = do_key(L, p);
        } else {
            rc = prof__fail(
                L, p, COS_ERR_PARAM,
                "unknown directive '%s' (expected include, masterkey, card, mf, df, app, "
                "ef, pin or key)",
                p->dir);
        }
    }
    return rc;
}

static void reset_used(loader *L)
{
    size_t i;
    int k;

    for (i = 0; i < L->n; i++)
        for (k = 0; k < L->lines[i].nattr; k++)
            L->lines[i].attrs[k].used = 0;
}

int cos_profile_apply(cos_card *card, const char *name_or_path, uint64_t serial_override_or_0,
                      char *err, size_t errlen)
{
    loader L;
    char *path = NULL;
    uint8_t atr[64];
    size_t atrlen, i;
    cos_format_params fp;
    int rc;

    memset(&L, 0, sizeof L);
    L.err = err;
    L.errlen = errlen;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (card == NULL || name_or_path == NULL || *name_or_path == '\0')
        return prof__fail(&L, NULL, COS_ERR_PARAM, "no card or no profile name");
    if (strchr(name_or_path, '/') == NULL && strstr(name_or_path, ".profile") == NULL) {
        const char *dir = getenv("OBOL_PROFILE_DIR");
        size_t need;
        if (dir == NULL || *dir == '\0')
            dir = OBOL_PROFILE_DIR_DEFAULT;
        need = strlen(dir) + strlen(name_or_path) + 16;
        path = malloc(need);
        if (path == NULL)
            return prof__fail(&L, NULL, COS_ERR_NO_SPACE, "out of memory");
        snprintf(path, need, "%s/%s.profile", dir, name_or_path);
    }
    rc = prof__read_file(&L, path ? path : name_or_path, 0, NULL);
    free(path);
    if (rc != 0)
        goto out;
    /* Pass 0: master keys and the card line, wherever they are. */
    for (i = 0; rc == 0 && i < L.n; i++) {
        if (strcmp(L.lines[i].dir, "masterkey") == 0)
            rc = do_masterkey(&L, &L.lines[i]);
        else if (strcmp(L.lines[i].dir, "card") == 0)
            rc = do_card(&L, &L.lines[i], serial_override_or_0);
    }
    if (rc != 0)
        goto out;
    if (L.card_line == NULL) {
        rc = prof__fail(&L, NULL, COS_ERR_PARAM, "%s: expected a 'card serial=...' line",
                        name_or_path);
        goto out;
    }
    /* Pass 1: the whole profile checked without the card. */
    L.dry = 1;
    if ((rc = play(&L)) != 0)
        goto out;
    reset_used(&L);
    /* Pass 2: the card. */
    L.dry = 0;
    L.card = card;
    memset(&fp, 0, sizeof fp);
    fp.journal_size = L.journal;
    fp.options = L.options;
    fp.mf_name = L.mf_name_len ? L.mf_name : NULL;
    fp.mf_name_len = (uint8_t)L.mf_name_len;
    if ((rc = card_rc(&L, L.card_line, cos_format(card, &fp), "formatting the card")) != 0)
        goto out;
    rc = cos_power_on(card, COS_IF_CONTACT, 0, atr, sizeof atr, &atrlen);
    if ((rc = card_rc(&L, L.card_line, rc, "powering the card on")) != 0)
        goto out;
    L.mf = cos_perso_mf(card);
    if ((rc = play(&L)) == 0)
        rc = card_rc(&L, L.card_line, cos_perso_finish(card), "finishing personalization");
    cos_power_off(card);
out:
    prof__loader_free(&L);
    return rc;
}
