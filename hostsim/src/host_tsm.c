/*
 * obol host platform: the TSM (host_tsm.h) — OTA campaigns, per-card scripts built
 * with host_gp, and delivery sessions with exactly-once application: GET STATUS
 * before every send, the attempt recorded before the first command leaves.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "host_db_internal.h"
#include "obol/host_gp.h"
#include "obol/host_issue.h"
#include "obol/host_proto.h"
#include "obol/host_tsm.h"

enum { APDU_MAX = 300, SCRIPT_MAX = 4096, DEFAULT_ATTEMPTS = 3 };

/* The issuer security domain (GP CS 2.3; PROTOCOLS.md). */
static const uint8_t ISD_AID[8] = {0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00};

static const char SQL_CAMPAIGN_ADD[] =
    "INSERT INTO tsm_campaign(name, op, app_aid, elf_aid, module_aid, privileges, params, kvn, "
    "level, max_attempts, created) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char SQL_CAMPAIGN_GET[] =
    "SELECT op, app_aid, elf_aid, module_aid, privileges, params FROM tsm_campaign WHERE id = ?1";
static const char SQL_DELIVERY_ADD[] =
    "INSERT INTO tsm_delivery(campaign, serial, state, script, updated) VALUES(?1, ?2, 0, ?3, ?4)";
static const char SQL_DELIVERY_GET[] =
    "SELECT state, attempts, sessions, how, last_reason, last_sw FROM tsm_delivery "
    "WHERE campaign = ?1 AND serial = ?2";
static const char SQL_COUNTS[] =
    "SELECT state, count(*) FROM tsm_delivery WHERE campaign = ?1 GROUP BY state";
static const char SQL_PENDING[] =
    "SELECT d.campaign, c.op, c.app_aid, d.script, d.attempts, c.max_attempts, c.kvn, c.level "
    "FROM tsm_delivery d JOIN tsm_campaign c ON c.id = d.campaign "
    "WHERE d.serial = ?1 AND d.state IN (0, 1) ORDER BY d.campaign";
static const char SQL_SESSIONS[] =
    "UPDATE tsm_delivery SET sessions = sessions + 1 WHERE serial = ?1 AND campaign = ?2";
static const char SQL_NEXT_ID[] =
    "INSERT INTO meta(key, value) VALUES('tsm_session', 1) "
    "ON CONFLICT(key) DO UPDATE SET value = value + 1 RETURNING value";
static const char SQL_UPDATE[] =
    "UPDATE tsm_delivery SET state = ?3, attempts = attempts + ?4, how = ?5, last_reason = ?6, "
    "last_sw = ?7, updated = ?8 WHERE campaign = ?1 AND serial = ?2";

/* ---- campaigns and targeting ----------------------------------------------------- */

static void bind_opt(sqlite3_stmt *st, int i, const uint8_t *p, size_t n)
{
    if (p != NULL && n > 0)
        sqlite3_bind_blob(st, i, p, (int)n, SQLITE_TRANSIENT);
}

int host_tsm_campaign_create(host_db *db, const host_tsm_campaign *c, int64_t *id)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL || c == NULL || c->name == NULL || c->op < HOST_TSM_INSTALL ||
        c->op > HOST_TSM_UNLOCK || c->app_aid == NULL || c->app_aid_len < 5 || c->app_aid_len > 16)
        return HOST_ERR_ARG;
    if (c->op == HOST_TSM_INSTALL && (c->elf_aid == NULL || c->elf_aid_len == 0 ||
                                      c->module_aid == NULL || c->module_aid_len == 0))
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_CAMPAIGN_ADD, &st)) != 0)
        return rc;
    sqlite3_bind_text(st, 1, c->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, c->op);
    sqlite3_bind_blob(st, 3, c->app_aid, (int)c->app_aid_len, SQLITE_TRANSIENT);
    bind_opt(st, 4, c->elf_aid, c->elf_aid_len);
    bind_opt(st, 5, c->module_aid, c->module_aid_len);
    bind_opt(st, 6, c->privileges, c->privileges_len);
    bind_opt(st, 7, c->params, c->params_len);
    sqlite3_bind_int(st, 8, c->kvn);
    sqlite3_bind_int(st, 9, c->level != 0 ? c->level : HOST_GP_LEVEL_CMAC);
    sqlite3_bind_int(st, 10, c->max_attempts > 0 ? c->max_attempts : DEFAULT_ATTEMPTS);
    sqlite3_bind_int64(st, 11, host__db_now(db));
    if ((rc = host__db_run(db, st)) != 0)
        return rc;
    if (id != NULL)
        *id = sqlite3_last_insert_rowid(db->sql);
    return 0;
}

/* Appends one APDU to a script: length (2) then the bytes. */
static int script_add(uint8_t *script, size_t *len, const uint8_t *apdu, size_t n)
{
    if (*len + 2 + n > SCRIPT_MAX)
        return HOST_ERR_NOSPACE;
    script[*len] = (uint8_t)(n >> 8);
    script[*len + 1] = (uint8_t)n;
    memcpy(script + *len + 2, apdu, n);
    *len += 2 + n;
    return 0;
}

/* The campaign's script (read from the current row of ST) for one card. The
 * operations here are one command each; the format carries any number. */
static int build_script(sqlite3_stmt *st, uint8_t *script, size_t *len)
{
    static const uint8_t no_priv[1] = {0x00};
    static const uint8_t no_params[2] = {0xC9, 0x00};
    const uint8_t *app = sqlite3_column_blob(st, 1);
    size_t app_len = (size_t)sqlite3_column_bytes(st, 1);
    uint8_t apdu[APDU_MAX];
    host_gp_install in;
    size_t n;
    int rc;

    *len = 0;
    switch (sqlite3_column_int(st, 0)) {
    case HOST_TSM_INSTALL:
        memset(&in, 0, sizeof in);
        in.p1 = HOST_GP_INSTALL_INSTALL | HOST_GP_INSTALL_SELECTABLE;
        in.elf_aid = sqlite3_column_blob(st, 2);
        in.elf_aid_len = (size_t)sqlite3_column_bytes(st, 2);
        in.module_aid = sqlite3_column_blob(st, 3);
        in.module_aid_len = (size_t)sqlite3_column_bytes(st, 3);
        in.app_aid = app;
        in.app_aid_len = app_len;
        in.privileges = sqlite3_column_bytes(st, 4) > 0 ? sqlite3_column_blob(st, 4) : no_priv;
        in.privileges_len =
            sqlite3_column_bytes(st, 4) > 0 ? (size_t)sqlite3_column_bytes(st, 4) : sizeof no_priv;
        in.params = sqlite3_column_bytes(st, 5) > 0 ? sqlite3_column_blob(st, 5) : no_params;
        in.params_len = sqlite3_column_bytes(st, 5) > 0 ? (size_t)sqlite3_column_bytes(st, 5)
                                                        : sizeof no_params;
        rc = host_gp_install_cmd(&in, apdu, sizeof apdu, &n);
        break;
    case HOST_TSM_DELETE:
        rc = host_gp_delete_cmd(app, app_len, 0, apdu, sizeof apdu, &n);
        break;
    case HOST_TSM_LOCK:
        /* SET STATUS of an application: P2 with b8 set locks it (GP CS 2.3 11.10). */
        rc = host_gp_set_status_cmd(0x40, 0x80, app, app_len, apdu, sizeof apdu, &n);
        break;
    case HOST_TSM_UNLOCK:
        rc = host_gp_set_status_cmd(0x40, 0x00, app, app_len, apdu, sizeof apdu, &n);
        break;
    default:
        rc = HOST_ERR_ARG;
        break;
    }
    if (rc != 0)
        return rc;
    return script_add(script, len, apdu, n);
}

int host_tsm_target(host_db *db, int64_t campaign, const uint64_t *serials, size_t n)
{
    uint8_t script[SCRIPT_MAX];
    sqlite3_stmt *camp, *st;
    size_t i, len;
    int rc;

    if (db == NULL || (n > 0 && serials == NULL))
        return HOST_ERR_ARG;
    if ((rc = host__db_begin(db)) != 0)
        return rc;
    for (i = 0; i < n; i++) {
        if ((rc = host__db_stmt(db, SQL_CAMPAIGN_GET, &camp)) != 0)
            goto fail;
        sqlite3_bind_int64(camp, 1, campaign);
        if ((rc = host__db_step(db, camp)) != 1) {
            rc = rc == 0 ? HOST_ERR_NOTFOUND : rc;
            goto fail;
        }
        rc = build_script(camp, script, &len);
        sqlite3_reset(camp);
        if (rc != 0)
            goto fail;
        if ((rc = host__db_stmt(db, SQL_DELIVERY_ADD, &st)) != 0)
            goto fail;
        sqlite3_bind_int64(st, 1, campaign);
        sqlite3_bind_int64(st, 2, host__i64(serials[i]));
        sqlite3_bind_blob(st, 3, script, (int)len, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, host__db_now(db));
        if ((rc = host__db_run(db, st)) != 0)
            goto fail;
    }
    return host__db_commit(db);
fail:
    host__db_rollback(db);
    return rc;
}

int host_tsm_delivery_get(host_db *db, int64_t campaign, uint64_t serial, host_tsm_delivery *out)
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL || out == NULL)
        return HOST_ERR_ARG;
    if ((rc = host__db_stmt(db, SQL_DELIVERY_GET, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, campaign);
    sqlite3_bind_int64(st, 2, host__i64(serial));
    rc = host__db_step(db, st);
    if (rc <= 0)
        return rc == 0 ? HOST_ERR_NOTFOUND : rc;
    memset(out, 0, sizeof *out);
    out->campaign = campaign;
    out->serial = serial;
    out->state = sqlite3_column_int(st, 0);
    out->attempts = sqlite3_column_int(st, 1);
    out->sessions = sqlite3_column_int(st, 2);
    out->how = sqlite3_column_int(st, 3);
    out->last_reason = sqlite3_column_int(st, 4);
    out->last_sw = (uint16_t)sqlite3_column_int(st, 5);
    sqlite3_reset(st);
    return 0;
}

int host_tsm_campaign_counts(host_db *db, int64_t campaign, int64_t counts[4])
{
    sqlite3_stmt *st;
    int rc;

    if (db == NULL || counts == NULL)
        return HOST_ERR_ARG;
    memset(counts, 0, 4 * sizeof counts[0]);
    if ((rc = host__db_stmt(db, SQL_COUNTS, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, campaign);
    while ((rc = host__db_step(db, st)) == 1) {
        int s = sqlite3_column_int(st, 0);
        if (s >= 0 && s < 4)
            counts[s] = sqlite3_column_int64(st, 1);
    }
    return rc;
}

/* ---- sessions -------------------------------------------------------------------- */

typedef struct delivery {
    int64_t campaign;
    int op;
    uint8_t aid[16];
    size_t aid_len;
    uint8_t script[SCRIPT_MAX];
    size_t script_len;
    int attempts;
    int max_attempts;
} delivery;

enum { PH_SELECT, PH_INIT, PH_AUTH, PH_CHECK, PH_SCRIPT, PH_OVER };

struct host_tsm_session {
    host_db *db;
    uint64_t serial;
    uint32_t id;
    uint16_t step;
    int phase;
    int status; /* HOST_OTA_SEND, DONE, ABORTED */
    int reason;
    uint8_t level;
    host_gp_session gp;
    delivery *d;
    size_t nd;
    size_t cur;           /* the delivery being handled */
    size_t script_off;    /* next command's offset in its script */
    uint8_t challenge[8]; /* SCP host challenge for INITIALIZE UPDATE */
    uint8_t pending[APDU_MAX];
    size_t pending_len;
    int awaiting; /* a command was handed out and its result not yet given */
};

static int update(host_tsm_session *s, int state, int attempts_add, int how, int reason,
                  uint16_t sw)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = host__db_stmt(s->db, SQL_UPDATE, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, s->d[s->cur].campaign);
    sqlite3_bind_int64(st, 2, host__i64(s->serial));
    sqlite3_bind_int(st, 3, state);
    sqlite3_bind_int(st, 4, attempts_add);
    sqlite3_bind_int(st, 5, how);
    sqlite3_bind_int(st, 6, reason);
    sqlite3_bind_int(st, 7, sw);
    sqlite3_bind_int64(st, 8, host__db_now(s->db));
    return host__db_run(s->db, st);
}

static void over(host_tsm_session *s, int status, int reason)
{
    s->phase = PH_OVER;
    s->status = status;
    s->reason = reason;
    s->pending_len = 0;
}

/* Wraps the plain command IN as the next pending APDU. */
static int pend_wrapped(host_tsm_session *s, const uint8_t *in, size_t n)
{
    return host_gp_wrap(&s->gp, in, n, s->pending, sizeof s->pending, &s->pending_len);
}

/* Starts on delivery I: the GET STATUS check (or the end of the session). */
static int start_delivery(host_tsm_session *s, size_t i)
{
    delivery *d;
    uint8_t cmd[APDU_MAX];
    size_t n;
    int rc;

    s->cur = i;
    if (i >= s->nd) {
        over(s, HOST_OTA_DONE, HOST_REASON_OK);
        return 0;
    }
    d = &s->d[i];
    if ((rc = host_gp_get_status_cmd(0x40, 0, d->aid, d->aid_len, cmd, sizeof cmd, &n)) != 0)
        return rc;
    s->phase = PH_CHECK;
    return pend_wrapped(s, cmd, n);
}

/* Sends the script's command at script_off. */
static int send_command(host_tsm_session *s)
{
    delivery *d = &s->d[s->cur];
    size_t n = (size_t)(d->script[s->script_off] << 8 | d->script[s->script_off + 1]);
    int rc = pend_wrapped(s, d->script + s->script_off + 2, n);

    s->script_off += 2 + n;
    s->phase = PH_SCRIPT;
    return rc;
}

/* BER-TLV length at P (1 or 2+ bytes); returns the header size or 0 if malformed. */
static size_t ber_len(const uint8_t *p, size_t avail, size_t *len)
{
    if (avail < 1)
        return 0;
    if (p[0] < 0x80) {
        *len = p[0];
        return 1;
    }
    if (p[0] == 0x81 && avail >= 2) {
        *len = p[1];
        return 2;
    }
    if (p[0] == 0x82 && avail >= 3) {
        *len = (size_t)(p[1] << 8 | p[2]);
        return 3;
    }
    return 0;
}

/* Finds AID in GET STATUS response format 2 (E3 templates with 4F and 9F70): 1 with
 * *LCS set, 0 when absent, -1 when malformed. */
static int status_find(const uint8_t *p, size_t n, const uint8_t *aid, size_t aid_len, uint8_t *lcs)
{
    size_t off = 0;

    while (off < n) {
        size_t len, h, end, q;
        const uint8_t *aid_at = NULL;
        size_t aid_at_len = 0;
        int have_lcs = 0;
        uint8_t l = 0;
        if (p[off] != 0xE3 || (h = ber_len(p + off + 1, n - off - 1, &len)) == 0 ||
            len > n - off - 1 - h)
            return -1;
        q = off + 1 + h;
        end = q + len;
        while (q < end) {
            size_t tl = p[q] == 0x9F ? 2 : 1, vl, hh;
            if (q + tl > end || (hh = ber_len(p + q + tl, end - q - tl, &vl)) == 0 ||
                vl > end - q - tl - hh)
                return -1;
            if (tl == 1 && p[q] == 0x4F) {
                aid_at = p + q + tl + hh;
                aid_at_len = vl;
            } else if (tl == 2 && p[q + 1] == 0x70 && vl == 1) {
                l = p[q + tl + hh];
                have_lcs = 1;
            }
            q += tl + hh + vl;
        }
        if (aid_at != NULL && aid_at_len == aid_len && memcmp(aid_at, aid, aid_len) == 0) {
            *lcs = have_lcs ? l : 0;
            return 1;
        }
        off = end;
    }
    return 0;
}

/* Whether delivery D's result is on the card, given the GET STATUS answer. */
static int already_applied(const delivery *d, int present, uint8_t lcs)
{
    switch (d->op) {
    case HOST_TSM_INSTALL:
        return present;
    case HOST_TSM_DELETE:
        return !present;
    case HOST_TSM_LOCK:
        return present && (lcs & 0x80) != 0;
    case HOST_TSM_UNLOCK:
        return present && (lcs & 0x80) == 0;
    default:
        return 0;
    }
}

/* The GET STATUS answer for the current delivery (PLAIN is data || SW). */
static int on_check(host_tsm_session *s, const uint8_t *plain, size_t n)
{
    delivery *d = &s->d[s->cur];
    uint16_t sw = (uint16_t)(plain[n - 2] << 8 | plain[n - 1]);
    uint8_t lcs = 0;
    int present, rc;

    if (sw == 0x6A88)
        present = 0;
    else if (sw == 0x9000 || sw == 0x6310)
        present = status_find(plain, n - 2, d->aid, d->aid_len, &lcs);
    else
        present = -1;
    if (present < 0) {
        over(s, HOST_OTA_ABORTED, HOST_REASON_CARD_ERROR);
        return 0;
    }
    if (already_applied(d, present, lcs)) {
        /* Applied in an earlier session whose acknowledgement never came back: the
         * card's own state is the proof. Not sent again. */
        if ((rc = update(s, HOST_TSM_APPLIED, 0, HOST_TSM_BY_STATUS, HOST_REASON_OK, 0)) != 0)
            return rc;
        return start_delivery(s, s->cur + 1);
    }
    if (d->attempts >= d->max_attempts) {
        if ((rc = update(s, HOST_TSM_FAILED, 0, 0, HOST_REASON_LIMIT, 0)) != 0)
            return rc;
        return start_delivery(s, s->cur + 1);
    }
    /* Recorded before the command leaves: if its answer is lost, the next session
     * knows it may have been applied and checks first. */
    if ((rc = update(s, HOST_TSM_SENDING, 1, 0, HOST_REASON_OK, 0)) != 0)
        return rc;
    d->attempts++;
    s->script_off = 0;
    return send_command(s);
}

static int on_script(host_tsm_session *s, const uint8_t *plain, size_t n)
{
    delivery *d = &s->d[s->cur];
    uint16_t sw = (uint16_t)(plain[n - 2] << 8 | plain[n - 1]);
    int rc;

    if (sw != 0x9000) {
        int state = d->attempts >= d->max_attempts ? HOST_TSM_FAILED : HOST_TSM_PENDING;
        if ((rc = update(s, state, 0, 0, HOST_REASON_CARD_ERROR, sw)) != 0)
            return rc;
        return start_delivery(s, s->cur + 1);
    }
    if (s->script_off < d->script_len)
        return send_command(s);
    if ((rc = update(s, HOST_TSM_APPLIED, 0, HOST_TSM_BY_ACK, HOST_REASON_OK, 0)) != 0)
        return rc;
    return start_delivery(s, s->cur + 1);
}

int host_tsm_result(host_tsm_session *s, const uint8_t *rsp, size_t rsp_len)
{
    uint8_t plain[APDU_MAX];
    size_t n;
    int rc;

    if (s == NULL || (rsp != NULL && rsp_len < 2))
        return HOST_ERR_ARG;
    if (!s->awaiting)
        return HOST_ERR_STATE;
    s->awaiting = 0;
    s->step++;
    if (rsp == NULL) {
        /* The card left or the link dropped: whatever was in flight stays recorded as
         * it is (a SENDING delivery is checked first next time). */
        over(s, HOST_OTA_ABORTED, HOST_REASON_LOST);
        return 0;
    }
    switch (s->phase) {
    case PH_SELECT:
        if (rsp[rsp_len - 2] != 0x90 || rsp[rsp_len - 1] != 0x00) {
            over(s, HOST_OTA_ABORTED, HOST_REASON_CARD_ERROR);
            return 0;
        }
        s->phase = PH_INIT;
        return 0; /* INITIALIZE UPDATE was prepared at begin, after the SELECT */
    case PH_INIT:
        rc = host_gp_open(&s->gp, rsp, rsp_len, s->level, s->pending, sizeof s->pending,
                          &s->pending_len);
        if (rc != 0) {
            over(s, HOST_OTA_ABORTED, HOST_REASON_CARD_ERROR);
            return rc == HOST_ERR_SW || rc == HOST_ERR_PROTO || rc == HOST_ERR_CRYPTOGRAM ||
                           rc == HOST_ERR_CHALLENGE
                       ? 0
                       : rc;
        }
        s->phase = PH_AUTH;
        return 0;
    case PH_AUTH:
        if (host_gp_confirm(&s->gp, rsp, rsp_len) != 0) {
            over(s, HOST_OTA_ABORTED, HOST_REASON_CARD_ERROR);
            return 0;
        }
        rc = start_delivery(s, 0);
        break;
    case PH_CHECK:
    case PH_SCRIPT:
        if (host_gp_unwrap(&s->gp, rsp, rsp_len, plain, sizeof plain, &n) != 0 || n < 2) {
            over(s, HOST_OTA_ABORTED, HOST_REASON_CARD_ERROR);
            return 0;
        }
        rc = s->phase == PH_CHECK ? on_check(s, plain, n) : on_script(s, plain, n);
        break;
    default:
        return HOST_ERR_STATE;
    }
    if (rc != 0)
        over(s, HOST_OTA_ABORTED, HOST_REASON_INTERNAL);
    return rc;
}

int host_tsm_next(host_tsm_session *s, uint8_t *out, size_t cap, size_t *out_len)
{
    if (s == NULL || out == NULL || out_len == NULL)
        return HOST_ERR_ARG;
    if (s->status != HOST_OTA_SEND)
        return 0;
    if (s->awaiting)
        return HOST_ERR_STATE;
    if (s->phase == PH_INIT) {
        /* The INITIALIZE UPDATE is built when it is asked for, so the SELECT answer
         * has been seen first. */
        int rc = host_gp_init_update(&s->gp, s->challenge, s->pending, sizeof s->pending,
                                     &s->pending_len);
        if (rc != 0)
            return rc;
    }
    if (cap < s->pending_len)
        return HOST_ERR_NOSPACE;
    memcpy(out, s->pending, s->pending_len);
    *out_len = s->pending_len;
    s->awaiting = 1;
    return HOST_TSM_SEND;
}

/* Loads the card's pending deliveries (same key version and level as the first). */
static int load_deliveries(host_tsm_session *s, uint8_t *kvn)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc;

    if ((rc = host__db_stmt(s->db, SQL_PENDING, &st)) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, host__i64(s->serial));
    while ((rc = host__db_step(s->db, st)) == 1) {
        delivery *d;
        uint8_t k = (uint8_t)sqlite3_column_int(st, 6), level = (uint8_t)sqlite3_column_int(st, 7);
        if (s->nd > 0 && (k != *kvn || level != s->level))
            continue; /* another key set or level: a later session */
        if (s->nd == cap) {
            size_t c = cap == 0 ? 4 : cap * 2;
            delivery *nd = realloc(s->d, c * sizeof *nd);
            if (nd == NULL) {
                sqlite3_reset(st);
                return HOST_ERR_NOMEM;
            }
            s->d = nd;
            cap = c;
        }
        d = &s->d[s->nd++];
        memset(d, 0, sizeof *d);
        d->campaign = sqlite3_column_int64(st, 0);
        d->op = sqlite3_column_int(st, 1);
        d->aid_len = (size_t)sqlite3_column_bytes(st, 2);
        if (d->aid_len > sizeof d->aid)
            d->aid_len = sizeof d->aid;
        memcpy(d->aid, sqlite3_column_blob(st, 2), d->aid_len);
        d->script_len = (size_t)sqlite3_column_bytes(st, 3);
        if (d->script_len > SCRIPT_MAX)
            d->script_len = SCRIPT_MAX;
        memcpy(d->script, sqlite3_column_blob(st, 3), d->script_len);
        d->attempts = sqlite3_column_int(st, 4);
        d->max_attempts = sqlite3_column_int(st, 5);
        *kvn = k;
        s->level = level;
    }
    return rc;
}

static int next_session_id(host_db *db, uint32_t *id)
{
    sqlite3_stmt *st;
    int rc;

    if ((rc = host__db_stmt(db, SQL_NEXT_ID, &st)) != 0)
        return rc;
    if ((rc = host__db_step(db, st)) != 1)
        return rc == 0 ? HOST_ERR_DB : rc;
    *id = (uint32_t)sqlite3_column_int64(st, 0);
    return host__db_step(db, st) < 0 ? HOST_ERR_DB : 0;
}

/* SHA-256("obol tsm challenge" || serial || session id), first 8 bytes. */
static int derive_challenge(uint64_t serial, uint32_t id, uint8_t out[8])
{
    uint8_t in[17 + 12], md[32];
    int i;

    memcpy(in, "obol tsm challenge", 17);
    for (i = 0; i < 8; i++)
        in[17 + i] = (uint8_t)(serial >> (56 - 8 * i));
    for (i = 0; i < 4; i++)
        in[25 + i] = (uint8_t)(id >> (24 - 8 * i));
    if (EVP_Digest(in, sizeof in, md, NULL, EVP_sha256(), NULL) != 1) {
        ERR_clear_error();
        return HOST_ERR_CRYPTO;
    }
    memcpy(out, md, 8);
    return 0;
}

int host_tsm_begin(host_db *db, host_hsm *hsm, uint64_t serial, const uint8_t challenge[8],
                   host_tsm_session **out)
{
    static const uint8_t select_isd[14] = {0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0, 0x00,
                                           0x00, 0x01, 0x51, 0x00, 0x00, 0x00, 0x00};
    host_tsm_session *s;
    host_gp_keys keys;
    host_card card;
    sqlite3_stmt *st;
    uint8_t kvn = 0;
    size_t i;
    int rc;

    if (db == NULL || hsm == NULL || out == NULL)
        return HOST_ERR_ARG;
    *out = NULL;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return HOST_ERR_NOMEM;
    s->db = db;
    s->serial = serial;
    s->status = HOST_OTA_SEND;
    if ((rc = host__db_begin(db)) != 0)
        goto fail_free;
    if ((rc = load_deliveries(s, &kvn)) != 0)
        goto fail;
    if (s->nd == 0) {
        rc = HOST_ERR_NOTFOUND;
        goto fail;
    }
    if ((rc = host_card_get(db, serial, &card)) != 0)
        goto fail;
    if ((rc = next_session_id(db, &s->id)) != 0)
        goto fail;
    for (i = 0; i < s->nd; i++) {
        if ((rc = host__db_stmt(db, SQL_SESSIONS, &st)) != 0)
            goto fail;
        sqlite3_bind_int64(st, 1, host__i64(serial));
        sqlite3_bind_int64(st, 2, s->d[i].campaign);
        if ((rc = host__db_run(db, st)) != 0)
            goto fail;
    }
    if ((rc = host__db_commit(db)) != 0)
        goto fail_free;
    rc = host_hsm_card_gp_keys(hsm, card.issuer, card.industry, kvn, serial, &keys);
    if (rc == 0)
        rc = host_gp_session_init(&s->gp, HOST_GP_SCP03, 0, &keys, ISD_AID, sizeof ISD_AID);
    host_wipe(&keys, sizeof keys);
    if (rc != 0)
        goto fail_free;
    if (challenge != NULL)
        memcpy(s->challenge, challenge, 8);
    else if ((rc = derive_challenge(serial, s->id, s->challenge)) != 0)
        goto fail_free;
    memcpy(s->pending, select_isd, sizeof select_isd);
    s->pending_len = sizeof select_isd;
    s->phase = PH_SELECT;
    *out = s;
    return 0;
fail:
    host__db_rollback(db);
fail_free:
    host_tsm_end(s);
    return rc;
}

int host_tsm_status(const host_tsm_session *s, int *reason)
{
    if (s == NULL)
        return HOST_ERR_ARG;
    if (reason != NULL)
        *reason = s->reason;
    return s->status;
}

uint32_t host_tsm_session_id(const host_tsm_session *s)
{
    return s == NULL ? 0 : s->id;
}

uint16_t host_tsm_step_no(const host_tsm_session *s)
{
    return s == NULL ? 0 : s->step;
}

uint64_t host_tsm_serial(const host_tsm_session *s)
{
    return s == NULL ? 0 : s->serial;
}

void host_tsm_end(host_tsm_session *s)
{
    if (s == NULL)
        return;
    host_gp_session_wipe(&s->gp);
    free(s->d);
    host_wipe(s, sizeof *s);
    free(s);
}
