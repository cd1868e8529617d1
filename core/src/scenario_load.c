/*
 * obol core: the scenario loader. After schema validation (scenario_xml.c) this walks
 * the tree into the scenario model (scenario.h) and checks what the schema cannot:
 * references between elements (a terminal group's link, a lost card's group), time
 * order (start < end, rates increasing, outages within the day), card indexes within
 * the population, and that every check's metric is known. Messages name file:line.
 */
#include <libxml/tree.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/sim_world.h"
#include "scenario_internal.h"

int scn_parse_clock(const char *s, sim_time *out)
{
    unsigned h, m, sec = 0;
    char tail;
    int n = sscanf(s, "%u:%u:%u%c", &h, &m, &sec, &tail);
    if (n != 2 && n != 3)
        return -1;
    if (m > 59 || sec > 59 || h > 47)
        return -1;
    *out = (sim_time)h * SIM_HOUR + (sim_time)m * SIM_MIN + (sim_time)sec * SIM_S;
    return 0;
}

int scn_parse_duration(const char *s, sim_time *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v >= 0))
        return -1;
    double unit = strcmp(end, "ms") == 0  ? (double)SIM_MS
                  : strcmp(end, "s") == 0 ? (double)SIM_S
                  : strcmp(end, "m") == 0 ? (double)SIM_MIN
                  : strcmp(end, "h") == 0 ? (double)SIM_HOUR
                                          : -1;
    if (unit < 0)
        return -1;
    *out = (sim_time)llround(v * unit);
    return 0;
}

int scn_terminals(const scenario *sc)
{
    int n = 0;
    for (size_t i = 0; i < sc->ngroups; i++)
        n += sc->groups[i].stations * sc->groups[i].per_station;
    return n;
}

void scn_free(scenario *sc)
{
    free(sc->description);
    for (size_t i = 0; i < sc->nlinks; i++)
        free(sc->links[i].outage);
    free(sc->links);
    free(sc->groups);
    free(sc->rates);
    free(sc->events);
    free(sc->checks);
    memset(sc, 0, sizeof(*sc));
}

/* Copies S into D of CAP bytes, cutting it (names are checked by the schema). */
static void cpy(char *d, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap)
        n = cap - 1;
    memcpy(d, s, n);
    d[n] = '\0';
}

typedef struct ld {
    scenario *sc;
    const char *path;
    char dir[SCN_PATH_MAX];
    char *err;
    size_t errlen;
} ld;

/* Attribute accessors; attributes the schema makes required or defaults are present
 * after validation, so a NULL here is a schema/loader mismatch. */
static const char *S(xmlNodePtr n, const char *name, char *buf, size_t cap)
{
    const char *v = scn__attr(n, name, buf, cap);
    return v ? v : "";
}

static double D(xmlNodePtr n, const char *name)
{
    char b[64];
    return strtod(S(n, name, b, sizeof(b)), NULL);
}

static uint64_t U(xmlNodePtr n, const char *name)
{
    char b[64];
    return strtoull(S(n, name, b, sizeof(b)), NULL, 10);
}

static int bad(ld *l, xmlNodePtr n, const char *fmt, const char *a, const char *b)
{
    char msg[1400];
    snprintf(msg, sizeof(msg), fmt, a, b);
    scn__err(l->err, l->errlen, "%s:%ld: %s", l->path, n ? xmlGetLineNo(n) : 1L, msg);
    return SCN_ERR_VALUE;
}

static int clock_attr(ld *l, xmlNodePtr n, const char *name, sim_time *out)
{
    char b[64];
    if (scn_parse_clock(S(n, name, b, sizeof(b)), out) != 0)
        return bad(l, n, "attribute '%s': expected a time of day hh:mm[:ss], not '%s'", name, b);
    return 0;
}

static int dur_attr(ld *l, xmlNodePtr n, const char *name, sim_time *out)
{
    char b[64];
    if (scn_parse_duration(S(n, name, b, sizeof(b)), out) != 0)
        return bad(l, n, "attribute '%s': expected a duration like 500ms, 90s, 15m, 2h, not '%s'",
                   name, b);
    return 0;
}

/* Loads a profile file named relative to the scenario's directory. */
static int profile(ld *l, xmlNodePtr n, const char *attr, const char *kind, void *out)
{
    char rel[SCN_PATH_MAX], full[2 * SCN_PATH_MAX + 2];
    full[0] = '\0';
    S(n, attr, rel, sizeof(rel));
    if (rel[0] == '/')
        snprintf(full, sizeof(full), "%s", rel);
    else
        snprintf(full, sizeof(full), "%s/%s", l->dir, rel);
    char sub[1200];
    int rc = scn__profile(full, kind, out, sub, sizeof(sub));
    if (rc != 0) {
        scn__err(l->err, l->errlen, "%s:%ld: %s profile '%s': %s", l->path, xmlGetLineNo(n), kind,
                 rel, sub);
        return rc == SCN_ERR_IO ? SCN_ERR_VALUE : rc;
    }
    return 0;
}

/* A card profile: a bare name is looked up by the profile loader in profiles/; a
 * path (with '/') is taken relative to the scenario's directory. */
static void card_profile(ld *l, const char *v, char *out, size_t cap)
{
    char full[2 * SCN_PATH_MAX + 2];
    if (strchr(v, '/') != NULL && v[0] != '/')
        snprintf(full, sizeof(full), "%s/%s", l->dir, v);
    else
        snprintf(full, sizeof(full), "%s", v);
    cpy(out, cap, full);
}

static int find_link(const scenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->nlinks; i++)
        if (strcmp(sc->links[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int find_group(const scenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->ngroups; i++)
        if (strcmp(sc->groups[i].name, name) == 0)
            return (int)i;
    return -1;
}

static size_t count(xmlNodePtr parent, const char *name)
{
    size_t n = 0;
    for (xmlNodePtr c = scn__child(parent, name); c != NULL; c = scn__next(c, name))
        n++;
    return n;
}

static int timing(ld *l, xmlNodePtr t)
{
    scenario *sc = l->sc;
    xmlNodePtr chip = scn__child(t, "chip"), air = scn__child(t, "air"),
               con = scn__child(t, "contact");
    int rc;
    if ((rc = profile(l, chip, "card", "chip", &sc->card_chip)) != 0 ||
        (rc = profile(l, chip, "psam", "chip", &sc->psam_chip)) != 0 ||
        (rc = profile(l, air, "profile", "air", &sc->air)) != 0 ||
        (rc = profile(l, con, "profile", "contact", &sc->psam_slot)) != 0)
        return rc;
    sc->bitrate = (int)U(air, "bitrate");
    return 0;
}

static int topology(ld *l, xmlNodePtr t)
{
    scenario *sc = l->sc;
    char b[SCN_PATH_MAX];
    xmlNodePtr host = scn__child(t, "host");
    cpy(sc->host_name, sizeof(sc->host_name), S(host, "name", b, sizeof(b)));
    sc->host_process_ms = D(host, "process-ms");

    size_t nl = count(t, "link"), ng = count(t, "terminals");
    sc->links = calloc(nl, sizeof(*sc->links));
    sc->groups = calloc(ng, sizeof(*sc->groups));
    if (sc->links == NULL || sc->groups == NULL)
        return SCN_ERR_NOMEM;
    for (xmlNodePtr n = scn__child(t, "link"); n != NULL; n = scn__next(n, "link")) {
        scn_link *lk = &sc->links[sc->nlinks];
        S(n, "name", b, sizeof(b));
        if (find_link(sc, b) >= 0)
            return bad(l, n, "link '%s' is defined twice%s", b, "");
        cpy(lk->name, sizeof(lk->name), b);
        sc->nlinks++;
        lk->latency_ms = D(n, "latency-ms");
        lk->jitter_ms = D(n, "jitter-ms");
        lk->loss = D(n, "loss");
        size_t no = count(n, "outage");
        lk->outage = calloc(no ? no : 1, sizeof(*lk->outage));
        if (lk->outage == NULL)
            return SCN_ERR_NOMEM;
        for (xmlNodePtr o = scn__child(n, "outage"); o != NULL; o = scn__next(o, "outage")) {
            scn_window *w = &lk->outage[lk->noutage++];
            int rc;
            if ((rc = clock_attr(l, o, "from", &w->from)) != 0 ||
                (rc = clock_attr(l, o, "to", &w->to)) != 0)
                return rc;
            if (w->to <= w->from)
                return bad(l, o, "outage: 'to' must come after 'from'%s%s", "", "");
        }
    }
    for (xmlNodePtr n = scn__child(t, "terminals"); n != NULL; n = scn__next(n, "terminals")) {
        scn_group *g = &sc->groups[sc->ngroups];
        S(n, "name", b, sizeof(b));
        if (find_group(sc, b) >= 0)
            return bad(l, n, "terminal group '%s' is defined twice%s", b, "");
        cpy(g->name, sizeof(g->name), b);
        sc->ngroups++;
        g->line = (int)xmlGetLineNo(n);
        S(n, "kind", b, sizeof(b));
        g->kind = strcmp(b, "gate") == 0  ? SCN_GATE
                  : strcmp(b, "pos") == 0 ? SCN_POS
                  : strcmp(b, "stb") == 0 ? SCN_STB
                                          : SCN_DUAL;
        uint64_t st = U(n, "stations"), per = U(n, "per-station");
        if (st > 1000 || per > 1000 || st * per > 20000)
            return bad(l, n,
                       "terminal group '%s': at most 1000 stations, 1000 per station and "
                       "20000 terminals%s",
                       g->name, "");
        g->stations = (int)st;
        g->per_station = (int)per;
        card_profile(l, S(n, "psam", b, sizeof(b)), g->psam_profile, sizeof(g->psam_profile));
        S(n, "interface", b, sizeof(b));
        g->iface = strcmp(b, "contact") == 0 ? SCN_IF_CONTACT
                   : strcmp(b, "dual") == 0  ? SCN_IF_DUAL
                                             : SCN_IF_CONTACTLESS;
        S(n, "link", b, sizeof(b));
        if ((g->link = find_link(sc, b)) < 0)
            return bad(l, n, "attribute 'link': no <link name=\"%s\"> in the topology%s", b, "");
        int rc;
        if ((rc = dur_attr(l, n, "upload-every", &g->upload_every)) != 0 ||
            (rc = dur_attr(l, n, "blacklist-every", &g->blacklist_every)) != 0)
            return rc;
        if (g->upload_every < SIM_S || g->blacklist_every < SIM_S)
            return bad(l, n, "upload-every and blacklist-every must be at least 1s%s%s", "", "");
        if ((rc = profile(l, n, "terminal", "terminal", &g->term)) != 0)
            return rc;
        if (scn__attr(n, "card-contact", b, sizeof(b)) != NULL) {
            if ((rc = profile(l, n, "card-contact", "contact", &g->card_slot)) != 0)
                return rc;
            g->has_card_slot = 1;
        }
        if (g->iface != SCN_IF_CONTACTLESS && !g->has_card_slot)
            return bad(l, n,
                       "terminal group '%s': a contact or dual interface needs "
                       "'card-contact' (the card slot's contact profile)%s",
                       g->name, "");
    }
    return 0;
}

static int riders(ld *l, xmlNodePtr r)
{
    scenario *sc = l->sc;
    char b[64];
    size_t nr = count(r, "rate");
    sc->rates = calloc(nr, sizeof(*sc->rates));
    if (sc->rates == NULL)
        return SCN_ERR_NOMEM;
    for (xmlNodePtr n = scn__child(r, "rate"); n != NULL; n = scn__next(n, "rate")) {
        scn_rate *rt = &sc->rates[sc->nrates];
        int rc = clock_attr(l, n, "at", &rt->at);
        if (rc != 0)
            return rc;
        if (sc->nrates > 0 && rt->at <= sc->rates[sc->nrates - 1].at)
            return bad(l, n, "rate breakpoints must increase in time%s%s", "", "");
        rt->per_min = D(n, "per-min");
        sc->nrates++;
    }
    xmlNodePtr n;
    if ((n = scn__child(r, "trip")) != NULL) {
        sc->has_trip = 1;
        sc->od_gravity = strcmp(S(n, "od", b, sizeof(b)), "gravity") == 0;
        sc->fare_base = (uint32_t)U(n, "fare-base");
        sc->fare_per_station = (uint32_t)U(n, "fare-per-station");
        sc->fare_max = (uint32_t)U(n, "fare-max");
        int rc = dur_attr(l, n, "ride-per-station", &sc->ride_per_station);
        if (rc != 0)
            return rc;
    }
    if ((n = scn__child(r, "amount")) != NULL) {
        sc->has_amount = 1;
        sc->amount_min = (uint32_t)U(n, "min");
        sc->amount_max = (uint32_t)U(n, "max");
        if (sc->amount_max < sc->amount_min)
            return bad(l, n, "amount: max must be >= min%s%s", "", "");
    }
    n = scn__child(r, "approach");
    sc->approach_ms = D(n, "median-ms");
    sc->approach_sigma = D(n, "sigma");
    n = scn__child(r, "pass");
    sc->pass_ms = D(n, "median-ms");
    sc->pass_sigma = D(n, "sigma");
    if ((n = scn__child(r, "tap-failure")) != NULL)
        sc->tap_fail_p = D(n, "p");
    if ((n = scn__child(r, "early-removal")) != NULL)
        sc->early_removal_p = D(n, "p");
    return 0;
}

static int timeline(ld *l, xmlNodePtr t)
{
    scenario *sc = l->sc;
    char b[64];
    size_t ne = count(t, NULL);
    sc->events = calloc(ne ? ne : 1, sizeof(*sc->events));
    if (sc->events == NULL)
        return SCN_ERR_NOMEM;
    for (xmlNodePtr n = scn__child(t, NULL); n != NULL; n = scn__next(n, NULL)) {
        scn_event *e = &sc->events[sc->nevents++];
        const char *k = (const char *)n->name;
        e->line = (int)xmlGetLineNo(n);
        int rc = 0;
        if (strcmp(k, "host-outage") == 0) {
            e->kind = SCN_EV_HOST_OUTAGE;
            if ((rc = clock_attr(l, n, "from", &e->at)) != 0 ||
                (rc = clock_attr(l, n, "to", &e->until)) != 0)
                return rc;
            if (e->until <= e->at)
                return bad(l, n, "host-outage: 'to' must come after 'from'%s%s", "", "");
            continue;
        }
        if ((rc = clock_attr(l, n, "at", &e->at)) != 0)
            return rc;
        if (strcmp(k, "lost-card") == 0 || strcmp(k, "blacklist") == 0) {
            e->kind = k[0] == 'l' ? SCN_EV_LOST_CARD : SCN_EV_BLACKLIST;
            e->card = U(n, "card");
            if (e->card >= sc->cards)
                return bad(l, n, "attribute 'card': index %s is not below the population (%s)",
                           S(n, "card", b, sizeof(b)), "cards/@count");
            if (e->kind == SCN_EV_LOST_CARD) {
                if ((e->group = find_group(sc, S(n, "on", b, sizeof(b)))) < 0)
                    return bad(l, n, "attribute 'on': no terminal group named '%s'%s", b, "");
                if ((rc = dur_attr(l, n, "every", &e->every)) != 0)
                    return rc;
                if (e->every < SIM_S)
                    return bad(l, n, "attribute 'every' must be at least 1s%s%s", "", "");
                e->amount = (uint32_t)U(n, "amount");
            }
        } else if (strcmp(k, "ota") == 0) {
            e->kind = SCN_EV_OTA;
            S(n, "campaign", e->name, sizeof(e->name));
            e->count = (uint32_t)U(n, "cards");
            if (e->count > sc->cards)
                return bad(l, n, "ota: campaign of %s cards is larger than the population%s",
                           S(n, "cards", b, sizeof(b)), "");
            e->p = D(n, "tear");
        } else if (strcmp(k, "key-rotation") == 0) {
            e->kind = SCN_EV_KEY_ROTATION;
            e->key_index = (uint32_t)U(n, "key-index");
        } else {
            e->kind = SCN_EV_ATTACK;
            S(n, "kind", b, sizeof(b));
            e->attack = strcmp(b, "replay-card") == 0       ? SCN_REPLAY_CARD
                        : strcmp(b, "replay-terminal") == 0 ? SCN_REPLAY_TERMINAL
                                                            : SCN_REPLAY_HOST;
            e->count = (uint32_t)U(n, "count");
            if ((rc = dur_attr(l, n, "every", &e->every)) != 0)
                return rc;
        }
    }
    return 0;
}

static int checks(ld *l, xmlNodePtr c)
{
    scenario *sc = l->sc;
    char b[128];
    size_t nc = count(c, "check");
    sc->checks = calloc(nc, sizeof(*sc->checks));
    if (sc->checks == NULL)
        return SCN_ERR_NOMEM;
    for (xmlNodePtr n = scn__child(c, "check"); n != NULL; n = scn__next(n, "check")) {
        scn_check *k = &sc->checks[sc->nchecks++];
        k->line = (int)xmlGetLineNo(n);
        S(n, "id", k->id, sizeof(k->id));
        S(n, "metric", b, sizeof(b));
        if (!sim_world_metric_known(b))
            return bad(l, n,
                       "attribute 'metric': unknown metric '%s' (see 'obol list "
                       "--metrics')%s",
                       b, "");
        cpy(k->metric, sizeof(k->metric), b);
        S(n, "op", k->op, sizeof(k->op));
        k->value = D(n, "value");
    }
    return 0;
}

int scn_load(scenario *sc, const char *path, char *err, size_t errlen)
{
    memset(sc, 0, sizeof(*sc));
    ld l = {sc, path, "", err, errlen};
    cpy(sc->path, sizeof(sc->path), path);
    cpy(l.dir, sizeof(l.dir), path);
    char *slash = strrchr(l.dir, '/');
    if (slash != NULL)
        *slash = '\0';
    else
        cpy(l.dir, sizeof(l.dir), ".");

    xmlDocPtr doc;
    int rc = scn__read(path, "scenario.xsd", &doc, err, errlen);
    if (rc != 0)
        return rc;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    char b[SCN_PATH_MAX];
    S(root, "name", sc->name, sizeof(sc->name));
    xmlNodePtr n = scn__child(root, "description");
    xmlChar *desc = xmlNodeGetContent(n);
    /* Collapse the description's whitespace to single spaces. */
    if (desc != NULL) {
        size_t len = strlen((const char *)desc), o = 0;
        sc->description = malloc(len + 1);
        if (sc->description == NULL) {
            xmlFree(desc);
            rc = SCN_ERR_NOMEM;
            goto out;
        }
        int space = 1;
        for (size_t i = 0; i < len; i++) {
            char ch = (char)desc[i];
            if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') {
                if (!space)
                    sc->description[o++] = ' ';
                space = 1;
            } else {
                sc->description[o++] = ch;
                space = 0;
            }
        }
        while (o > 0 && sc->description[o - 1] == ' ')
            o--;
        sc->description[o] = '\0';
        xmlFree(desc);
    }
    n = scn__child(root, "seed");
    xmlChar *seed = xmlNodeGetContent(n);
    sc->seed = seed ? strtoull((const char *)seed, NULL, 10) : 0;
    xmlFree(seed);
    n = scn__child(root, "clock");
    if ((rc = clock_attr(&l, n, "start", &sc->start)) != 0 ||
        (rc = clock_attr(&l, n, "end", &sc->end)) != 0 ||
        (rc = dur_attr(&l, n, "drain", &sc->drain)) != 0)
        goto out;
    if (sc->end <= sc->start) {
        rc = bad(&l, n, "clock: 'end' must come after 'start'%s%s", "", "");
        goto out;
    }
    if ((rc = timing(&l, scn__child(root, "timing"))) != 0)
        goto out;
    if ((rc = topology(&l, scn__child(root, "topology"))) != 0)
        goto out;
    n = scn__child(root, "cards");
    sc->cards = (uint32_t)U(n, "count");
    S(n, "profile", b, sizeof(b));
    card_profile(&l, b, sc->card_profile, sizeof(sc->card_profile));
    sc->serial_base = U(n, "serial-base");
    sc->nvm_size = (uint32_t)U(n, "nvm");
    if (sc->cards > 2000000 || sc->nvm_size < 1024 || sc->nvm_size > 65536) {
        rc = bad(&l, n, "cards: count must be at most 2000000 and nvm 1024..65536 bytes%s%s", "",
                 "");
        goto out;
    }
    xmlNodePtr bal = scn__child(n, "balance");
    sc->balance_min = (uint32_t)U(bal, "min");
    sc->balance_max = (uint32_t)U(bal, "max");
    if (sc->balance_max < sc->balance_min) {
        rc = bad(&l, bal, "balance: max must be >= min%s%s", "", "");
        goto out;
    }
    if ((rc = riders(&l, scn__child(root, "riders"))) != 0)
        goto out;
    if (!sc->has_trip && !sc->has_amount) {
        rc = bad(&l, scn__child(root, "riders"),
                 "riders: give <trip> (fares by distance) or <amount> (purchase amounts)%s%s", "",
                 "");
        goto out;
    }
    if ((n = scn__child(root, "timeline")) != NULL && (rc = timeline(&l, n)) != 0)
        goto out;
    if ((rc = checks(&l, scn__child(root, "checks"))) != 0)
        goto out;
    rc = 0;
out:
    xmlFreeDoc(doc);
    if (rc != 0)
        scn_free(sc);
    return rc;
}
