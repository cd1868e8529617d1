/*
 * obol host platform: fare tables and terminal parameter sets (host_fare.h): checks,
 * the fare computation terminals run, and the PARAM_REPLY payload codecs.
 */
#include <string.h>

#include "obol/host_fare.h"

/* Fare payload: fixed part, then the arrays (docs/host-protocol.md). */
enum { FARE_FIXED = 19, FARE_STATION = 7, FARE_BAND = 8, FARE_DISCOUNT = 2, FARE_TRANSFER = 10 };

/* Terminal parameter tags. */
enum {
    TP_SET_ID = 0x01,
    TP_OPERATOR = 0x02,
    TP_MAX_OFFLINE = 0x03,
    TP_MIN_ENTRY = 0x04,
    TP_KEY_INDEX = 0x05,
    TP_KEY_VERSION = 0x06,
    TP_UPLOAD_S = 0x07,
    TP_MAX_BATCH = 0x08,
    TP_BL_AGE_H = 0x09,
    TP_ISSUER = 0x0A,
    TP_CARD_TYPES = 0x0B,
    TP_VERSION = 0x0C,
    TP_COUNT = 12
};

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get(const uint8_t *p, size_t n)
{
    uint32_t v = 0;
    size_t i;

    for (i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* ---- fare tables ----------------------------------------------------------------- */

int host_fare_check(const host_fare_table *t)
{
    size_t i, j;

    if (t == NULL || (t->kind != HOST_FARE_ZONE && t->kind != HOST_FARE_DISTANCE) ||
        t->n_stations > HOST_FARE_MAX_STATIONS || t->n_zones > HOST_FARE_MAX_ZONES ||
        t->n_bands > HOST_FARE_MAX_BANDS || t->n_discounts > HOST_FARE_MAX_DISCOUNTS ||
        t->n_transfers > HOST_FARE_MAX_TRANSFERS)
        return HOST_ERR_ARG;
    if (t->kind == HOST_FARE_ZONE && t->n_zones == 0)
        return HOST_ERR_ARG;
    if (t->kind == HOST_FARE_DISTANCE && t->n_bands == 0)
        return HOST_ERR_ARG;
    for (i = 0; i < t->n_stations; i++) {
        if (t->stations[i].id == 0)
            return HOST_ERR_ARG;
        if (t->kind == HOST_FARE_ZONE && t->stations[i].zone >= t->n_zones)
            return HOST_ERR_ARG;
        for (j = 0; j < i; j++)
            if (t->stations[j].id == t->stations[i].id)
                return HOST_ERR_ARG;
    }
    for (i = 1; i < t->n_bands; i++)
        if (t->bands[i].up_to <= t->bands[i - 1].up_to)
            return HOST_ERR_ARG;
    for (i = 0; i < t->n_discounts; i++)
        if (t->discounts[i].percent_paid > 100)
            return HOST_ERR_ARG;
    return 0;
}

static const host_fare_station *station(const host_fare_table *t, uint16_t id)
{
    size_t i;

    for (i = 0; i < t->n_stations; i++)
        if (t->stations[i].id == id)
            return &t->stations[i];
    return NULL;
}

int host_fare_compute(const host_fare_table *t, uint8_t card_type, uint16_t entry, uint16_t exit,
                      const host_fare_prev *prev, uint32_t *fare)
{
    const host_fare_station *a, *b;
    uint64_t f;
    size_t i;

    if (fare == NULL || host_fare_check(t) != 0)
        return HOST_ERR_ARG;
    a = station(t, entry);
    b = station(t, exit);
    if (a == NULL || b == NULL)
        return HOST_ERR_NOTFOUND;
    if (t->kind == HOST_FARE_ZONE) {
        f = t->zone_fares[a->zone][b->zone];
    } else {
        uint32_t d =
            a->position > b->position ? a->position - b->position : b->position - a->position;
        f = t->bands[t->n_bands - 1].fare; /* beyond the last band: its fare, then the cap */
        for (i = 0; i < t->n_bands; i++)
            if (d <= t->bands[i].up_to) {
                f = t->bands[i].fare;
                break;
            }
    }
    /* The cap applies to the full fare; discounts then apply to what is charged. */
    if (t->max_fare > 0 && f > t->max_fare)
        f = t->max_fare;
    for (i = 0; i < t->n_discounts; i++)
        if (t->discounts[i].card_type == card_type) {
            f = (f * t->discounts[i].percent_paid + 50) / 100;
            break;
        }
    if (prev != NULL && prev->operator_id != 0)
        for (i = 0; i < t->n_transfers; i++) {
            const host_fare_transfer *r = &t->transfers[i];
            if (r->from_operator == prev->operator_id && prev->minutes_since <= r->window_min) {
                f = f > r->discount ? f - r->discount : 0;
                break;
            }
        }
    *fare = (uint32_t)f;
    return 0;
}

size_t host_fare_size(const host_fare_table *t)
{
    if (t == NULL)
        return 0;
    return FARE_FIXED + (size_t)t->n_stations * FARE_STATION + (size_t)t->n_zones * t->n_zones * 4 +
           (size_t)t->n_bands * FARE_BAND + (size_t)t->n_discounts * FARE_DISCOUNT +
           (size_t)t->n_transfers * FARE_TRANSFER;
}

int host_fare_encode(const host_fare_table *t, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t n, i, j;
    uint8_t *p;

    if (host_fare_check(t) != 0 || out == NULL)
        return HOST_ERR_ARG;
    n = host_fare_size(t);
    if (cap < n)
        return HOST_ERR_NOSPACE;
    p = out;
    put32(p, t->version);
    put32(p + 4, t->operator_id);
    p[8] = t->kind;
    put32(p + 9, t->max_fare);
    put16(p + 13, t->n_stations);
    p[15] = t->n_zones;
    p[16] = t->n_bands;
    p[17] = t->n_discounts;
    p[18] = t->n_transfers;
    p += FARE_FIXED;
    for (i = 0; i < t->n_stations; i++, p += FARE_STATION) {
        put16(p, t->stations[i].id);
        p[2] = t->stations[i].zone;
        put32(p + 3, t->stations[i].position);
    }
    for (i = 0; i < t->n_zones; i++)
        for (j = 0; j < t->n_zones; j++, p += 4)
            put32(p, t->zone_fares[i][j]);
    for (i = 0; i < t->n_bands; i++, p += FARE_BAND) {
        put32(p, t->bands[i].up_to);
        put32(p + 4, t->bands[i].fare);
    }
    for (i = 0; i < t->n_discounts; i++, p += FARE_DISCOUNT) {
        p[0] = t->discounts[i].card_type;
        p[1] = t->discounts[i].percent_paid;
    }
    for (i = 0; i < t->n_transfers; i++, p += FARE_TRANSFER) {
        put32(p, t->transfers[i].from_operator);
        put16(p + 4, t->transfers[i].window_min);
        put32(p + 6, t->transfers[i].discount);
    }
    if (out_len != NULL)
        *out_len = n;
    return 0;
}

int host_fare_decode(const uint8_t *in, size_t len, host_fare_table *t)
{
    const uint8_t *p = in;
    size_t i, j;

    if (in == NULL || t == NULL)
        return HOST_ERR_ARG;
    memset(t, 0, sizeof *t);
    if (len < FARE_FIXED)
        return HOST_ERR_BADMSG;
    t->version = get(p, 4);
    t->operator_id = get(p + 4, 4);
    t->kind = p[8];
    t->max_fare = get(p + 9, 4);
    t->n_stations = (uint16_t)get(p + 13, 2);
    t->n_zones = p[15];
    t->n_bands = p[16];
    t->n_discounts = p[17];
    t->n_transfers = p[18];
    /* Counts are checked before the size so the size cannot be computed from absurd
     * counts, and before the arrays are filled. */
    if (t->n_stations > HOST_FARE_MAX_STATIONS || t->n_zones > HOST_FARE_MAX_ZONES ||
        t->n_bands > HOST_FARE_MAX_BANDS || t->n_discounts > HOST_FARE_MAX_DISCOUNTS ||
        t->n_transfers > HOST_FARE_MAX_TRANSFERS || len != host_fare_size(t))
        goto bad;
    p += FARE_FIXED;
    for (i = 0; i < t->n_stations; i++, p += FARE_STATION) {
        t->stations[i].id = (uint16_t)get(p, 2);
        t->stations[i].zone = p[2];
        t->stations[i].position = get(p + 3, 4);
    }
    for (i = 0; i < t->n_zones; i++)
        for (j = 0; j < t->n_zones; j++, p += 4)
            t->zone_fares[i][j] = get(p, 4);
    for (i = 0; i < t->n_bands; i++, p += FARE_BAND) {
        t->bands[i].up_to = get(p, 4);
        t->bands[i].fare = get(p + 4, 4);
    }
    for (i = 0; i < t->n_discounts; i++, p += FARE_DISCOUNT) {
        t->discounts[i].card_type = p[0];
        t->discounts[i].percent_paid = p[1];
    }
    for (i = 0; i < t->n_transfers; i++, p += FARE_TRANSFER) {
        t->transfers[i].from_operator = get(p, 4);
        t->transfers[i].window_min = (uint16_t)get(p + 4, 2);
        t->transfers[i].discount = get(p + 6, 4);
    }
    if (host_fare_check(t) != 0)
        goto bad;
    return 0;
bad:
    memset(t, 0, sizeof *t);
    return HOST_ERR_BADMSG;
}

/* ---- terminal parameters --------------------------------------------------------- */

/* The TLV layout: tag, value length, and where the value lives in the struct. */
typedef struct tp_field {
    uint8_t tag;
    uint8_t len;
} tp_field;

static const tp_field TP_FIELDS[TP_COUNT] = {
    {TP_VERSION, 4},   {TP_SET_ID, 4},    {TP_OPERATOR, 4},    {TP_MAX_OFFLINE, 4},
    {TP_MIN_ENTRY, 4}, {TP_KEY_INDEX, 1}, {TP_KEY_VERSION, 1}, {TP_UPLOAD_S, 2},
    {TP_MAX_BATCH, 2}, {TP_BL_AGE_H, 2},  {TP_ISSUER, 8},      {TP_CARD_TYPES, 4},
};

/* The numeric field of P for TAG (not TP_ISSUER). */
static uint32_t tp_get(const host_term_params *p, uint8_t tag)
{
    switch (tag) {
    case TP_VERSION:
        return p->version;
    case TP_SET_ID:
        return p->set_id;
    case TP_OPERATOR:
        return p->operator_id;
    case TP_MAX_OFFLINE:
        return p->max_offline_amount;
    case TP_MIN_ENTRY:
        return p->min_entry_balance;
    case TP_KEY_INDEX:
        return p->purchase_key_index;
    case TP_KEY_VERSION:
        return p->purchase_key_version;
    case TP_UPLOAD_S:
        return p->upload_interval_s;
    case TP_MAX_BATCH:
        return p->max_batch_records;
    case TP_BL_AGE_H:
        return p->blacklist_max_age_h;
    case TP_CARD_TYPES:
        return p->accepted_card_types;
    default:
        return 0;
    }
}

static void tp_set(host_term_params *p, uint8_t tag, uint32_t v)
{
    switch (tag) {
    case TP_VERSION:
        p->version = v;
        break;
    case TP_SET_ID:
        p->set_id = v;
        break;
    case TP_OPERATOR:
        p->operator_id = v;
        break;
    case TP_MAX_OFFLINE:
        p->max_offline_amount = v;
        break;
    case TP_MIN_ENTRY:
        p->min_entry_balance = v;
        break;
    case TP_KEY_INDEX:
        p->purchase_key_index = (uint8_t)v;
        break;
    case TP_KEY_VERSION:
        p->purchase_key_version = (uint8_t)v;
        break;
    case TP_UPLOAD_S:
        p->upload_interval_s = (uint16_t)v;
        break;
    case TP_MAX_BATCH:
        p->max_batch_records = (uint16_t)v;
        break;
    case TP_BL_AGE_H:
        p->blacklist_max_age_h = (uint16_t)v;
        break;
    case TP_CARD_TYPES:
        p->accepted_card_types = v;
        break;
    default:
        break;
    }
}

size_t host_term_params_size(const host_term_params *p)
{
    size_t n = 0, i;

    (void)p;
    for (i = 0; i < TP_COUNT; i++)
        n += 2u + TP_FIELDS[i].len;
    return n;
}

int host_term_params_encode(const host_term_params *p, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t n, i, off = 0;

    if (p == NULL || out == NULL)
        return HOST_ERR_ARG;
    n = host_term_params_size(p);
    if (cap < n)
        return HOST_ERR_NOSPACE;
    /* Every field is written, zero or not: a terminal never has to guess a default. */
    for (i = 0; i < TP_COUNT; i++) {
        uint8_t tag = TP_FIELDS[i].tag, len = TP_FIELDS[i].len;
        uint32_t v = tp_get(p, tag);
        out[off] = tag;
        out[off + 1] = len;
        if (tag == TP_ISSUER)
            memcpy(out + off + 2, p->issuer, 8);
        else if (len == 1)
            out[off + 2] = (uint8_t)v;
        else if (len == 2)
            put16(out + off + 2, v);
        else
            put32(out + off + 2, v);
        off += 2u + len;
    }
    if (out_len != NULL)
        *out_len = off;
    return 0;
}

int host_term_params_decode(const uint8_t *in, size_t len, host_term_params *p)
{
    size_t off = 0, i;

    if (in == NULL || p == NULL)
        return HOST_ERR_ARG;
    memset(p, 0, sizeof *p);
    while (off < len) {
        uint8_t tag, vlen;
        if (len - off < 2 || len - off - 2 < in[off + 1])
            goto bad;
        tag = in[off];
        vlen = in[off + 1];
        for (i = 0; i < TP_COUNT; i++)
            if (TP_FIELDS[i].tag == tag)
                break;
        if (i < TP_COUNT) {
            /* A known tag with the wrong length is malformed, not skippable. */
            if (vlen != TP_FIELDS[i].len)
                goto bad;
            if (tag == TP_ISSUER)
                memcpy(p->issuer, in + off + 2, 8);
            else
                tp_set(p, tag, get(in + off + 2, vlen));
        }
        off += 2u + vlen;
    }
    return 0;
bad:
    memset(p, 0, sizeof *p);
    return HOST_ERR_BADMSG;
}
