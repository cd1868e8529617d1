/*
 * obol core: the replay attacker. A sniffer at a gate records legitimate exchanges
 * (and, having had the card in hand before, a clone of its NVM image). At the
 * timeline's attack times it replays them:
 *   replay-card      to a clone of the card: SELECT, the recorded INITIALIZE, then the
 *                    recorded DEBIT FOR PURCHASE. The card must refuse (9302): its new
 *                    random gives a new SESPK, so the old MAC1 does not verify.
 *   replay-terminal  a fake card answers a gate with the recorded responses (old
 *                    random and counter, old TAC and MAC2). The PSAM must refuse the
 *                    stale MAC2 in CREDIT SAM FOR PURCHASE: the terminal transaction
 *                    number is new, so is SESPK.
 *   replay-host      the recorded transaction record is uploaded again. The host must
 *                    recognize (card, counter) and settle nothing.
 * Each attempt is "accepted" when the target approved it and "detected" when the
 * target refused it with the error that names a replay (MAC, duplicate).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world_internal.h"

static const uint8_t purse_aid[9] = {0xA0, 0x00, 0x00, 0x00, 0x03, 0x86, 0x98, 0x07, 0x01};

void w_attack_capture(world *w, const w_capture *c)
{
    size_t n = sizeof(w->cap) / sizeof(w->cap[0]);
    w_capture *slot = &w->cap[w->ncap % n];
    free(slot->nvm_before);
    *slot = *c;
    slot->used = 1;
    w->ncap++;
}

static uint16_t tx(world *w, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t *rlen)
{
    uint8_t r[300];
    size_t n = 0;
    if (cos_transmit(&w->live.card, 0, cmd, len, r, sizeof(r), &n) != 0 || n < 2)
        return 0;
    w_trace_apdu(w, "card", cmd, len, r, n, 0);
    if (rsp != NULL)
        memcpy(rsp, r, n - 2);
    if (rlen != NULL)
        *rlen = n - 2;
    return (uint16_t)(r[n - 2] << 8 | r[n - 1]);
}

/* The recorded command with INS, or NULL. */
static const w_pair *pair(const w_capture *c, uint8_t ins)
{
    for (int i = 0; i < c->npairs; i++)
        if (c->pairs[i].cmd[1] == ins)
            return &c->pairs[i];
    return NULL;
}

/* Returns 1 accepted, 0 refused and detected, -1 refused without a replay alarm. */
static int replay_card(world *w, const w_capture *c)
{
    const w_pair *init = pair(c, 0x50), *debit = pair(c, 0x54);
    if (init == NULL || debit == NULL)
        return -1;
    uint8_t *scratch = malloc(w->sc->nvm_size);
    if (scratch == NULL || w_clone_enter(w, c->card, c->nvm_before, scratch) != 0) {
        free(scratch);
        return -1;
    }
    uint8_t cmd[16], r[64];
    size_t n;
    memcpy(cmd, "\x00\xA4\x04\x00\x09", 5);
    memcpy(cmd + 5, purse_aid, 9);
    int res = -1;
    if (tx(w, cmd, 14, r, &n) == 0x9000 && tx(w, init->cmd, init->clen, r, &n) == 0x9000) {
        uint16_t sw = tx(w, debit->cmd, debit->clen, r, &n);
        res = sw == 0x9000 ? 1 : sw == 0x9302 ? 0 : -1;
        w_trace(w, "replayed DEBIT FOR PURCHASE: %s (SW %04X)\n", res == 1 ? "ACCEPTED" : "refused",
                sw);
    }
    w_card_leave(w);
    free(scratch);
    return res;
}

/* A fake card answers the same gate with the recorded responses: old random and
 * counter, old TAC and MAC2. The PSAM must refuse the stale MAC2; a terminal that lets
 * the rider through anyway accepted the replay (the host will refuse the TAC later). */
static int replay_terminal(world *w, const w_capture *c)
{
    term_result res;
    int rc = w_term_fake_tap(w, c->term, c, &res);
    int mac2_refused = (res.flags & TERM_F_MAC2_BAD) != 0;
    int opened = res.status == TERM_APPROVED;
    w_trace(w, "replayed card responses to terminal %012llX: %s%s (%s)\n",
            (unsigned long long)w_term_id(c->term), opened ? "the gate OPENED" : "refused",
            mac2_refused ? ", the PSAM refused MAC2" : "",
            rc == 0 ? term_reason_str(res.reason) : term_strerror(rc));
    if (opened)
        return 1;
    return mac2_refused || res.status == TERM_DECLINED ? 0 : -1;
}

int w_attack_once(world *w, scn_attack kind)
{
    size_t have = w->ncap < 64 ? w->ncap : 64;
    if (have == 0)
        return SIM_ERR_NOENT;
    const w_capture *c = &w->cap[sim_rng_below(&w->atk_rng, have)];
    if (kind == SCN_REPLAY_HOST) {
        /* The attacker replays what it saw go to the host: a record already uploaded. */
        size_t k0 = (size_t)sim_rng_below(&w->atk_rng, have), i = 0;
        while (i < have &&
               w->terms[w->cap[(k0 + i) % have].term].last_upload < w->cap[(k0 + i) % have].at)
            i++;
        if (i == have)
            return SIM_ERR_NOENT;
        c = &w->cap[(k0 + i) % have];
    }
    w->replay_attempts++;
    w_trace_reset(w);
    int res;
    if (kind == SCN_REPLAY_CARD) {
        res = replay_card(w, c);
    } else if (kind == SCN_REPLAY_TERMINAL) {
        res = replay_terminal(w, c);
    } else {
        /* The record again, in a batch of its own from the same terminal id. */
        int dups = 0;
        int r = w_host_upload(w, c->term, &c->rec, 1, 0x80000000u + (uint32_t)w->replay_attempts,
                              &dups);
        res = r == 1 ? 1 : dups == 1 ? 0 : -1;
        w_trace(w, "re-uploaded the record of card %llu, counter %u: %s\n",
                (unsigned long long)(w->sc->serial_base + c->card), c->rec.counter,
                res == 1 ? "SETTLED AGAIN" : "flagged as a duplicate");
    }
    w->replay_kind_tries[kind]++;
    if (res == 1) {
        w->replay_accepted++;
        w->replay_kind_accepted[kind]++;
    }
    if (res != 0)
        w->replay_undetected += res < 0;
    /* The report shows the first accepted replay, else the first attempt. */
    char *tr = w->trace_replay[kind];
    if ((res == 1 && !w->replay_trace_accepted[kind]) || tr[0] == '\0') {
        w_trace_text(w);
        size_t cap = sizeof(w->trace_replay[0]);
        size_t len = w->trace_len < cap - 1 ? w->trace_len : cap - 1;
        memcpy(tr, w->trace_cur, len);
        tr[len] = '\0';
        w->replay_trace_accepted[kind] = res == 1;
    }
    if (w_hooked(w, SIM_HOOK_ATTACK)) {
        int ti = kind == SCN_REPLAY_TERMINAL ? c->term : -1;
        sim_hook_event ev = {.kind = SIM_HOOK_ATTACK,
                             .at = sim_now(w->s),
                             .card = c->card,
                             .terminal = ti,
                             .group = ti >= 0 ? w->terms[ti].group : -1,
                             .result = res,
                             .amount = c->rec.amount,
                             .replay = (int)kind};
        w_hook_emit(w, &ev);
    }
    return res;
}

static void attack(sim *s, void *arg, uint64_t data)
{
    world *w = arg;
    const scn_event *e = &w->sc->events[(uint32_t)data];
    uint32_t k = (uint32_t)(data >> 32);
    if (k + 1 < e->count)
        sim_after(s, e->every, attack, w, (uint32_t)data | (uint64_t)(k + 1) << 32, NULL);
    (void)w_attack_once(w, e->attack);
}

int w_attack_start(world *w)
{
    sim_rng_init(&w->atk_rng, w->seed, W_STREAM_ATTACK);
    for (size_t i = 0; i < w->sc->nevents; i++) {
        const scn_event *e = &w->sc->events[i];
        if (e->kind != SCN_EV_ATTACK)
            continue;
        w->capture_on = 1;
        int rc =
            sim_schedule(w->s, e->at < w->sc->start ? w->sc->start : e->at, attack, w, i, NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}
