/*
 * obol core: the discrete-event simulation kernel.
 *
 * Virtual time is a signed 64-bit count of nanoseconds. A `sim` owns a pending-event
 * queue (a 4-ary min-heap keyed on time, then on a schedule sequence number, so events
 * at the same instant fire in the order they were scheduled), the clock, and a stop
 * flag. It is single-threaded and holds no global state: a process may run many.
 *
 * Errors: functions return 0 or a negative SIM_ERR_* code; sim_strerror() names it.
 */
#ifndef OBOL_SIM_H
#define OBOL_SIM_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t sim_time;

#define SIM_NS    ((sim_time)1)
#define SIM_US    ((sim_time)1000)
#define SIM_MS    ((sim_time)1000000)
#define SIM_S     ((sim_time)1000000000)
#define SIM_MIN   (60 * SIM_S)
#define SIM_HOUR  (3600 * SIM_S)
#define SIM_NEVER INT64_MAX

enum {
    SIM_OK = 0,
    SIM_ERR_NOMEM = -1, /* an allocation failed */
    SIM_ERR_INVAL = -2, /* an argument is out of range */
    SIM_ERR_PAST = -3,  /* the event would fire before the current time */
    SIM_ERR_NOENT = -4, /* the event id names no pending event */
    SIM_ERR_RANGE = -5, /* a value does not fit (histogram range, profile) */
};

/* Returns a static, human-readable name for a SIM_ERR_* code. */
const char *sim_strerror(int err);

typedef struct sim sim;

/* An event's identity: valid from sim_schedule() until it fires or is cancelled.
 * Zero is never a valid id, so it can mean "none". Ids are not reused while the
 * simulation lives (a generation count guards against stale ids). */
typedef uint64_t sim_event_id;

/* An event handler. S is the simulation, ARG and DATA are what was passed to
 * sim_schedule(). When it runs, sim_now(S) is the event's time and the event is no
 * longer pending (it may reschedule itself by scheduling a new event). */
typedef void (*sim_event_fn)(sim *s, void *arg, uint64_t data);

/* Creates a simulation with the clock at 0 and SEED as the root of every random
 * stream derived through sim_seed(). Returns NULL when out of memory. The caller owns
 * the result and frees it with sim_free(). */
sim *sim_new(uint64_t seed);
void sim_free(sim *s);

sim_time sim_now(const sim *s);
uint64_t sim_seed(const sim *s);
/* Number of events pending, and events fired since creation. */
size_t sim_pending(const sim *s);
uint64_t sim_fired(const sim *s);

/* Schedules FN(S, ARG, DATA) at absolute virtual time AT (>= sim_now(S)). Stores the
 * event's id in *ID when ID is not NULL. Returns 0, SIM_ERR_PAST or SIM_ERR_NOMEM. */
int sim_schedule(sim *s, sim_time at, sim_event_fn fn, void *arg, uint64_t data, sim_event_id *id);
/* The same, DELAY (>= 0) after the current time. */
int sim_after(sim *s, sim_time delay, sim_event_fn fn, void *arg, uint64_t data, sim_event_id *id);
/* Cancels a pending event. Returns 0, or SIM_ERR_NOENT when ID has fired, was
 * cancelled, or never existed. */
int sim_cancel(sim *s, sim_event_id id);
/* Moves a pending event to time AT (>= now). It then fires after every event already
 * scheduled for AT, as if scheduled anew. Returns 0, SIM_ERR_NOENT or SIM_ERR_PAST. */
int sim_reschedule(sim *s, sim_event_id id, sim_time at);
/* Whether ID is pending; its time in *AT when it is. */
int sim_is_pending(const sim *s, sim_event_id id, sim_time *at);

/* Why sim_run() returned. */
typedef enum sim_stop_reason {
    SIM_STOP_EMPTY = 0,    /* no event left */
    SIM_STOP_DEADLINE = 1, /* the next event lies after the deadline */
    SIM_STOP_REQUEST = 2,  /* a handler called sim_stop() */
} sim_stop_reason;

/* Fires events in order until the queue is empty, the next event lies after
 * DEADLINE (the clock is then advanced to DEADLINE), or a handler calls sim_stop().
 * May be called again to continue. */
sim_stop_reason sim_run(sim *s, sim_time deadline);
/* Asks sim_run() to return after the current handler. */
void sim_stop(sim *s);

/* An observer called after every fired event (for traces and progress); NULL to
 * remove. It must not schedule or cancel events. */
typedef void (*sim_trace_fn)(void *ctx, sim_time t, sim_event_fn fn, uint64_t data);
void sim_set_trace(sim *s, sim_trace_fn fn, void *ctx);

#endif /* OBOL_SIM_H */
