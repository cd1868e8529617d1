/*
 * The event queue and the run loop of the simulation kernel.
 *
 * Pending events live in two arrays. `slots` holds each event's handler, arguments,
 * time, sequence number and generation (so stale ids are refused); freed slots are
 * chained into a free list and reused. `heap` is a d-ary min-heap of 16-byte
 * (time, sequence << 24 | slot) keys: the key is the entry, so a sift touches
 * nothing but the heap.
 *
 * Cancel and reschedule are lazy: the slot forgets the entry (its sequence number no
 * longer matches, or the slot is free) and the stale entry is dropped when it reaches
 * the top. This spares the heap the back-pointers that eager removal needs, whose
 * upkeep on every sift costs a random write into the slots at large queue sizes.
 * When stale entries outnumber live ones the heap is compacted, so memory stays
 * within twice the live events.
 *
 * The arity is 4 with the root placed so that the four children of a node share one
 * 64-byte cache line (BENCHMARKS.md has the measurements against a binary heap).
 *
 * Equal times are ordered by the sequence number, taken from a counter at schedule
 * (and reschedule) time, so ties fire in scheduling order and runs are reproducible.
 * Sequence numbers have 40 bits; before they run out the pending ones are renumbered
 * in order, which keeps every comparison's outcome.
 */
#include "obol/sim.h"

#include <stdlib.h>
#include <string.h>

#ifndef SIM_HEAP_ARITY
#define SIM_HEAP_ARITY 4
#endif

#define SLOT_BITS 24
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
#define MAX_SLOTS (1u << SLOT_BITS) /* pending events at once */
#ifndef SIM_SEQ_LIMIT /* tests build the kernel with a tiny limit to exercise renumber() */
#define SIM_SEQ_LIMIT (UINT64_C(1) << (64 - SLOT_BITS))
#endif
/* The heap array starts this many entries into its 64-byte-aligned block, so that
 * the children of every node (ARITY*i+1 .. ARITY*i+ARITY) start on a line. */
#define HEAP_PAD (SIM_HEAP_ARITY - 1)

/* A heap entry: the event time (biased to unsigned) in the high 64 bits, then
 * sequence << SLOT_BITS | slot. One unsigned 128-bit comparison orders by time, then
 * by scheduling order; compilers make it two instructions without a branch. */
typedef unsigned __int128 heap_entry;

#define TIME_BIAS (UINT64_C(1) << 63)

static inline heap_entry entry_make(sim_time t, uint64_t key)
{
    return ((heap_entry)((uint64_t)t ^ TIME_BIAS) << 64) | key;
}

static inline sim_time entry_time(heap_entry e)
{
    return (sim_time)((uint64_t)(e >> 64) ^ TIME_BIAS);
}

static inline uint64_t entry_key(heap_entry e)
{
    return (uint64_t)e;
}

typedef struct slot {
    sim_event_fn fn; /* NULL while the slot is free */
    void *arg;
    uint64_t data;
    sim_time t;
    uint64_t seq;  /* sequence number of the live heap entry */
    uint32_t gen;  /* generation, part of the event id */
    uint32_t next; /* next free slot while free */
} slot;

#define SLOT_FREE_END UINT32_MAX

struct sim {
    sim_time now;
    uint64_t seed;
    uint64_t seq;
    uint64_t fired;
    heap_entry *heap;  /* HEAP_PAD entries into `block` */
    heap_entry *block; /* the aligned allocation */
    size_t len, cap;   /* heap entries, live and stale */
    size_t live;       /* pending events */
    slot *slots;
    uint32_t nslots, slots_cap;
    uint32_t free_head;
    int stop;
    sim_trace_fn trace;
    void *trace_ctx;
};

const char *sim_strerror(int err)
{
    switch (err) {
    case SIM_OK:
        return "success";
    case SIM_ERR_NOMEM:
        return "out of memory";
    case SIM_ERR_INVAL:
        return "invalid argument";
    case SIM_ERR_PAST:
        return "event time lies in the past";
    case SIM_ERR_NOENT:
        return "no such pending event";
    case SIM_ERR_RANGE:
        return "value out of range";
    }
    return "unknown error";
}

sim *sim_new(uint64_t seed)
{
    sim *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->seed = seed;
    s->free_head = SLOT_FREE_END;
    return s;
}

void sim_free(sim *s)
{
    if (s == NULL)
        return;
    free(s->block);
    free(s->slots);
    free(s);
}

sim_time sim_now(const sim *s)
{
    return s->now;
}

uint64_t sim_seed(const sim *s)
{
    return s->seed;
}

size_t sim_pending(const sim *s)
{
    return s->live;
}

uint64_t sim_fired(const sim *s)
{
    return s->fired;
}

void sim_set_trace(sim *s, sim_trace_fn fn, void *ctx)
{
    s->trace = fn;
    s->trace_ctx = ctx;
}

void sim_stop(sim *s)
{
    s->stop = 1;
}

/* Moves the entry E up from hole I until its parent is not greater. */
static void sift_up(heap_entry *h, size_t i, heap_entry e)
{
    while (i > 0) {
        size_t parent = (i - 1) / SIM_HEAP_ARITY;
        if (e >= h[parent])
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = e;
}

/* The index of the smallest of the K entries from FIRST. With K = 4 it plays a
 * tournament (two independent comparisons, then one) which keeps both comparison
 * chains in flight at once. */
static inline size_t min_child(const heap_entry *h, size_t first, size_t k)
{
#if SIM_HEAP_ARITY == 4
    if (k == 4) {
        size_t a = h[first + 1] < h[first] ? first + 1 : first;
        size_t b = h[first + 3] < h[first + 2] ? first + 3 : first + 2;
        return h[b] < h[a] ? b : a;
    }
#endif
    size_t best = first;
    for (size_t c = first + 1; c < first + k; c++)
        best = h[c] < h[best] ? c : best;
    return best;
}

/* Removes the top entry. Floyd's variant: the hole at the root goes down to a leaf
 * along the smaller children without comparing against the entry that will fill it
 * (the last one, which usually belongs near the bottom), then that entry sifts up
 * from there. This saves a comparison per level on the common path. */
static void pop_top(sim *s)
{
    heap_entry *h = s->heap;
    size_t n = --s->len;
    if (n == 0)
        return;
    heap_entry e = h[n];
    size_t i = 0;
    for (;;) {
        size_t first = i * SIM_HEAP_ARITY + 1;
        if (first >= n)
            break;
        size_t k = n - first < SIM_HEAP_ARITY ? n - first : SIM_HEAP_ARITY;
        size_t best = min_child(h, first, k);
        h[i] = h[best];
        i = best;
    }
    sift_up(h, i, e);
}

/* Moves the entry E down from hole I (of a heap of N) until no child is smaller. */
static void sift_down(heap_entry *h, size_t n, size_t i, heap_entry e)
{
    for (;;) {
        size_t first = i * SIM_HEAP_ARITY + 1;
        if (first >= n)
            break;
        size_t k = n - first < SIM_HEAP_ARITY ? n - first : SIM_HEAP_ARITY;
        size_t best = min_child(h, first, k);
        if (h[best] >= e)
            break;
        h[i] = h[best];
        i = best;
    }
    h[i] = e;
}

static inline int entry_live(const sim *s, const heap_entry *e)
{
    const slot *sl = &s->slots[entry_key(*e) & SLOT_MASK];
    return sl->fn != NULL && sl->seq == entry_key(*e) >> SLOT_BITS;
}

static void heapify(sim *s)
{
    for (size_t i = s->len / SIM_HEAP_ARITY + 1; i-- > 0;)
        if (i < s->len)
            sift_down(s->heap, s->len, i, s->heap[i]);
}

/* Drops the stale entries and rebuilds the heap: O(n), run when stale entries
 * outnumber live ones, so its cost spreads over the cancels that made them. */
static void compact(sim *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->len; i++)
        if (entry_live(s, &s->heap[i]))
            s->heap[n++] = s->heap[i];
    s->len = n;
    heapify(s);
}

static int cmp_seq(const void *a, const void *b)
{
    uint64_t x = entry_key(*(const heap_entry *)a), y = entry_key(*(const heap_entry *)b);
    return (x > y) - (x < y);
}

/* Renumbers the pending events 0..n-1 in the order of their sequence numbers. Every
 * comparison between them keeps its outcome, so the heap stays valid once rebuilt. */
static void renumber(sim *s)
{
    compact(s);
    qsort(s->heap, s->len, sizeof(*s->heap), cmp_seq);
    for (size_t i = 0; i < s->len; i++) {
        uint32_t index = (uint32_t)(entry_key(s->heap[i]) & SLOT_MASK);
        s->slots[index].seq = i;
        s->heap[i] = entry_make(s->slots[index].t, ((uint64_t)i << SLOT_BITS) | index);
    }
    s->seq = s->len;
    heapify(s);
}

static int grow_heap(sim *s)
{
    size_t cap = s->cap ? s->cap * 2 : 256;
    void *block;
    if (posix_memalign(&block, 64, (cap + HEAP_PAD) * sizeof(heap_entry)) != 0)
        return SIM_ERR_NOMEM;
    heap_entry *heap = (heap_entry *)block + HEAP_PAD;
    if (s->len > 0)
        memcpy(heap, s->heap, s->len * sizeof(*heap));
    free(s->block);
    s->block = block;
    s->heap = heap;
    s->cap = cap;
    return SIM_OK;
}

static int grow_slots(sim *s)
{
    if (s->slots_cap >= MAX_SLOTS)
        return SIM_ERR_NOMEM;
    uint32_t cap = s->slots_cap ? s->slots_cap * 2 : 256;
    slot *sl = realloc(s->slots, (size_t)cap * sizeof(*sl));
    if (sl == NULL)
        return SIM_ERR_NOMEM;
    s->slots = sl;
    s->slots_cap = cap;
    return SIM_OK;
}

static inline sim_event_id make_id(uint32_t index, uint32_t gen)
{
    return ((uint64_t)gen << 32) | index;
}

/* The slot an id names while the event is pending, or NULL. */
static slot *lookup(const sim *s, sim_event_id id)
{
    uint32_t index = (uint32_t)id;
    uint32_t gen = (uint32_t)(id >> 32);
    if (gen == 0 || index >= s->nslots)
        return NULL;
    slot *sl = &s->slots[index];
    if (sl->gen != gen || sl->fn == NULL)
        return NULL;
    return sl;
}

static void release_slot(sim *s, uint32_t index)
{
    slot *sl = &s->slots[index];
    sl->fn = NULL;
    /* A generation of zero would make an id of zero possible; skip it on wrap. */
    if (++sl->gen == 0)
        sl->gen = 1;
    sl->next = s->free_head;
    s->free_head = index;
    s->live--;
}

/* Pushes a heap entry for slot INDEX at time T with a fresh sequence number. */
static int push(sim *s, uint32_t index, sim_time t)
{
    if (s->seq >= SIM_SEQ_LIMIT)
        renumber(s);
    if (s->len == s->cap) {
        if (s->len - s->live > s->live)
            compact(s);
        else if (grow_heap(s) != SIM_OK)
            return SIM_ERR_NOMEM;
    }
    slot *sl = &s->slots[index];
    sl->t = t;
    sl->seq = s->seq++;
    heap_entry e = entry_make(t, (sl->seq << SLOT_BITS) | index);
    sift_up(s->heap, s->len++, e);
    return SIM_OK;
}

int sim_schedule(sim *s, sim_time at, sim_event_fn fn, void *arg, uint64_t data, sim_event_id *id)
{
    if (fn == NULL)
        return SIM_ERR_INVAL;
    if (at < s->now)
        return SIM_ERR_PAST;
    uint32_t index;
    if (s->free_head != SLOT_FREE_END) {
        index = s->free_head;
    } else {
        if (s->nslots == s->slots_cap && grow_slots(s) != SIM_OK)
            return SIM_ERR_NOMEM;
        index = s->nslots;
        s->slots[index].gen = 1;
        s->slots[index].fn = NULL;
    }
    int rc = push(s, index, at);
    if (rc != SIM_OK)
        return rc;
    /* Commit the slot only once the push has succeeded. */
    slot *sl = &s->slots[index];
    if (index == s->free_head)
        s->free_head = sl->next;
    else
        s->nslots++;
    sl->fn = fn;
    sl->arg = arg;
    sl->data = data;
    s->live++;
    if (id != NULL)
        *id = make_id(index, sl->gen);
    return SIM_OK;
}

int sim_after(sim *s, sim_time delay, sim_event_fn fn, void *arg, uint64_t data, sim_event_id *id)
{
    if (delay < 0)
        return SIM_ERR_PAST;
    if (delay > SIM_NEVER - s->now)
        return SIM_ERR_RANGE;
    return sim_schedule(s, s->now + delay, fn, arg, data, id);
}

int sim_cancel(sim *s, sim_event_id id)
{
    if (lookup(s, id) == NULL)
        return SIM_ERR_NOENT;
    release_slot(s, (uint32_t)id);
    return SIM_OK;
}

int sim_reschedule(sim *s, sim_event_id id, sim_time at)
{
    slot *sl = lookup(s, id);
    if (sl == NULL)
        return SIM_ERR_NOENT;
    if (at < s->now)
        return SIM_ERR_PAST;
    /* The old entry goes stale as the slot takes the new sequence number. */
    return push(s, (uint32_t)id, at);
}

int sim_is_pending(const sim *s, sim_event_id id, sim_time *at)
{
    const slot *sl = lookup(s, id);
    if (sl == NULL)
        return 0;
    if (at != NULL)
        *at = sl->t;
    return 1;
}

sim_stop_reason sim_run(sim *s, sim_time deadline)
{
    s->stop = 0;
    while (s->len > 0) {
        heap_entry top = s->heap[0];
        if (!entry_live(s, &top)) {
            pop_top(s);
            continue;
        }
        sim_time t = entry_time(top);
        if (t > deadline) {
            if (deadline > s->now)
                s->now = deadline;
            return SIM_STOP_DEADLINE;
        }
        uint32_t index = (uint32_t)(entry_key(top) & SLOT_MASK);
        slot *sl = &s->slots[index];
        sim_event_fn fn = sl->fn;
        void *arg = sl->arg;
        uint64_t data = sl->data;
        pop_top(s);
        release_slot(s, index);
        s->now = t;
        s->fired++;
        fn(s, arg, data);
        if (s->trace != NULL)
            s->trace(s->trace_ctx, t, fn, data);
        if (s->stop)
            return SIM_STOP_REQUEST;
    }
    return SIM_STOP_EMPTY;
}
