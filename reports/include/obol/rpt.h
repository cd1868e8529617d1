/*
 * obol reports: the conformance report model and its writers (JUnit XML, a
 * self-contained HTML page with inline SVG charts, JSON), and the requirement
 * catalogue that ties every check id to the spec clause or seed budget it checks.
 *
 * A report holds scenarios; a scenario holds headline figures, checks and charts. The
 * simulator fills the model, the writers turn it into files. Output is deterministic:
 * the same model gives byte-identical files (no timestamps, no wall-clock figures,
 * fixed number formatting in the C locale, the order things were added).
 *
 * Ownership: the report owns every string and array it holds; the rpt_*_add functions
 * copy what they are given. Pointers returned by the add functions stay valid until
 * rpt_report_free(). Errors: 0 or a negative RPT_ERR_* code; rpt_strerror() names it.
 */
#ifndef OBOL_RPT_H
#define OBOL_RPT_H

#include <stddef.h>
#include <stdint.h>

enum {
    RPT_OK = 0,
    RPT_ERR_NOMEM = -1,  /* an allocation failed */
    RPT_ERR_IO = -2,     /* a file could not be read or written */
    RPT_ERR_FORMAT = -3, /* the catalogue file is malformed (see the message) */
    RPT_ERR_INVAL = -4,  /* an argument is out of range */
    RPT_ERR_XML = -5,    /* libxml2 failed to write the document */
};

/* Returns a static, human-readable name for an RPT_ERR_* code. */
const char *rpt_strerror(int err);

/* ---- requirement catalogue ----------------------------------------------------------- */

/* One requirement: a stable id (e.g. TRANSIT-LAT-01), the area it belongs to (the
 * JUnit classname: transit, pboc, security...), a short title, the source it comes
 * from (a spec clause or a seed budget) and a sentence saying what is required. */
typedef struct rpt_req {
    char *id, *area, *title, *source, *text;
} rpt_req;

typedef struct rpt_catalog {
    rpt_req *req;
    size_t n;
} rpt_catalog;

/* Loads the catalogue PATH (a tab-separated file: id, area, title, source, text; '#'
 * starts a comment line). Unknown or duplicate ids, missing columns and ids that are
 * not [A-Z0-9-]+ are errors: the message in ERR (ERRLEN bytes, may be NULL) names
 * file:line. Returns 0, RPT_ERR_IO, RPT_ERR_FORMAT or RPT_ERR_NOMEM; on failure CAT
 * is left empty. Free with rpt_catalog_free(). */
int rpt_catalog_load(rpt_catalog *cat, const char *path, char *err, size_t errlen);
void rpt_catalog_free(rpt_catalog *cat);
/* The requirement with ID, or NULL. */
const rpt_req *rpt_catalog_find(const rpt_catalog *cat, const char *id);
/* The catalogue path: $OBOL_REQUIREMENTS when set, else the compiled-in
 * reports/requirements.tsv of the source tree. Static string. */
const char *rpt_catalog_default_path(void);

/* ---- report model -------------------------------------------------------------------- */

typedef enum rpt_status {
    RPT_PASS = 0,
    RPT_FAIL = 1,  /* the check was evaluated and its comparison does not hold */
    RPT_ERROR = 2, /* the check could not be evaluated (no data, the run failed) */
} rpt_status;

const char *rpt_status_name(rpt_status st);

typedef struct rpt_check {
    char *id, *title, *area, *source; /* from the catalogue */
    char *metric;                     /* the metric's name, e.g. "tap_ms.p99" */
    char *op;                         /* "lt", "le", "gt", "ge", "eq", "ne" */
    double threshold, value;
    char *unit;
    rpt_status status;
    char *message; /* one line, e.g. "tap_ms.p99 = 312.400 ms, required < 300 ms" */
    char *detail;  /* the failure body: why, what was seen (may be NULL) */
    char *trace;   /* an APDU trace excerpt (may be NULL) */
} rpt_check;

typedef enum rpt_chart_kind {
    RPT_CHART_BARS = 0, /* a histogram: bar i spans x[i]..x[i+1] (n+1 edges), height y[i] */
    RPT_CHART_LINE = 1, /* a series: points (x[i], y[i]), x ascending */
} rpt_chart_kind;

typedef struct rpt_chart {
    rpt_chart_kind kind;
    char *id;     /* stable anchor within the scenario, e.g. "latency" */
    char *title;  /* e.g. "Tap time" */
    char *xlabel; /* with its unit, e.g. "ms" */
    char *ylabel;
    double *x, *y;
    size_t n;    /* bars: n bars and n+1 edges in x; line: n points */
    int x_clock; /* x is hours of the day: the axis is labelled hh:mm */
    int has_ref;
    int ref_vertical; /* 1: a vertical line at x = ref (a budget); 0: horizontal at y */
    double ref;
    char *ref_label;
} rpt_chart;

typedef struct rpt_figure {
    char *name, *value;
} rpt_figure;

typedef struct rpt_scenario {
    char *name, *file, *description;
    uint64_t seed;
    double sim_seconds; /* virtual time simulated */
    uint64_t events;    /* events the kernel fired */
    char *error;        /* why the scenario could not run (then it has one ERROR check) */
    rpt_figure *fig;
    size_t nfig, capfig;
    rpt_check **check;
    size_t ncheck, capcheck;
    rpt_chart **chart;
    size_t nchart, capchart;
} rpt_scenario;

typedef struct rpt_report {
    char *title;
    rpt_scenario **sc;
    size_t n, cap;
} rpt_report;

/* Creates an empty report titled TITLE. Returns NULL when out of memory. */
rpt_report *rpt_report_new(const char *title);
void rpt_report_free(rpt_report *r);

/* Adds a scenario; NULL when out of memory. FILE and DESCRIPTION may be NULL. */
rpt_scenario *rpt_scenario_add(rpt_report *r, const char *name, const char *file,
                               const char *description, uint64_t seed);
/* Marks the scenario as not run, with the reason (copied). Returns 0 or RPT_ERR_NOMEM. */
int rpt_scenario_set_error(rpt_scenario *sc, const char *why);
/* Adds a headline figure NAME = VALUE (printf-formatted). Returns 0 or RPT_ERR_NOMEM. */
int rpt_figure_add(rpt_scenario *sc, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds a check for requirement REQ (or, when REQ is NULL, the bare ID with area
 * "unknown"). The remaining fields are set by the caller through the returned
 * pointer and rpt_check_set_*; NULL when out of memory. */
rpt_check *rpt_check_add(rpt_scenario *sc, const rpt_req *req, const char *id);
/* Sets the metric, comparison and outcome, and builds the one-line message.
 * VALUE_OK is 0 when the metric had no value (the check is then an ERROR). */
int rpt_check_set_result(rpt_check *c, const char *metric, const char *op, double threshold,
                         const char *unit, int value_ok, double value);
/* Sets the failure body or the trace excerpt (copied; NULL clears). */
int rpt_check_set_detail(rpt_check *c, const char *detail);
int rpt_check_set_trace(rpt_check *c, const char *trace);
/* Evaluates "VALUE OP THRESHOLD"; -1 when OP is unknown. */
int rpt_compare(const char *op, double value, double threshold);
/* The symbol of OP ("<", "<=", ...), or "?" when unknown. */
const char *rpt_op_symbol(const char *op);

/* Adds a chart; the arrays are copied (bars: N+1 values in X, N in Y). ID, TITLE and
 * the labels are copied. Returns the chart or NULL when out of memory. */
rpt_chart *rpt_chart_add(rpt_scenario *sc, rpt_chart_kind kind, const char *id, const char *title,
                         const char *xlabel, const char *ylabel, const double *x, const double *y,
                         size_t n);
/* Adds a reference line (a budget) to CH. Returns 0 or RPT_ERR_NOMEM. */
int rpt_chart_set_ref(rpt_chart *ch, int vertical, double at, const char *label);

/* Totals over the whole report. */
typedef struct rpt_totals {
    size_t scenarios, checks, passed, failed, errors;
} rpt_totals;
void rpt_totals_get(const rpt_report *r, rpt_totals *t);
/* 1 when every check of every scenario passed and no scenario failed to run. */
int rpt_all_passed(const rpt_report *r);

/* ---- writers --------------------------------------------------------------------------
 * Each writes the whole file PATH (replacing it) and returns 0, RPT_ERR_IO (with the
 * path and errno text in ERR), RPT_ERR_NOMEM or RPT_ERR_XML. */
int rpt_write_junit(const rpt_report *r, const char *path, char *err, size_t errlen);
int rpt_write_json(const rpt_report *r, const char *path, char *err, size_t errlen);
int rpt_write_html(const rpt_report *r, const char *path, char *err, size_t errlen);

#endif /* OBOL_RPT_H */
