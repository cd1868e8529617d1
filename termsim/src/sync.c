/*
 * obol terminal kernel: the host link and the parameter download (term_sync()): fare
 * table, terminal parameters and blacklist by version through the terminal-host
 * protocol (hostsim's host_proto.h, docs/host-protocol.md). The "have" version of each
 * request doubles as the acknowledgement of what the terminal applied.
 */
#include <stdlib.h>
#include <string.h>

#include "term_internal.h"

int term__host_call(term *t, const uint8_t *req, size_t len, host_msg *m)
{
    const uint8_t *rsp = NULL;
    size_t rsplen = 0;
    int reason = 0, rc;

    if (t->cfg.host == NULL)
        return TERM_ERR_STATE;
    rc = t->cfg.host(t->cfg.host_ctx, req, len, &rsp, &rsplen);
    if (rc != 0)
        return rc == TERM_ERR_OFFLINE ? rc : TERM_ERR_OFFLINE;
    if (rsp == NULL || host_proto_decode(rsp, rsplen, m, &reason) != 0)
        return TERM_ERR_BADMSG;
    /* The reply echoes the request's id: anything else is a stray frame. */
    if (m->id != t->msg_id)
        return TERM_ERR_BADMSG;
    return 0;
}

/* One parameter kind. */
static int sync_param(term *t, int kind, uint32_t have, int *updated)
{
    host_msg_param_req r;
    host_msg m;
    uint8_t req[64];
    size_t len;
    int rc;

    memset(&r, 0, sizeof r);
    r.terminal = t->id;
    r.kind = (uint8_t)kind;
    r.have_version = have;
    if (host_proto_encode_param_req(++t->msg_id, &r, req, sizeof req, &len) != 0)
        return TERM_ERR_ARG;
    if ((rc = term__host_call(t, req, len, &m)) != 0)
        return rc;
    if (m.type != HOST_MSG_PARAM_REPLY || m.u.param_reply.kind != kind)
        return m.type == HOST_MSG_ERROR ? TERM_ERR_HOST : TERM_ERR_BADMSG;
    if (m.u.param_reply.status != 0)
        /* Nothing published for this terminal yet is not a failure. */
        return m.u.param_reply.reason == HOST_REASON_NOT_FOUND ? 0 : TERM_ERR_HOST;
    if (m.u.param_reply.current || m.u.param_reply.version == have)
        return 0;
    rc = term__params_apply(t, kind, m.u.param_reply.version, m.u.param_reply.payload,
                            m.u.param_reply.length, 1);
    if (rc == 0)
        *updated = 1;
    return rc;
}

/* The blacklist: a delta from the version held, or the full list. */
static int sync_blacklist(term *t, int *updated)
{
    host_msg_bl_req r;
    host_msg m;
    host_bl_entry *e = NULL;
    uint8_t req[64];
    size_t len;
    int rc, full = 0, tries;

    for (tries = 0; tries < 2; tries++) {
        memset(&r, 0, sizeof r);
        r.terminal = t->id;
        r.have_version = t->bl_version;
        r.mode = full ? HOST_BL_FULL : HOST_BL_DELTA;
        if (host_proto_encode_bl_req(++t->msg_id, &r, req, sizeof req, &len) != 0)
            return TERM_ERR_ARG;
        if ((rc = term__host_call(t, req, len, &m)) != 0)
            return rc;
        if (m.type != HOST_MSG_BL_REPLY)
            return m.type == HOST_MSG_ERROR ? TERM_ERR_HOST : TERM_ERR_BADMSG;
        if (m.u.bl_reply.status != 0)
            return TERM_ERR_HOST;
        if (m.u.bl_reply.kind == HOST_BL_CURRENT)
            return 0;
        if (m.u.bl_reply.kind == HOST_BL_CHANGES && m.u.bl_reply.from_version != t->bl_version) {
            full = 1; /* a delta that does not start where we are: ask for the list */
            continue;
        }
        break;
    }
    if (tries == 2)
        return TERM_ERR_BADMSG;
    if (m.u.bl_reply.count > 0) {
        e = malloc(m.u.bl_reply.count * sizeof *e);
        if (e == NULL)
            return TERM_ERR_NOMEM;
        for (uint32_t i = 0; i < m.u.bl_reply.count; i++)
            if (host_proto_bl_entry(&m, i, &e[i]) != 0) {
                free(e);
                return TERM_ERR_BADMSG;
            }
    }
    rc = term__bl_apply(t, m.u.bl_reply.to_version, m.u.bl_reply.kind == HOST_BL_LIST, e,
                        m.u.bl_reply.count);
    free(e);
    if (rc == 0)
        *updated = 1;
    return rc;
}

int term_sync(term *t, int64_t now, term_sync_stats *st)
{
    int fu = 0, pu = 0, bu = 0, rc;

    if (t == NULL)
        return TERM_ERR_ARG;
    if (t->dead || t->cfg.host == NULL)
        return TERM_ERR_STATE;
    t->clock = now;
    rc = sync_param(t, HOST_PARAM_TERMINAL, t->params_version, &pu);
    if (rc == 0)
        rc = sync_param(t, HOST_PARAM_FARE, t->fare_version, &fu);
    if (rc == 0)
        rc = sync_blacklist(t, &bu);
    if (st != NULL) {
        st->fare_version = t->fare_version;
        st->params_version = t->params_version;
        st->blacklist_version = t->bl_version;
        st->fare_updated = (uint8_t)fu;
        st->params_updated = (uint8_t)pu;
        st->blacklist_updated = (uint8_t)bu;
        st->blacklist_size = (uint32_t)t->bl_n;
    }
    return rc;
}
