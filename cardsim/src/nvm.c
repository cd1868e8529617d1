/*
 * obol card OS: NVM access, the undo journal and transactions.
 *
 * Every NVM write of the card OS goes through here, so this file counts the cost
 * (writes, bytes, pages) and notices power loss. Atomicity uses an undo journal in
 * NVM: before a location is overwritten inside a transaction, its old bytes are
 * appended to the journal as a record {offset, length, old bytes}, then the journal's
 * count byte is incremented, and only then is the location written. Committing
 * writes the count byte back to 0. A power-up that finds a non-zero count undoes the
 * records in reverse order (so the oldest copy of a twice-written location wins)
 * and clears the count: every transaction is all-or-nothing.
 *
 * Why this is safe under tearing at byte granularity: the count byte is the only
 * commit point and a one-byte write either lands or not; a record is complete before
 * the count covers it; undo is idempotent, so a power loss during recovery just
 * means recovering again. Ranges allocated from free space inside the transaction
 * ("fresh") need no undo: rolling back the allocation's header makes them free again.
 */
#include "cos_internal.h"

#include "obol/cos_crypto.h"

#define REC_HDR 6u
#define CHUNK   64u

int cos__power_lost(cos_card *c, int err)
{
    if (err == COS_ERR_POWER_LOST) {
        c->power = 2;
        memset(&c->txn, 0, sizeof c->txn);
    }
    return err;
}

int cos__nvm_read(cos_card *c, uint32_t off, void *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (off > c->nvm_size || len > c->nvm_size - off)
        return COS_ERR_RANGE;
    return c->hal->nvm_read(c->port, off, buf, len);
}

static void count_write(cos_card *c, uint32_t off, size_t len)
{
    c->cost.nvm_writes++;
    c->cost.nvm_bytes += (uint32_t)len;
    if (c->nvm_page)
        c->cost.nvm_pages += (uint32_t)((off + len - 1) / c->nvm_page - off / c->nvm_page + 1);
}

int cos__nvm_write_raw(cos_card *c, uint32_t off, const void *buf, size_t len)
{
    int rc;

    if (c->power == 2)
        return COS_ERR_POWER_LOST;
    if (len == 0)
        return 0;
    if (off > c->nvm_size || len > c->nvm_size - off)
        return COS_ERR_RANGE;
    count_write(c, off, len);
    rc = c->hal->nvm_write(c->port, off, buf, len);
    if (rc < 0)
        return cos__power_lost(c, rc);
    return 0;
}

static int set_count(cos_card *c, uint8_t n)
{
    return cos__nvm_write_raw(c, c->jnl_off, &n, 1);
}

static int is_fresh(const cos_card *c, uint32_t off, size_t len)
{
    for (unsigned i = 0; i < c->txn.nfresh; i++)
        if (off >= c->txn.fresh[i].off && off + len <= c->txn.fresh[i].off + c->txn.fresh[i].len)
            return 1;
    return 0;
}

void cos__txn_fresh(cos_card *c, uint32_t off, uint32_t len)
{
    if (c->txn.depth == 0 || c->txn.freed || c->txn.nfresh >= COS_TXN_FRESH)
        return;
    c->txn.fresh[c->txn.nfresh].off = off;
    c->txn.fresh[c->txn.nfresh].len = len;
    c->txn.nfresh++;
}

/* Appends an undo record for [OFF, OFF+LEN) and makes the count cover it. */
static int journal(cos_card *c, uint32_t off, size_t len)
{
    uint8_t buf[REC_HDR + CHUNK];
    uint32_t at = c->jnl_off + 1u + c->txn.fill;
    size_t done = 0;
    int rc;

    if (c->txn.count >= 254 || (size_t)c->txn.fill + REC_HDR + len > (size_t)c->jnl_size - 1u)
        return COS_ERR_JOURNAL_FULL;
    cos__put32(buf, off);
    cos__put16(buf + 4, (uint16_t)len);
    /* The header goes out with the first chunk of old bytes: one write less. */
    while (done < len) {
        size_t hdr = done == 0 ? REC_HDR : 0;
        size_t n = len - done < CHUNK ? len - done : CHUNK;
        rc = cos__nvm_read(c, off + (uint32_t)done, buf + hdr, n);
        if (rc < 0)
            return rc;
        rc = cos__nvm_write_raw(c, at, buf, hdr + n);
        if (rc < 0)
            return rc;
        at += (uint32_t)(hdr + n);
        done += n;
    }
    rc = set_count(c, (uint8_t)(c->txn.count + 1));
    if (rc < 0)
        return rc;
    c->txn.count++;
    c->txn.fill = (uint16_t)(c->txn.fill + REC_HDR + len);
    return 0;
}

int cos__nvm_write(cos_card *c, uint32_t off, const void *buf, size_t len)
{
    int rc;

    if (len == 0)
        return 0;
    if (off < c->heap_off && off >= COS__HDR_SIZE)
        return COS_ERR_RANGE; /* the journal is written only by this file */
    if (c->txn.depth == 0) {
        if (len == 1)
            return cos__nvm_write_raw(c, off, buf, len);
        rc = cos__txn_enter(c);
        if (rc < 0)
            return rc;
        rc = cos__nvm_write(c, off, buf, len);
        return cos__txn_leave(c, rc, rc >= 0);
    }
    if (!is_fresh(c, off, len)) {
        rc = journal(c, off, len);
        if (rc < 0)
            return rc;
    }
    return cos__nvm_write_raw(c, off, buf, len);
}

/* Undoes the first N journal records, newest first, then clears the count. */
static int rollback(cos_card *c, unsigned n)
{
    uint8_t buf[CHUNK];
    int rc;

    for (unsigned i = n; i-- > 0;) {
        uint32_t at = c->jnl_off + 1u, off;
        uint16_t len;
        for (unsigned j = 0;; j++) {
            rc = cos__nvm_read(c, at, buf, REC_HDR);
            if (rc < 0)
                return rc;
            off = cos__get32(buf);
            len = cos__get16(buf + 4);
            if (at + REC_HDR + len > (uint32_t)c->jnl_off + c->jnl_size)
                return COS_ERR_CORRUPT;
            if (j == i)
                break;
            at += REC_HDR + len;
        }
        if (off < c->heap_off && off >= COS__HDR_SIZE)
            return COS_ERR_CORRUPT;
        if (off > c->nvm_size || len > c->nvm_size - off)
            return COS_ERR_CORRUPT;
        at += REC_HDR;
        for (uint32_t done = 0; done < len;) {
            uint32_t k = len - done < CHUNK ? len - done : CHUNK;
            rc = cos__nvm_read(c, at + done, buf, k);
            if (rc < 0)
                return rc;
            rc = cos__nvm_write_raw(c, off + done, buf, k);
            if (rc < 0)
                return rc;
            done += k;
        }
    }
    return set_count(c, 0);
}

int cos__nvm_recover(cos_card *c)
{
    uint8_t n;
    int rc = cos__nvm_read(c, c->jnl_off, &n, 1);

    if (rc < 0)
        return rc;
    if (n == 0)
        return 0;
    if (n == 0xFF)
        return COS_ERR_CORRUPT;
    return rollback(c, n);
}

int cos__txn_begin(cos_card *c)
{
    if (c->txn.depth)
        return COS_ERR_TXN_STATE;
    memset(&c->txn, 0, sizeof c->txn);
    c->txn.depth = 1;
    return 0;
}

int cos__txn_commit(cos_card *c)
{
    int rc = 0;

    if (c->txn.depth != 1)
        return COS_ERR_TXN_STATE;
    if (c->txn.freed & 0x80) {
        /* An inner step failed half-way: the transaction can only roll back. */
        rc = cos__txn_abort(c);
        return rc < 0 ? rc : COS_ERR_TXN_STATE;
    }
    if (c->txn.count)
        rc = set_count(c, 0);
    memset(&c->txn, 0, sizeof c->txn);
    return rc;
}

int cos__txn_abort(cos_card *c)
{
    int rc = 0;

    if (c->txn.depth == 0)
        return COS_ERR_TXN_STATE;
    if (c->txn.count)
        rc = rollback(c, c->txn.count);
    memset(&c->txn, 0, sizeof c->txn);
    return rc;
}

int cos__txn_enter(cos_card *c)
{
    if (c->power == 2)
        return COS_ERR_POWER_LOST;
    if (c->txn.depth == 0)
        return cos__txn_begin(c);
    if (c->txn.depth == 255)
        return COS_ERR_TXN_STATE;
    c->txn.depth++;
    return 0;
}

int cos__txn_leave(cos_card *c, int rc, int ok)
{
    int r2;

    if (c->txn.depth == 0)
        return rc < 0 ? rc : COS_ERR_TXN_STATE;
    if (c->txn.depth > 1) {
        c->txn.depth--;
        /* A failed inner step may have written part of its data: the whole
         * transaction must not commit then. */
        if (!ok && rc < 0)
            c->txn.freed |= 0x80;
        return rc;
    }
    if (ok) {
        r2 = cos__txn_commit(c);
        return r2 < 0 ? r2 : rc;
    }
    r2 = cos__txn_abort(c);
    if (rc >= 0)
        return r2 < 0 ? r2 : rc;
    return rc;
}
