/*
 * obol core: the platform side of the world and the network between. The platform is
 * hostsim's (docs/host-platform.md): an SQLite database in memory, the HSM holding the
 * TEST master keys, the card registry, the blacklist service and clearing with TAC
 * verification through the HSM (OpenSSL: the card computed the TAC with obol's own
 * crypto) and duplicate detection by (card, counter) and (terminal, TTN). Terminals
 * talk to it with the terminal-host protocol (docs/host-protocol.md): batch uploads
 * every upload interval, blacklist requests every distribution interval. Each frame
 * crosses the group's link (latency, jitter, loss, outage windows, the timeline's host
 * outages); a lost acknowledgement makes the terminal send the same batch again, which
 * the platform answers REPEATED and counts once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/host_blacklist.h"
#include "obol/host_db.h"
#include "obol/host_hsm.h"
#include "obol/host_issue.h"
#include "obol/host_proto.h"
#include "obol/host_server.h"
#include "obol/host_settle.h"
#include "obol/host_term.h"
#include "world_internal.h"

/* The scenario day (2026-11-23 00:00 UTC) in seconds since 1970: the platform clock. */
#define DAY_EPOCH 1795392000ll
#define ISSUER    0x1234567800000000ull /* the card profiles' issuer code */
#define OPERATOR  1u

int w_link_up(const world *w, int group, sim_time t)
{
    const scenario *sc = w->sc;
    for (size_t i = 0; i < sc->nevents; i++) {
        const scn_event *e = &sc->events[i];
        if (e->kind == SCN_EV_HOST_OUTAGE && t >= e->at && t < e->until)
            return 0;
    }
    const scn_link *lk = &sc->links[sc->groups[group].link];
    for (size_t i = 0; i < lk->noutage; i++)
        if (t >= lk->outage[i].from && t < lk->outage[i].to)
            return 0;
    return 1;
}

sim_time w_link_delay(world *w, int group, int *lost)
{
    const scn_link *lk = &w->sc->links[w->sc->groups[group].link];
    double ms = lk->latency_ms;
    if (lk->jitter_ms > 0)
        ms += sim_rng_uniform(&w->link_rng) * lk->jitter_ms;
    if (lk->loss > 0 && sim_rng_uniform(&w->link_rng) < lk->loss)
        *lost = 1;
    ms += w->sc->host_process_ms / 2;
    return (sim_time)(ms * (double)SIM_MS);
}

static void clock_to(world *w)
{
    host_db_set_time(w->db, DAY_EPOCH + sim_now(w->s) / SIM_S);
}

static uint64_t tid_number(const uint8_t tid[6])
{
    uint64_t v = 0;
    for (int i = 0; i < 6; i++)
        v = v << 8 | tid[i];
    return v;
}

/* The TEST master keys the card and PSAM profiles are personalized from, imported
 * into the platform's HSM: (usage, version, dispersion levels, name). */
static const struct {
    uint8_t usage, version, levels;
    const char *name;
} master_keys[] = {
    {HOST_KEY_PURCHASE, 1, 2, "TEST-MPK-01"}, {HOST_KEY_PURCHASE, 2, 1, "TEST-MPK-02"},
    {HOST_KEY_LOAD, 1, 1, "TEST-MLK-01"},     {HOST_KEY_TAC, 1, 1, "TEST-MTK-01"},
    {HOST_KEY_TAC, 2, 1, "TEST-MTK-01"},
};

int w_host_init(world *w)
{
    char msg[160];
    int rc;
    w->dedup_cap = 1024;
    w->dedup = calloc(w->dedup_cap, sizeof(*w->dedup));
    if (w->dedup == NULL)
        return SIM_ERR_NOMEM;
    sim_rng_init(&w->link_rng, w->seed, W_STREAM_LINKS);
    /* The storage key only wraps the TEST keys of this in-memory database. */
    uint8_t storage[32];
    for (int i = 0; i < 32; i++)
        storage[i] = (uint8_t)(0xA5 ^ i);
    if ((rc = host_db_open(":memory:", NULL, &w->db)) != 0 ||
        (rc = host_hsm_open(w->db, storage, &w->hsm)) != 0 ||
        (rc = host_server_new(w->db, w->hsm, &w->srv)) != 0) {
        snprintf(msg, sizeof(msg), "the platform could not start: %s", host_strerror(rc));
        goto fail;
    }
    host_db_set_time(w->db, DAY_EPOCH + w->sc->start / SIM_S);
    if ((rc = host_issuer_add(w->db, ISSUER, "TEST issuer", 0x12345678u)) != 0 ||
        (rc = host_operator_add(w->db, OPERATOR, "operator")) != 0) {
        snprintf(msg, sizeof(msg), "platform set-up: %s", host_strerror(rc));
        goto fail;
    }
    for (size_t i = 0; i < sizeof(master_keys) / sizeof(master_keys[0]); i++) {
        host_key_id id = {ISSUER, HOST_INDUSTRY_FINANCE, master_keys[i].usage,
                          master_keys[i].version};
        const uint8_t *key = master_keys[i].usage == HOST_KEY_LOAD  ? w->key_mlk
                             : master_keys[i].usage == HOST_KEY_TAC ? w->key_mtk
                             : master_keys[i].version == 1          ? w->key_mpk1
                                                                    : w->key_mpk2;
        char label[64];
        snprintf(label, sizeof(label), "%s (TEST KEY)", master_keys[i].name);
        if ((rc = host_hsm_key_import(w->hsm, &id, master_keys[i].levels, label, key, NULL)) != 0) {
            snprintf(msg, sizeof(msg), "importing %s: %s", master_keys[i].name, host_strerror(rc));
            goto fail;
        }
    }
    for (int i = 0; i < w->nterms; i++) {
        const w_term *t = &w->terms[i];
        const scn_group *g = &w->sc->groups[t->group];
        host_terminal ht;
        memset(&ht, 0, sizeof(ht));
        ht.id = tid_number(t->tid);
        ht.operator_id = OPERATOR;
        ht.kind = g->kind == SCN_GATE  ? HOST_TERM_GATE
                  : g->kind == SCN_STB ? HOST_TERM_STB
                                       : HOST_TERM_POS;
        ht.station = (uint16_t)(t->station + 1);
        ht.in_service = 1;
        if ((rc = host_terminal_add(w->db, &ht)) != 0) {
            snprintf(msg, sizeof(msg), "registering terminal %d: %s", i, host_strerror(rc));
            goto fail;
        }
    }
    return 0;
fail:
    w_fail(w, SIM_ERR_INVAL, "%s", msg);
    return SIM_ERR_INVAL;
}

void w_host_free(world *w)
{
    free(w->dedup);
    host_server_free(w->srv);
    host_hsm_close(w->hsm);
    host_db_close(w->db);
}

int w_host_issue(world *w, uint32_t idx)
{
    host_issue_req req;
    memset(&req, 0, sizeof(req));
    req.issuer = ISSUER;
    req.industry = HOST_INDUSTRY_FINANCE;
    req.serial = w->sc->serial_base + idx;
    req.key_version = 1;
    req.initial_balance = w->cards[idx].initial;
    req.max_balance = 100000000;
    req.expiry = 20361231;
    host_perso perso;
    clock_to(w);
    int rc = host_issue_card(w->db, w->hsm, &req, &perso);
    if (rc == 0)
        rc = host_card_set_state(w->db, req.serial, HOST_CARD_ACTIVE, 0);
    memset(&perso, 0, sizeof(perso)); /* the dispersed keys: the card has its own */
    if (rc != 0)
        w_fail(w, SIM_ERR_INVAL, "the platform could not issue card %llu: %s",
               (unsigned long long)req.serial, host_strerror(rc));
    return rc == 0 ? 0 : SIM_ERR_INVAL;
}

int w_host_implied(world *w, uint32_t idx, int64_t *implied)
{
    host_recon_card rc;
    if (host_recon_card_get(w->db, w->sc->serial_base + idx, &rc) != 0)
        return -1;
    *implied = rc.implied;
    return 0;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

/* Remembers that the host accepted (CARD, COUNTER). */
static int dedup_add(world *w, uint64_t key)
{
    if (2 * (w->dedup_len + 1) > w->dedup_cap) {
        size_t cap = w->dedup_cap * 2;
        uint64_t *n = calloc(cap, sizeof(*n));
        if (n == NULL)
            return -1;
        for (size_t i = 0; i < w->dedup_cap; i++)
            if (w->dedup[i] != 0) {
                size_t j = mix(w->dedup[i]) & (cap - 1);
                while (n[j] != 0)
                    j = (j + 1) & (cap - 1);
                n[j] = w->dedup[i];
            }
        free(w->dedup);
        w->dedup = n;
        w->dedup_cap = cap;
    }
    key += 1;
    size_t j = mix(key) & (w->dedup_cap - 1);
    while (w->dedup[j] != 0) {
        if (w->dedup[j] == key)
            return 0;
        j = (j + 1) & (w->dedup_cap - 1);
    }
    w->dedup[j] = key;
    w->dedup_len++;
    return 1;
}

int w_host_has(const world *w, uint32_t card, uint16_t counter)
{
    uint64_t key = ((uint64_t)card << 16 | counter) + 1;
    size_t j = mix(key) & (w->dedup_cap - 1);
    while (w->dedup[j] != 0) {
        if (w->dedup[j] == key)
            return 1;
        j = (j + 1) & (w->dedup_cap - 1);
    }
    return 0;
}

static void to_txn(const world *w, const w_rec *r, host_txn *x)
{
    memset(x, 0, sizeof(*x));
    x->serial = w->sc->serial_base + r->card;
    x->type = r->type;
    x->counter = r->counter;
    x->amount = r->amount;
    x->terminal = tid_number(r->tid);
    x->ttn = r->ttn;
    memcpy(x->date, r->date, 4);
    memcpy(x->time, r->time, 3);
    x->balance_before = r->balance;
    x->balance_after = r->balance - r->amount;
    memcpy(x->tac, r->tac, 4);
    x->key_version = r->kver;
    x->alg = r->alg;
    x->entry_station = r->entry_station;
    x->exit_station = r->exit_station;
    x->operator_id = OPERATOR;
}

/* Sends frame REQ to the platform; the decoded reply in *M with its buffer in *BUF
 * (the caller frees it). */
static int exchange(world *w, const uint8_t *req, size_t len, host_msg *m, uint8_t **buf)
{
    size_t rlen = 0;
    *buf = NULL;
    clock_to(w);
    int rc = host_server_handle(w->srv, req, len, buf, &rlen);
    if (*buf == NULL)
        return rc != 0 ? rc : HOST_ERR_ARG;
    int reason;
    if (host_proto_decode(*buf, rlen, m, &reason) != 0)
        return HOST_ERR_BADMSG;
    return m->type == HOST_MSG_ERROR ? HOST_ERR_PROTO : 0;
}

int w_host_upload(world *w, int ti, const w_rec *rec, size_t n, uint32_t seq, int *duplicates)
{
    const w_term *t = &w->terms[ti];
    host_txn *tx = malloc((n ? n : 1) * sizeof(*tx));
    size_t cap = host_proto_batch_size(n);
    uint8_t *frame = malloc(cap), *reply = NULL;
    int accepted = -1;
    *duplicates = 0;
    if (tx == NULL || frame == NULL)
        goto out;
    for (size_t i = 0; i < n; i++)
        to_txn(w, &rec[i], &tx[i]);
    host_msg_batch b = {tid_number(t->tid), seq, (uint32_t)n, NULL};
    size_t len;
    host_msg m;
    if (host_proto_encode_batch(++w->msg_id, &b, tx, n, frame, cap, &len) != 0 ||
        exchange(w, frame, len, &m, &reply) != 0 || m.type != HOST_MSG_BATCH_ACK ||
        m.u.ack.status == HOST_ACK_REJECTED)
        goto out;
    /* Every record not plainly accepted has a note. */
    uint8_t *fate = calloc(n ? n : 1, 1); /* HOST_NOTE_* per record, 0 accepted */
    if (fate == NULL)
        goto out;
    for (uint32_t i = 0; i < m.u.ack.n_notes; i++) {
        host_ack_note note;
        if (host_proto_ack_note(&m, i, &note) == 0 && note.index < n) {
            fate[note.index] = note.result;
            if (note.reason == HOST_REASON_BAD_TAC)
                w->bad_tac++;
            if (note.result == HOST_NOTE_REJECTED && w->host_refusal[0] == '\0')
                snprintf(w->host_refusal, sizeof(w->host_refusal),
                         "the platform refused the record of card %llu, counter %u: %s (%s)",
                         (unsigned long long)(w->sc->serial_base + rec[note.index].card),
                         rec[note.index].counter, host_reason_name(note.reason),
                         host_reason_str(note.reason));
        }
    }
    accepted = 0;
    if (m.u.ack.status == HOST_ACK_REPEATED) {
        /* The same batch again: the platform holds it already and counts it once. */
        w->dup_flagged += n;
        *duplicates = (int)n;
    } else {
        for (size_t i = 0; i < n; i++) {
            if (fate[i] == HOST_NOTE_ACCEPTED || fate[i] == HOST_NOTE_FLAGGED) {
                if (dedup_add(w, (uint64_t)rec[i].card << 16 | rec[i].counter) == 0)
                    w->dup_settled++; /* accepted a second time: the platform failed */
                else
                    w->settled++;
                w->cards[rec[i].card].settled += rec[i].amount;
                w->offline_settled += rec[i].offline;
                w->host_flagged += fate[i] == HOST_NOTE_FLAGGED;
                accepted++;
            } else if (fate[i] == HOST_NOTE_DUPLICATE) {
                w->dup_flagged++;
                (*duplicates)++;
            }
        }
    }
    free(fate);
out:
    free(tx);
    free(frame);
    free(reply);
    return accepted;
}

void w_host_blacklist(world *w, uint32_t idx)
{
    uint32_t v;
    clock_to(w);
    int rc = host_blacklist_add(w->db, w->sc->serial_base + idx, HOST_BLR_LOST, &v);
    if (rc != 0)
        w_fail(w, SIM_ERR_INVAL, "the platform could not list card %u: %s", idx, host_strerror(rc));
}

uint64_t w_host_unsettled(const world *w)
{
    return w->records_made > w->settled ? w->records_made - w->settled : 0;
}

/* ---- upload ------------------------------------------------------------------------------ */

static void ack_arrives(sim *s, void *arg, uint64_t data)
{
    (void)s;
    world *w = arg;
    w_term *t = &w->terms[(uint32_t)data];
    uint32_t seq = (uint32_t)(data >> 32);
    if (!t->upload_inflight || seq != t->batch_seq)
        return; /* an old batch's acknowledgement */
    size_t k = t->jr_sent;
    memmove(t->jr, t->jr + k, (t->jr_len - k) * sizeof(*t->jr));
    t->jr_len -= k;
    t->jr_sent = 0;
    t->upload_inflight = 0;
    w->backlog -= k;
}

static void batch_arrives(sim *s, void *arg, uint64_t data)
{
    world *w = arg;
    uint32_t ti = (uint32_t)data;
    w_term *t = &w->terms[ti];
    uint32_t seq = (uint32_t)(data >> 32);
    if (seq != t->batch_seq || !w_link_up(w, t->group, sim_now(s)))
        return;
    int dups;
    if (w_host_upload(w, (int)ti, t->jr, t->jr_sent, seq, &dups) < 0)
        return; /* refused or a platform fault: the terminal keeps the batch */
    int lost = 0;
    sim_time d = w_link_delay(w, t->group, &lost);
    if (!lost)
        sim_after(s, d, ack_arrives, w, data, NULL);
}

static void upload_tick(sim *s, void *arg, uint64_t ti)
{
    world *w = arg;
    w_term *t = &w->terms[ti];
    const scn_group *g = &w->sc->groups[t->group];
    if (sim_now(s) < w->sc->end + w->sc->drain)
        sim_after(s, g->upload_every, upload_tick, w, ti, NULL);
    if (t->jr_len == 0 || !w_link_up(w, t->group, sim_now(s)))
        return;
    /* A batch still unacknowledged is sent again with the same sequence and content;
     * records made since go in the next one. */
    if (!t->upload_inflight) {
        t->jr_sent = t->jr_len;
        t->batch_seq++;
        t->upload_inflight = 1;
    }
    int lost = 0;
    sim_time d = w_link_delay(w, t->group, &lost);
    if (!lost)
        sim_after(s, d, batch_arrives, w, ti | (uint64_t)t->batch_seq << 32, NULL);
}

void w_host_close_day(world *w)
{
    /* Close of service: every terminal whose link is up sends what it still holds,
     * retrying a few times, as terminals do before they shut down for the night. */
    sim_time now = sim_now(w->s);
    for (int i = 0; i < w->nterms; i++) {
        w_term *t = &w->terms[i];
        for (int tries = 0; tries < 3 && t->jr_len > 0 && w_link_up(w, t->group, now); tries++) {
            if (!t->upload_inflight) {
                t->jr_sent = t->jr_len;
                t->batch_seq++;
                t->upload_inflight = 1;
            }
            int dups;
            if (w_host_upload(w, i, t->jr, t->jr_sent, t->batch_seq, &dups) >= 0)
                ack_arrives(w->s, w, (uint64_t)i | (uint64_t)t->batch_seq << 32);
        }
    }
}

/* ---- blacklist distribution ---------------------------------------------------------- */

/* A terminal's list after a reply: the platform sends a full list or the changes. */
static void bl_apply(world *w, w_term *t, const host_msg *m)
{
    const host_msg_bl_reply *r = &m->u.bl_reply;
    if (r->status != 0 || r->kind == HOST_BL_CURRENT)
        return;
    if (r->kind == HOST_BL_LIST)
        t->nbl = 0;
    for (uint32_t i = 0; i < r->count; i++) {
        host_bl_entry e;
        if (host_proto_bl_entry(m, i, &e) != 0)
            continue;
        size_t k = 0;
        while (k < t->nbl && t->bl[k] != e.serial)
            k++;
        if (e.op == HOST_BL_REMOVE) {
            if (k < t->nbl)
                t->bl[k] = t->bl[--t->nbl];
        } else if (k == t->nbl) {
            if (t->nbl == t->capbl) {
                size_t cap = t->capbl ? 2 * t->capbl : 8;
                uint64_t *nb = realloc(t->bl, cap * sizeof(*nb));
                if (nb == NULL) {
                    w_fail(w, SIM_ERR_NOMEM, "out of memory for a blacklist");
                    return;
                }
                t->bl = nb;
                t->capbl = cap;
            }
            t->bl[t->nbl++] = e.serial;
        }
    }
    t->bl_version = r->to_version;
}

static void bl_round_trip(sim *s, void *arg, uint64_t ti)
{
    world *w = arg;
    w_term *t = &w->terms[ti];
    if (!w_link_up(w, t->group, sim_now(s)))
        return;
    host_msg_bl_req req = {tid_number(t->tid), t->bl_version, HOST_BL_DELTA};
    uint8_t frame[64], *reply = NULL;
    size_t len;
    host_msg m;
    if (host_proto_encode_bl_req(++w->msg_id, &req, frame, sizeof(frame), &len) == 0 &&
        exchange(w, frame, len, &m, &reply) == 0 && m.type == HOST_MSG_BL_REPLY) {
        /* The reply crosses the link back; lost, the terminal asks again next time. */
        int lost = 0;
        w_link_delay(w, t->group, &lost);
        if (!lost && !(w->opts->faults & SIM_FAULT_BLACKLIST_LOST))
            bl_apply(w, t, &m);
    }
    free(reply);
}

static void bl_tick(sim *s, void *arg, uint64_t ti)
{
    world *w = arg;
    w_term *t = &w->terms[ti];
    const scn_group *g = &w->sc->groups[t->group];
    if (sim_now(s) < w->sc->end + w->sc->drain)
        sim_after(s, g->blacklist_every, bl_tick, w, ti, NULL);
    if (!w_link_up(w, t->group, sim_now(s)))
        return;
    int lost = 0;
    sim_time d = w_link_delay(w, t->group, &lost);
    if (!lost)
        sim_after(s, d, bl_round_trip, w, ti, NULL);
}

int w_host_start(world *w)
{
    for (int i = 0; i < w->nterms; i++) {
        w_term *t = &w->terms[i];
        const scn_group *g = &w->sc->groups[t->group];
        /* Each terminal starts its cycles at its own phase. */
        sim_time up = w->sc->start + (sim_time)(sim_rng_uniform(&t->rng) * (double)g->upload_every);
        sim_time bl =
            w->sc->start + (sim_time)(sim_rng_uniform(&t->rng) * (double)g->blacklist_every);
        int rc;
        if ((rc = sim_schedule(w->s, up, upload_tick, w, (uint64_t)i, NULL)) != 0 ||
            (rc = sim_schedule(w->s, bl, bl_tick, w, (uint64_t)i, NULL)) != 0)
            return rc;
    }
    return 0;
}
