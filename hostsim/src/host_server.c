/*
 * obol host platform: the protocol endpoint (host_server.h) — request routing and
 * reply encoding, plus the table of open OTA sessions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/host_blacklist.h"
#include "obol/host_load.h"
#include "obol/host_param.h"
#include "obol/host_proto.h"
#include "obol/host_server.h"
#include "obol/host_settle.h"
#include "obol/host_term.h"
#include "obol/host_tsm.h"

enum { MAX_SESSIONS = 64, FIXED_REPLY = 64 + HOST_PROTO_MAX_APDU };

struct host_server {
    host_db *db;
    host_hsm *hsm;
    host_tsm_session *ota[MAX_SESSIONS];
    size_t ota_next; /* round-robin eviction when the table is full */
};

int host_server_new(host_db *db, host_hsm *hsm, host_server **out)
{
    if (db == NULL || hsm == NULL || out == NULL)
        return HOST_ERR_ARG;
    *out = calloc(1, sizeof **out);
    if (*out == NULL)
        return HOST_ERR_NOMEM;
    (*out)->db = db;
    (*out)->hsm = hsm;
    return 0;
}

void host_server_free(host_server *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < MAX_SESSIONS; i++)
        host_tsm_end(s->ota[i]);
    free(s);
}

/* A reply buffer of CAP bytes for the handlers to encode into. */
typedef struct reply {
    uint8_t *buf;
    size_t cap;
    size_t len;
} reply;

static int reply_alloc(reply *r, size_t cap)
{
    free(r->buf);
    r->buf = malloc(cap);
    r->cap = r->buf != NULL ? cap : 0;
    r->len = 0;
    return r->buf != NULL ? 0 : HOST_ERR_NOMEM;
}

static int reply_error(reply *r, uint32_t id, int reason, uint8_t req_type)
{
    host_msg_error e;
    int rc;

    if ((rc = reply_alloc(r, FIXED_REPLY)) != 0)
        return rc;
    e.reason = (uint8_t)reason;
    e.req_type = req_type;
    return host_proto_encode_error(id, &e, r->buf, r->cap, &r->len);
}

/* The terminal's registry row if it is registered and in service; 0 or the reason
 * UNKNOWN_TERMINAL (> 0) or a fault (< 0). */
static int known_terminal(host_server *s, uint64_t id, host_terminal *t)
{
    int rc = host_terminal_get(s->db, id, t);

    if (rc == HOST_ERR_NOTFOUND || (rc == 0 && !t->in_service))
        return HOST_REASON_UNKNOWN_TERMINAL;
    if (rc == 0)
        rc = host_terminal_seen(s->db, id);
    return rc;
}

static int on_batch(host_server *s, const uint8_t *req, size_t len, uint32_t id, reply *r)
{
    host_ingest_result res;
    int rc;

    if ((rc = host_settle_ingest(s->db, s->hsm, req, len, &res)) != 0)
        return rc;
    free(r->buf);
    r->buf = NULL;
    rc = host_settle_ack_encode(&res, id, &r->buf, &r->len);
    host_ingest_result_free(&res);
    return rc;
}

static int on_bl_req(host_server *s, const host_msg *m, reply *r)
{
    const host_msg_bl_req *q = &m->u.bl_req;
    host_msg_bl_reply a;
    host_bl_list l;
    host_terminal t;
    uint32_t now;
    int rc;

    memset(&a, 0, sizeof a);
    memset(&l, 0, sizeof l);
    if ((rc = known_terminal(s, q->terminal, &t)) < 0)
        return rc;
    if (rc > 0) {
        a.status = 1;
        a.reason = (uint8_t)rc;
        goto encode;
    }
    if ((rc = host_blacklist_version(s->db, &now)) != 0)
        return rc;
    /* The version the terminal reports holding is its acknowledgement; a version the
     * platform never issued (a restored database) gets the full list instead. */
    if (q->have_version <= now &&
        (rc = host_blacklist_ack(s->db, q->terminal, q->have_version)) != 0)
        return rc;
    a.to_version = now;
    if (q->have_version == now && q->mode == HOST_BL_DELTA) {
        a.kind = HOST_BL_CURRENT;
        a.from_version = now;
    } else if (q->mode == HOST_BL_FULL || q->have_version == 0 || q->have_version > now) {
        a.kind = HOST_BL_LIST;
        if ((rc = host_blacklist_full(s->db, now, &l)) != 0)
            return rc;
    } else {
        a.kind = HOST_BL_CHANGES;
        a.from_version = q->have_version;
        if ((rc = host_blacklist_delta(s->db, q->have_version, now, &l)) != 0)
            return rc;
    }
encode:
    rc = reply_alloc(r, host_proto_bl_reply_size(l.n));
    if (rc == 0)
        rc = host_proto_encode_bl_reply(m->id, &a, l.e, l.n, r->buf, r->cap, &r->len);
    host_bl_list_free(&l);
    return rc;
}

static int on_param_req(host_server *s, const host_msg *m, reply *r)
{
    const host_msg_param_req *q = &m->u.param_req;
    host_msg_param_reply a;
    host_terminal t;
    uint8_t *payload = NULL;
    size_t plen = 0;
    uint32_t series, latest = 0;
    int rc;

    memset(&a, 0, sizeof a);
    a.kind = q->kind;
    if ((rc = known_terminal(s, q->terminal, &t)) < 0)
        return rc;
    if (rc > 0) {
        a.status = 1;
        a.reason = (uint8_t)rc;
        goto encode;
    }
    series = q->kind == HOST_PARAM_FARE ? t.operator_id : t.param_set;
    rc = host_param_payload(s->db, q->kind, series, 0, &payload, &plen, &latest);
    if (rc == HOST_ERR_NOTFOUND) {
        a.status = 1;
        a.reason = HOST_REASON_NOT_FOUND;
        goto encode;
    }
    if (rc != 0)
        return rc;
    if (q->have_version != 0 && q->have_version <= latest &&
        (rc = host_param_ack(s->db, q->terminal, q->kind, q->have_version)) != 0)
        goto done;
    a.version = latest;
    if (q->have_version == latest) {
        a.current = 1;
        free(payload);
        payload = NULL;
        plen = 0;
    }
encode:
    rc = reply_alloc(r, host_proto_param_reply_size(plen));
    if (rc == 0)
        rc = host_proto_encode_param_reply(m->id, &a, payload, plen, r->buf, r->cap, &r->len);
done:
    free(payload);
    return rc;
}

static int on_load_req(host_server *s, const host_msg *m, reply *r)
{
    host_msg_load_reply a;
    int rc;

    if ((rc = host_load_authorize(s->db, s->hsm, &m->u.load_req, &a)) != 0)
        return rc;
    if ((rc = reply_alloc(r, FIXED_REPLY)) != 0)
        return rc;
    return host_proto_encode_load_reply(m->id, &a, r->buf, r->cap, &r->len);
}

/* ---- OTA ------------------------------------------------------------------------- */

static host_tsm_session **ota_find(host_server *s, uint64_t serial)
{
    size_t i;

    for (i = 0; i < MAX_SESSIONS; i++)
        if (s->ota[i] != NULL && host_tsm_serial(s->ota[i]) == serial)
            return &s->ota[i];
    return NULL;
}

static host_tsm_session **ota_slot(host_server *s)
{
    size_t i;

    for (i = 0; i < MAX_SESSIONS; i++)
        if (s->ota[i] == NULL)
            return &s->ota[i];
    /* Full: end the oldest-placed session (its deliveries stay recorded). */
    i = s->ota_next;
    s->ota_next = (s->ota_next + 1) % MAX_SESSIONS;
    host_tsm_end(s->ota[i]);
    s->ota[i] = NULL;
    return &s->ota[i];
}

/* Answers with the session's next command, or its end (and then frees it). */
static int ota_reply(host_server *s, host_tsm_session **slot, uint64_t serial, uint32_t id,
                     reply *r)
{
    host_msg_ota_command c;
    uint8_t apdu[HOST_PROTO_MAX_APDU];
    size_t n = 0;
    int rc, reason = HOST_REASON_OK;

    (void)s;
    memset(&c, 0, sizeof c);
    c.serial = serial;
    rc = host_tsm_next(*slot, apdu, sizeof apdu, &n);
    if (rc < 0)
        return rc;
    c.session = host_tsm_session_id(*slot);
    c.step = host_tsm_step_no(*slot);
    if (rc == HOST_TSM_SEND) {
        c.status = HOST_OTA_SEND;
        c.apdu = apdu;
        c.length = (uint16_t)n;
    } else {
        c.status = (uint8_t)host_tsm_status(*slot, &reason);
        c.reason = (uint8_t)reason;
        host_tsm_end(*slot);
        *slot = NULL;
    }
    if ((rc = reply_alloc(r, FIXED_REPLY)) != 0)
        return rc;
    return host_proto_encode_ota_command(id, &c, r->buf, r->cap, &r->len);
}

static int ota_refuse(uint64_t serial, uint32_t session, uint8_t status, int reason, uint32_t id,
                      reply *r)
{
    host_msg_ota_command c;
    int rc;

    memset(&c, 0, sizeof c);
    c.serial = serial;
    c.session = session;
    c.status = status;
    c.reason = (uint8_t)reason;
    if ((rc = reply_alloc(r, FIXED_REPLY)) != 0)
        return rc;
    return host_proto_encode_ota_command(id, &c, r->buf, r->cap, &r->len);
}

static int on_ota_fetch(host_server *s, const host_msg *m, reply *r)
{
    const host_msg_ota_fetch *q = &m->u.ota_fetch;
    host_tsm_session **slot;
    host_terminal t;
    int rc;

    if ((rc = known_terminal(s, q->terminal, &t)) < 0)
        return rc;
    if (rc > 0)
        return ota_refuse(q->serial, 0, HOST_OTA_ABORTED, rc, m->id, r);
    /* A new fetch for a card restarts its session (the old one's card went away). */
    if ((slot = ota_find(s, q->serial)) != NULL) {
        host_tsm_end(*slot);
        *slot = NULL;
    }
    slot = ota_slot(s);
    rc = host_tsm_begin(s->db, s->hsm, q->serial, NULL, slot);
    if (rc == HOST_ERR_NOTFOUND)
        return ota_refuse(q->serial, 0, HOST_OTA_NONE, HOST_REASON_OK, m->id, r);
    if (rc != 0)
        return rc;
    return ota_reply(s, slot, q->serial, m->id, r);
}

static int on_ota_result(host_server *s, const host_msg *m, reply *r)
{
    const host_msg_ota_result *q = &m->u.ota_result;
    host_tsm_session **slot = ota_find(s, q->serial);
    int rc;

    if (slot == NULL || host_tsm_session_id(*slot) != q->session ||
        host_tsm_step_no(*slot) != q->step)
        return ota_refuse(q->serial, q->session, HOST_OTA_ABORTED, HOST_REASON_SESSION, m->id, r);
    rc = host_tsm_result(*slot, q->outcome == HOST_OTA_LOST ? NULL : q->rsp,
                         q->outcome == HOST_OTA_LOST ? 0 : q->length);
    if (rc != 0) {
        host_tsm_end(*slot);
        *slot = NULL;
        return rc;
    }
    return ota_reply(s, slot, q->serial, m->id, r);
}

/* ---- dispatch -------------------------------------------------------------------- */

/* Records a request that did not decode. */
static int record_malformed(host_server *s, const uint8_t *req, size_t len, int reason)
{
    host_exception e;

    memset(&e, 0, sizeof e);
    e.source = HOST_EXC_PROTOCOL;
    e.severity = HOST_SEV_REJECTED;
    e.reason = reason;
    e.rec_index = -1;
    e.counter = -1;
    snprintf(e.detail, sizeof e.detail, "request (type %02X, %zu bytes) refused: %s",
             len >= 4 ? req[3] : 0, len, host_reason_str(reason));
    return host_exception_add(s->db, &e, req, len);
}

int host_server_handle(host_server *s, const uint8_t *req, size_t len, uint8_t **out,
                       size_t *out_len)
{
    reply r = {NULL, 0, 0};
    host_msg m;
    uint32_t id = 0;
    int rc, reason = HOST_REASON_MAGIC;

    if (s == NULL || out == NULL || out_len == NULL || (req == NULL && len > 0))
        return HOST_ERR_ARG;
    *out = NULL;
    *out_len = 0;
    if (len >= HOST_PROTO_HDR)
        id = (uint32_t)req[8] << 24 | (uint32_t)req[9] << 16 | (uint32_t)req[10] << 8 | req[11];
    if (len >= 4 && req[0] == 0x4F && req[1] == 0x48 && req[3] == HOST_MSG_BATCH) {
        /* Batches, good or bad, go to settlement: it records refused ones itself and
         * answers with a BATCH_ACK. */
        rc = on_batch(s, req, len, id, &r);
        goto finish;
    }
    rc = req == NULL ? HOST_ERR_BADMSG : host_proto_decode(req, len, &m, &reason);
    if (rc == HOST_ERR_BADMSG) {
        if ((rc = record_malformed(s, req, len, reason)) == 0)
            rc = reply_error(&r, id, reason, len >= 4 ? req[3] : 0);
        goto finish;
    }
    if (rc != 0)
        goto finish;
    switch (m.type) {
    case HOST_MSG_BL_REQ:
        rc = on_bl_req(s, &m, &r);
        break;
    case HOST_MSG_PARAM_REQ:
        rc = on_param_req(s, &m, &r);
        break;
    case HOST_MSG_LOAD_REQ:
        rc = on_load_req(s, &m, &r);
        break;
    case HOST_MSG_OTA_FETCH:
        rc = on_ota_fetch(s, &m, &r);
        break;
    case HOST_MSG_OTA_RESULT:
        rc = on_ota_result(s, &m, &r);
        break;
    default:
        /* A reply type sent to the host. */
        if ((rc = record_malformed(s, req, len, HOST_REASON_TYPE)) == 0)
            rc = reply_error(&r, m.id, HOST_REASON_TYPE, m.type);
        break;
    }
finish:
    if (rc != 0 && rc != HOST_ERR_NOMEM) {
        /* A platform fault: answer INTERNAL so the terminal retries later. */
        int frc = reply_error(&r, id, HOST_REASON_INTERNAL, len >= 4 ? req[3] : 0);
        if (frc != 0) {
            free(r.buf);
            return frc;
        }
    } else if (rc != 0) {
        free(r.buf);
        return rc;
    }
    *out = r.buf;
    *out_len = r.len;
    return rc;
}
