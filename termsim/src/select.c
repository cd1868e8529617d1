/*
 * obol terminal kernel: application selection (EMV Book 1, 12; PBOC 2.0 / JR/T 0025
 * part 5 for the PSE, QuickPass for the PPSE).
 *
 * With a directory (unless the terminal is configured without): SELECT the PPSE
 * "2PAY.SYS.DDF01" on the contactless interface and read the candidates from its FCI
 * (BF0C holding 61 entries with 4F AID and 87 priority), or SELECT the PSE
 * "1PAY.SYS.DDF01" on the contact interface and read its directory file (the SFI in
 * the FCI's 88; READ RECORD 1.. of 70 templates with 61 entries). Candidates are the
 * card's entries that match one of the terminal's AIDs (exactly, or as a prefix when
 * the terminal's AID allows partial selection), ordered by the card's priority (87,
 * low nibble; 1 first, none last), then by the terminal's.
 * Without a directory (6A82, or an empty one): SELECT each terminal AID directly in
 * the terminal's priority order.
 * The first candidate that SELECT accepts with 9000 is the application; one that
 * answers 6283 is blocked (remembered, the next candidate is tried).
 */
#include <string.h>

#include "term_internal.h"

/* "2PAY.SYS.DDF01" and "1PAY.SYS.DDF01". */
static const uint8_t PPSE[] = "2PAY.SYS.DDF01";
static const uint8_t PSE[] = "1PAY.SYS.DDF01";

/* The purse application of obol's purse profiles, the default AID list. */
static const term_aid DEFAULT_AID = {
    {0xA0, 0x00, 0x00, 0x00, 0x03, 0x86, 0x98, 0x07, 0x01}, 9, 1, 0};

typedef struct cand {
    uint8_t aid[16];
    uint8_t len;
    uint8_t card_prio; /* 1..15, 16 when absent */
    uint8_t term_prio;
} cand;

enum { MAX_CAND = 8 };

/* A BER-TLV walker over [P, END): the tag (up to 2 bytes), value and length. Returns
 * 1 with the fields set, 0 at the end, -1 when malformed. */
static int tlv_next(const uint8_t **p, const uint8_t *end, unsigned *tag, const uint8_t **val,
                    size_t *len)
{
    const uint8_t *q = *p;
    size_t l;

    while (q < end && (*q == 0x00 || *q == 0xFF))
        q++; /* padding between objects */
    if (q >= end)
        return 0;
    *tag = *q++;
    if ((*tag & 0x1F) == 0x1F) {
        if (q >= end)
            return -1;
        *tag = *tag << 8 | *q++;
    }
    if (q >= end)
        return -1;
    l = *q++;
    if (l == 0x81) {
        if (q >= end)
            return -1;
        l = *q++;
    } else if (l == 0x82) {
        if (end - q < 2)
            return -1;
        l = (size_t)q[0] << 8 | q[1];
        q += 2;
    } else if (l > 0x80) {
        return -1;
    }
    if ((size_t)(end - q) < l)
        return -1;
    *val = q;
    *len = l;
    *p = q + l;
    return 1;
}

/* Finds TAG directly inside [P, P+N). */
static const uint8_t *tlv_find(const uint8_t *p, size_t n, unsigned tag, size_t *len)
{
    const uint8_t *end = p + n, *v;
    unsigned t;
    size_t l;

    while (tlv_next(&p, end, &t, &v, &l) == 1)
        if (t == tag) {
            *len = l;
            return v;
        }
    return NULL;
}

/* The terminal's entry matching card AID A (LEN bytes), or NULL. */
static const term_aid *match(const term *t, const uint8_t *a, size_t len)
{
    for (size_t i = 0; i < t->cfg.naids; i++) {
        const term_aid *x = &t->aids[i];
        if (len == x->len && memcmp(a, x->aid, len) == 0)
            return x;
        if (x->partial && len > x->len && memcmp(a, x->aid, x->len) == 0)
            return x;
    }
    return NULL;
}

static unsigned prio(uint8_t p)
{
    return p == 0 ? 256u : p; /* 0: lowest */
}

/* Adds the entries of the directory entries in [P, P+N) (61 templates) to CS. */
static void add_entries(const term *t, const uint8_t *p, size_t n, cand *cs, size_t *nc)
{
    const uint8_t *end = p + n, *v;
    unsigned tag;
    size_t l;

    while (tlv_next(&p, end, &tag, &v, &l) == 1) {
        const uint8_t *aid, *pr;
        const term_aid *m;
        size_t al, pl;
        if (tag != 0x61)
            continue;
        aid = tlv_find(v, l, 0x4F, &al);
        if (aid == NULL || al < 5 || al > 16 || (m = match(t, aid, al)) == NULL || *nc >= MAX_CAND)
            continue;
        memcpy(cs[*nc].aid, aid, al);
        cs[*nc].len = (uint8_t)al;
        pr = tlv_find(v, l, 0x87, &pl);
        cs[*nc].card_prio = pr != NULL && pl == 1 && (pr[0] & 0x0F) ? (pr[0] & 0x0F) : 16;
        cs[*nc].term_prio = m->priority;
        (*nc)++;
    }
}

static int select_name(term *t, const uint8_t *name, size_t len, uint8_t *fci, size_t cap,
                       size_t *fcilen, uint16_t *sw)
{
    uint8_t cmd[5 + 16 + 1];

    cmd[0] = 0x00;
    cmd[1] = 0xA4;
    cmd[2] = 0x04;
    cmd[3] = 0x00;
    cmd[4] = (uint8_t)len;
    memcpy(cmd + 5, name, len);
    cmd[5 + len] = 0x00;
    return term__xchg(t, t->cfg.card, cmd, 6 + len, fci, cap, fcilen, sw);
}

/* Reads the candidates from the PPSE's FCI or the PSE's directory file. */
static int directory(term *t, cand *cs, size_t *nc)
{
    uint8_t fci[TERM__RSP_MAX], rec[TERM__RSP_MAX];
    const uint8_t *a5, *x;
    size_t n, l, al;
    uint16_t sw;
    int contact = t->cfg.card->iface == TERM_IF_CONTACT, rc;

    rc = select_name(t, contact ? PSE : PPSE, 14, fci, sizeof fci, &n, &sw);
    if (rc != 0 || sw != COS_SW_OK)
        return rc;
    x = tlv_find(fci, n, 0x6F, &l);
    if (x == NULL || (a5 = tlv_find(x, l, 0xA5, &al)) == NULL)
        return 0;
    if (!contact) {
        const uint8_t *bf = tlv_find(a5, al, 0xBF0C, &l);
        if (bf != NULL)
            add_entries(t, bf, l, cs, nc);
        return 0;
    }
    /* PSE: the directory's SFI, then its records until 6A83. */
    x = tlv_find(a5, al, 0x88, &l);
    if (x == NULL || l != 1 || x[0] == 0 || x[0] > 30)
        return 0;
    for (uint8_t r = 1; r < 16; r++) {
        const uint8_t *v;
        if ((rc = term__card_read_record(t, x[0], r, rec, sizeof rec, &n, &sw)) != 0)
            return rc;
        if (sw != COS_SW_OK)
            break;
        if ((v = tlv_find(rec, n, 0x70, &l)) != NULL)
            add_entries(t, v, l, cs, nc);
    }
    return 0;
}

int term__select(term *t, term__card *c)
{
    cand cs[MAX_CAND];
    size_t nc = 0, i, j, n;
    uint8_t fci[TERM__RSP_MAX];
    uint16_t sw;
    int blocked = 0, rc;

    if (!t->cfg.no_directory && (rc = directory(t, cs, &nc)) != 0)
        return rc;
    if (nc == 0) {
        for (i = 0; i < t->cfg.naids && nc < MAX_CAND; i++, nc++) {
            memcpy(cs[nc].aid, t->aids[i].aid, t->aids[i].len);
            cs[nc].len = t->aids[i].len;
            cs[nc].card_prio = 16;
            cs[nc].term_prio = t->aids[i].priority;
        }
    }
    /* Insertion sort by (card priority, terminal priority): stable, tiny lists. */
    for (i = 1; i < nc; i++) {
        cand k = cs[i];
        for (j = i; j > 0 && (cs[j - 1].card_prio > k.card_prio ||
                              (cs[j - 1].card_prio == k.card_prio &&
                               prio(cs[j - 1].term_prio) > prio(k.term_prio)));
             j--)
            cs[j] = cs[j - 1];
        cs[j] = k;
    }
    for (i = 0; i < nc; i++) {
        if ((rc = select_name(t, cs[i].aid, cs[i].len, fci, sizeof fci, &n, &sw)) != 0)
            return rc;
        if (sw == COS_SW_OK) {
            memcpy(c->aid, cs[i].aid, cs[i].len);
            c->aidlen = cs[i].len;
            return 0;
        }
        if (sw == COS_SW_DEACTIVATED)
            blocked = 1;
    }
    return blocked ? 2 : 1;
}

void term__default_aids(term *t)
{
    t->aids[0] = DEFAULT_AID;
    t->cfg.naids = 1;
}
