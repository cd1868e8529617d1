/*
 * obol core: the scenario model and its loader. A scenario file (XML, schema
 * scenarios/scenario.xsd) describes a world — topology (terminal groups, host, network
 * links), the card population, rider behaviour, a timeline of events — how long it
 * runs with which seed, and the checks that must hold (requirement id, metric,
 * comparison, threshold). Timing profiles (scenarios/profiles/NAME.xml, schema
 * profile.xsd) are loaded with it.
 *
 * Errors name the file, the line and what was expected ("metro.xml:12: element
 * 'link': attribute 'latency-ms' is required"). Functions return 0 or a negative
 * SCN_ERR_* code; scn_strerror() names the code.
 */
#ifndef OBOL_SCENARIO_H
#define OBOL_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "obol/sim.h"
#include "obol/sim_timing.h"

enum {
    SCN_OK = 0,
    SCN_ERR_NOMEM = -1,  /* an allocation failed */
    SCN_ERR_IO = -2,     /* the file could not be read */
    SCN_ERR_PARSE = -3,  /* not well-formed XML */
    SCN_ERR_SCHEMA = -4, /* does not follow the schema */
    SCN_ERR_VALUE = -5,  /* a name, range or reference the schema cannot check */
};

const char *scn_strerror(int err);

#define SCN_NAME_MAX 32
#define SCN_PATH_MAX 512

typedef struct scn_window {
    sim_time from, to;
} scn_window;

typedef struct scn_link {
    char name[SCN_NAME_MAX];
    double latency_ms, jitter_ms, loss;
    scn_window *outage;
    size_t noutage;
} scn_link;

typedef enum scn_kind { SCN_GATE = 0, SCN_POS = 1, SCN_STB = 2, SCN_DUAL = 3 } scn_kind;
typedef enum scn_iface { SCN_IF_CONTACTLESS = 0, SCN_IF_CONTACT = 1, SCN_IF_DUAL = 2 } scn_iface;

/* A metro line (STATIONS stations with PER_STATION gates each) or a group of
 * terminals of one kind (STATIONS 1). */
typedef struct scn_group {
    char name[SCN_NAME_MAX];
    scn_kind kind;
    int stations, per_station;
    char psam_profile[SCN_PATH_MAX]; /* the PSAM's card profile: a name or a path */
    scn_iface iface;
    int link; /* index into links */
    sim_time upload_every, blacklist_every;
    sim_term term;         /* its terminal profile */
    sim_contact card_slot; /* the card slot, for contact and dual interfaces */
    int has_card_slot;
    int line; /* source line, for messages */
} scn_group;

typedef struct scn_rate {
    sim_time at;
    double per_min;
} scn_rate;

typedef enum scn_ev_kind {
    SCN_EV_LOST_CARD = 0, /* reported lost at AT, keeps tapping on GROUP every EVERY */
    SCN_EV_BLACKLIST = 1, /* card listed at AT */
    SCN_EV_OTA = 2,       /* campaign of COUNT cards from AT, tearing probability P */
    SCN_EV_KEY_ROTATION = 3,
    SCN_EV_HOST_OUTAGE = 4, /* AT .. UNTIL */
    SCN_EV_ATTACK = 5,      /* replay attempts of kind ATTACK, COUNT of them, EVERY apart */
} scn_ev_kind;

typedef enum scn_attack {
    SCN_REPLAY_CARD = 0,
    SCN_REPLAY_TERMINAL = 1,
    SCN_REPLAY_HOST = 2
} scn_attack;

typedef struct scn_event {
    scn_ev_kind kind;
    sim_time at, until, every;
    uint64_t card; /* index into the population */
    int group;     /* lost card: the terminal group it is used on */
    uint32_t count, amount, key_index;
    double p;
    scn_attack attack;
    char name[SCN_NAME_MAX];
    int line;
} scn_event;

typedef struct scn_check {
    char id[SCN_NAME_MAX];
    char metric[64];
    char op[4];
    double value;
    int line;
} scn_check;

typedef struct scenario {
    char path[SCN_PATH_MAX];
    char name[SCN_NAME_MAX];
    char *description;
    uint64_t seed;
    sim_time start, end, drain;
    /* timing */
    sim_chip card_chip, psam_chip;
    sim_air air;
    int bitrate; /* kbit/s */
    sim_contact psam_slot;
    /* topology */
    char host_name[SCN_NAME_MAX];
    double host_process_ms;
    scn_link *links;
    size_t nlinks;
    scn_group *groups;
    size_t ngroups;
    /* card population */
    uint32_t cards;
    char card_profile[SCN_PATH_MAX]; /* a profile name (profiles/) or a path */
    uint64_t serial_base;
    uint32_t nvm_size;
    uint32_t balance_min, balance_max;
    /* riders */
    scn_rate *rates;
    size_t nrates;
    int has_trip, od_gravity;
    uint32_t fare_base, fare_per_station, fare_max;
    sim_time ride_per_station;
    int has_amount;
    uint32_t amount_min, amount_max;
    double approach_ms, approach_sigma, pass_ms, pass_sigma;
    double tap_fail_p, early_removal_p;
    /* timeline and checks */
    scn_event *events;
    size_t nevents;
    scn_check *checks;
    size_t nchecks;
} scenario;

/* Loads and validates the scenario file PATH into SC (caller-owned, overwritten),
 * with its timing profiles (paths relative to the scenario's directory). The schemas
 * are looked up in $OBOL_SCENARIO_DIR, else in the compiled-in scenarios/ directory.
 * On failure writes "file:line: what was expected" into ERR (ERRLEN bytes, may be
 * NULL) and returns SCN_ERR_*; SC then holds nothing to free. Free SC with
 * scn_free() after success. */
int scn_load(scenario *sc, const char *path, char *err, size_t errlen);
void scn_free(scenario *sc);

/* Validates PATH against the scenario schema only (and the profile schema for files
 * whose root is <profile>). Same error reporting as scn_load(). */
int scn_validate(const char *path, char *err, size_t errlen);

/* The directory holding scenario.xsd and profile.xsd. Static string. */
const char *scn_schema_dir(void);

/* Parses "hh:mm[:ss]" (time of day) or "N(ms|s|m|h)" (a duration) into *OUT.
 * Return 0 or -1. */
int scn_parse_clock(const char *s, sim_time *out);
int scn_parse_duration(const char *s, sim_time *out);

/* Total terminals of a scenario (every group's stations x per-station). */
int scn_terminals(const scenario *sc);

#endif /* OBOL_SCENARIO_H */
