/*
 * obol core: hooks and actions on a running world (sim_world.h). Callers' code — the
 * Python binding's attackers and riders, tests — sees the world's events through one
 * hook per kind and acts through a few actions that reuse the world's own flows: a tap
 * is w_term_tap(), a replay is the attacker's w_attack_once(), a blacklist entry is the
 * host's. Actions are refused while hooks nest too deep (each level holds a
 * transaction's buffers on the stack) and once the run is over (the checks measure a
 * world that no longer changes).
 */
#include <stdio.h>
#include <string.h>

#include "obol/host_blacklist.h"
#include "world_internal.h"

void w_hook_emit(world *w, const sim_hook_event *ev)
{
    if (ev->kind < 0 || ev->kind >= SIM_HOOK_COUNT || w->hooks[ev->kind].fn == NULL)
        return;
    w->hook_depth++;
    w->hooks[ev->kind].fn(w, ev, w->hooks[ev->kind].ctx);
    w->hook_depth--;
}

void w_hook_settle(world *w, int ti, int rc, uint32_t records, uint32_t duplicates,
                   uint32_t rejected)
{
    if (!w_hooked(w, SIM_HOOK_SETTLE))
        return;
    sim_hook_event ev = {.kind = SIM_HOOK_SETTLE,
                         .at = sim_now(w->s),
                         .card = -1,
                         .terminal = ti,
                         .group = w->terms[ti].group,
                         .result = rc,
                         .records = records,
                         .duplicates = duplicates,
                         .rejected = rejected};
    w_hook_emit(w, &ev);
}

void w_hook_blacklist(world *w, int ti)
{
    if (!w_hooked(w, SIM_HOOK_BLACKLIST))
        return;
    sim_hook_event ev = {.kind = SIM_HOOK_BLACKLIST,
                         .at = sim_now(w->s),
                         .card = -1,
                         .terminal = ti,
                         .group = w->terms[ti].group,
                         .result = (int)w->terms[ti].bl_version};
    w_hook_emit(w, &ev);
}

int sim_world_set_hook(sim_world *w, sim_hook_kind kind, sim_hook_fn fn, void *ctx)
{
    if ((int)kind < 0 || kind >= SIM_HOOK_COUNT)
        return SIM_ERR_INVAL;
    w->hooks[kind].fn = fn;
    w->hooks[kind].ctx = ctx;
    return 0;
}

sim *sim_world_sim(sim_world *w)
{
    return w->s;
}

const scenario *sim_world_scenario(const sim_world *w)
{
    return w->sc;
}

void sim_world_get_stats(const sim_world *w, sim_world_stats *out)
{
    out->taps = w->taps;
    out->events = w->s != NULL ? sim_fired(w->s) : 0;
    out->cards = 0;
    for (uint32_t i = 0; w->cards != NULL && i < w->ncards; i++)
        out->cards += w->cards[i].nvm != NULL;
}

int sim_world_terminals(const sim_world *w)
{
    return w->nterms;
}

int sim_world_terminal(const sim_world *w, int ti, sim_world_terminal_info *out)
{
    if (ti < 0 || ti >= w->nterms)
        return SIM_ERR_INVAL;
    const w_term *t = &w->terms[ti];
    out->group = t->group;
    out->station = t->station;
    out->index = t->index;
    memcpy(out->tid, t->tid, sizeof(out->tid));
    return 0;
}

/* Whether an action may run now: not after the run, not from hooks nested too deep,
 * not once the world has failed. */
static int may_act(const world *w)
{
    if (w->reporting || w->hook_depth > SIM_WORLD_HOOK_DEPTH)
        return SIM_ERR_RANGE;
    return w->err;
}

int sim_world_tap(sim_world *w, int ti, uint64_t card, sim_tap_kind kind, uint32_t amount,
                  int *result, sim_time *duration)
{
    int rc = may_act(w);
    if (rc != 0)
        return rc;
    if (ti < 0 || ti >= w->nterms || card >= w->ncards || kind < SIM_TAP_ENTRY ||
        kind > SIM_TAP_PURCHASE)
        return SIM_ERR_INVAL;
    sim_time dur = 0;
    /* The sim_tap_kind values are the world's W_TAP_* values. */
    int r = w_term_tap(w, ti, (uint32_t)card, (int)kind, amount, sim_now(w->s), &dur);
    if (w->err != 0)
        return w->err;
    if (result != NULL)
        *result = r;
    if (duration != NULL)
        *duration = dur;
    return 0;
}

int sim_world_replay(sim_world *w, scn_attack kind, int *result)
{
    int rc = may_act(w);
    if (rc != 0)
        return rc;
    if ((int)kind < 0 || kind > SCN_REPLAY_HOST)
        return SIM_ERR_INVAL;
    int r = w_attack_once(w, kind);
    if (r == SIM_ERR_NOENT)
        return r;
    if (w->err != 0)
        return w->err;
    if (result != NULL)
        *result = r;
    return 0;
}

int sim_world_set_capture(sim_world *w, int on)
{
    int rc = may_act(w);
    if (rc != 0)
        return rc;
    w->capture_on = on != 0;
    return 0;
}

int sim_world_blacklist(sim_world *w, uint64_t card)
{
    int rc = may_act(w);
    if (rc != 0)
        return rc;
    if (card >= w->ncards)
        return SIM_ERR_INVAL;
    /* The platform refuses to list a listed card (HOST_ERR_DUPLICATE). */
    if (host_blacklist_contains(w->db, w->sc->serial_base + card, NULL) == 1)
        return 0;
    /* A card is issued at the platform when it is made, and issuing it activates it,
     * which takes it off the blacklist: make it first, as the timeline's events do. */
    if ((rc = w_card_ensure(w, (uint32_t)card)) != 0)
        return w->err != 0 ? w->err : rc;
    w_host_blacklist(w, (uint32_t)card);
    return w->err;
}

int sim_world_card_session(sim_world *w, uint64_t card,
                           int (*fn)(void *ctx, cos_card *card_os, uint64_t now_us), void *ctx)
{
    int rc = may_act(w);
    if (rc != 0)
        return rc;
    if (card >= w->ncards || fn == NULL)
        return SIM_ERR_INVAL;
    sim_time el;
    sim_time now = sim_now(w->s);
    if ((rc = w_card_enter(w, (uint32_t)card, COS_IF_CONTACTLESS, now, &el)) != 0) {
        if (w->err != 0)
            return w->err;
        w_card_leave(w);
        return rc;
    }
    /* The session's hooks cannot act: the card is in this field. */
    w->hook_depth += SIM_WORLD_HOOK_DEPTH + 1;
    rc = fn(ctx, &w->live.card, (uint64_t)((now + el) / SIM_US));
    w->hook_depth -= SIM_WORLD_HOOK_DEPTH + 1;
    w_card_leave(w);
    return rc != 0 ? rc : w->err;
}

void sim_world_fail(sim_world *w, const char *msg)
{
    w_fail(w, SIM_ERR_INVAL, "%s", msg != NULL ? msg : "stopped by a hook");
}
