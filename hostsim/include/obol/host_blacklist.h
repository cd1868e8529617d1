/*
 * obol host platform: the blacklist service.
 *
 * The blacklist is a versioned set of card serials. Every change (a card added or
 * removed, with a reason) creates the next version, so version N is exactly the
 * first N changes applied to an empty list (version 0). Terminals hold a version and
 * ask for either the full list at the current version or the changes from their
 * version to the current one (a delta: the net effect, one entry per card); the
 * version a terminal reports holding is recorded as its acknowledgement, so the
 * platform knows how far each terminal's list is behind.
 *
 * Lists are returned in a host_bl_list the caller owns (entries in serial order) and
 * frees with host_bl_list_free().
 */
#ifndef OBOL_HOST_BLACKLIST_H
#define OBOL_HOST_BLACKLIST_H

#include <stddef.h>
#include <stdint.h>

#include "obol/host_db.h"
#include "obol/host_proto.h"

/* Reasons (the entry's reason byte on the wire). */
enum {
    HOST_BLR_NONE = 0,
    HOST_BLR_LOST = 1,
    HOST_BLR_BLOCKED = 2,
    HOST_BLR_REPLACED = 3,
    HOST_BLR_FRAUD = 4, /* e.g. conflicting transactions on one counter (a clone) */
    HOST_BLR_ISSUER = 5 /* issuer's decision (unblock, manual) */
};

typedef struct host_bl_list {
    host_bl_entry *e;
    size_t n;
    size_t cap;
    uint32_t from_version; /* delta: the base version; full: 0 */
    uint32_t to_version;   /* the version the list describes */
} host_bl_list;

/* Frees the entries of L (L itself is the caller's) and zeroes it. */
void host_bl_list_free(host_bl_list *l);

/* Adds SERIAL with REASON: the next version in *VERSION (may be NULL).
 * HOST_ERR_DUPLICATE when the card is already listed (no new version). */
int host_blacklist_add(host_db *db, uint64_t serial, uint8_t reason, uint32_t *version);

/* Removes SERIAL (REASON recorded in the change). HOST_ERR_NOTFOUND when not listed. */
int host_blacklist_remove(host_db *db, uint64_t serial, uint8_t reason, uint32_t *version);

/* The current version (0 before any change). */
int host_blacklist_version(host_db *db, uint32_t *version);

/* 1 when SERIAL is listed now (its reason in *REASON, may be NULL), 0 when not, or a
 * negative HOST_ERR_*. */
int host_blacklist_contains(host_db *db, uint64_t serial, uint8_t *reason);

/* The full list at VERSION (0 = current) into OUT (to_version set, every op ADD).
 * HOST_ERR_NOTFOUND for a version after the current one. */
int host_blacklist_full(host_db *db, uint32_t version, host_bl_list *out);

/* The net changes from version FROM to version TO (0 = current), FROM <= TO: ADD for a
 * card listed at TO and not at FROM (or listed at both with another reason), REMOVE
 * for one listed at FROM and not at TO. HOST_ERR_NOTFOUND when TO is after the
 * current version, HOST_ERR_ARG when FROM > TO. */
int host_blacklist_delta(host_db *db, uint32_t from, uint32_t to, host_bl_list *out);

/* Records that TERMINAL holds and has applied VERSION. HOST_ERR_NOTFOUND (terminal),
 * HOST_ERR_ARG (a version after the current one). A lower version than recorded is
 * taken as is (the terminal was reset). */
int host_blacklist_ack(host_db *db, uint64_t terminal, uint32_t version);

/* Terminals in service whose acknowledged version is below VERSION (0 = current): up
 * to CAP ids into OUT, the total count in *N. */
int host_blacklist_lagging(host_db *db, uint32_t version, uint64_t *out, size_t cap, size_t *n);

#endif /* OBOL_HOST_BLACKLIST_H */
