/*
 * obol reports: building and freeing the report model (rpt.h), check outcomes and
 * their one-line messages, totals.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rpt_internal.h"

const char *rpt_strerror(int err)
{
    switch (err) {
    case RPT_OK:
        return "success";
    case RPT_ERR_NOMEM:
        return "out of memory";
    case RPT_ERR_IO:
        return "file could not be read or written";
    case RPT_ERR_FORMAT:
        return "malformed requirement catalogue";
    case RPT_ERR_INVAL:
        return "invalid argument";
    case RPT_ERR_XML:
        return "XML writer failed";
    default:
        return "unknown error";
    }
}

const char *rpt_status_name(rpt_status st)
{
    switch (st) {
    case RPT_PASS:
        return "pass";
    case RPT_FAIL:
        return "fail";
    default:
        return "error";
    }
}

/* strdup that maps NULL to NULL and reports failure through *BAD. */
static char *dup(const char *s, int *bad)
{
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        *bad = 1;
    return d;
}

/* Makes room for one more element in an array of SIZE-byte elements. */
static int reserve(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, nc * size);
    if (p == NULL)
        return RPT_ERR_NOMEM;
    *arr = p;
    *cap = nc;
    return 0;
}

rpt_report *rpt_report_new(const char *title)
{
    rpt_report *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->title = strdup(title ? title : "obol report");
    if (r->title == NULL) {
        free(r);
        return NULL;
    }
    return r;
}

static void check_free(rpt_check *c)
{
    free(c->id);
    free(c->title);
    free(c->area);
    free(c->source);
    free(c->metric);
    free(c->op);
    free(c->unit);
    free(c->message);
    free(c->detail);
    free(c->trace);
    free(c);
}

static void chart_free(rpt_chart *ch)
{
    free(ch->id);
    free(ch->title);
    free(ch->xlabel);
    free(ch->ylabel);
    free(ch->x);
    free(ch->y);
    free(ch->ref_label);
    free(ch);
}

static void scenario_free(rpt_scenario *sc)
{
    free(sc->name);
    free(sc->file);
    free(sc->description);
    free(sc->error);
    for (size_t i = 0; i < sc->nfig; i++) {
        free(sc->fig[i].name);
        free(sc->fig[i].value);
    }
    free(sc->fig);
    for (size_t i = 0; i < sc->ncheck; i++)
        check_free(sc->check[i]);
    free(sc->check);
    for (size_t i = 0; i < sc->nchart; i++)
        chart_free(sc->chart[i]);
    free(sc->chart);
    free(sc);
}

void rpt_report_free(rpt_report *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        scenario_free(r->sc[i]);
    free(r->sc);
    free(r->title);
    free(r);
}

rpt_scenario *rpt_scenario_add(rpt_report *r, const char *name, const char *file,
                               const char *description, uint64_t seed)
{
    if (reserve((void **)&r->sc, &r->cap, r->n, sizeof(*r->sc)) != 0)
        return NULL;
    rpt_scenario *sc = calloc(1, sizeof(*sc));
    if (sc == NULL)
        return NULL;
    int bad = 0;
    sc->name = dup(name ? name : "unnamed", &bad);
    sc->file = dup(file, &bad);
    sc->description = dup(description, &bad);
    sc->seed = seed;
    if (bad) {
        scenario_free(sc);
        return NULL;
    }
    r->sc[r->n++] = sc;
    return sc;
}

int rpt_scenario_set_error(rpt_scenario *sc, const char *why)
{
    int bad = 0;
    char *e = dup(why ? why : "the scenario could not run", &bad);
    if (bad)
        return RPT_ERR_NOMEM;
    free(sc->error);
    sc->error = e;
    return 0;
}

int rpt_figure_add(rpt_scenario *sc, const char *name, const char *fmt, ...)
{
    if (reserve((void **)&sc->fig, &sc->capfig, sc->nfig, sizeof(*sc->fig)) != 0)
        return RPT_ERR_NOMEM;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    int bad = 0;
    rpt_figure f = {dup(name, &bad), dup(buf, &bad)};
    if (bad) {
        free(f.name);
        free(f.value);
        return RPT_ERR_NOMEM;
    }
    sc->fig[sc->nfig++] = f;
    return 0;
}

rpt_check *rpt_check_add(rpt_scenario *sc, const rpt_req *req, const char *id)
{
    if (reserve((void **)&sc->check, &sc->capcheck, sc->ncheck, sizeof(*sc->check)) != 0)
        return NULL;
    rpt_check *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    int bad = 0;
    if (req != NULL) {
        c->id = dup(req->id, &bad);
        c->title = dup(req->title, &bad);
        c->area = dup(req->area, &bad);
        c->source = dup(req->source, &bad);
    } else {
        c->id = dup(id ? id : "UNKNOWN", &bad);
        c->title = dup("(not in the requirement catalogue)", &bad);
        c->area = dup("unknown", &bad);
    }
    c->status = RPT_ERROR;
    c->value = NAN;
    if (bad) {
        check_free(c);
        return NULL;
    }
    sc->check[sc->ncheck++] = c;
    return c;
}

int rpt_compare(const char *op, double v, double t)
{
    if (op == NULL)
        return -1;
    if (strcmp(op, "lt") == 0)
        return v < t;
    if (strcmp(op, "le") == 0)
        return v <= t;
    if (strcmp(op, "gt") == 0)
        return v > t;
    if (strcmp(op, "ge") == 0)
        return v >= t;
    if (strcmp(op, "eq") == 0)
        return v == t;
    if (strcmp(op, "ne") == 0)
        return v != t;
    return -1;
}

const char *rpt_op_symbol(const char *op)
{
    static const char *const names[][2] = {{"lt", "<"},  {"le", "<="}, {"gt", ">"},
                                           {"ge", ">="}, {"eq", "=="}, {"ne", "!="}};
    for (size_t i = 0; op != NULL && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(op, names[i][0]) == 0)
            return names[i][1];
    return "?";
}

/* A measured value for a message: at most 3 decimals, trailing zeros trimmed. */
static void short_num(rpt__buf *b, double v)
{
    double r = fabs(v) >= 1000 ? round(v) : round(v * 1000) / 1000;
    rpt__num(b, r, 0);
}

int rpt_check_set_result(rpt_check *c, const char *metric, const char *op, double threshold,
                         const char *unit, int value_ok, double value)
{
    int bad = 0;
    free(c->metric);
    free(c->op);
    free(c->unit);
    c->metric = dup(metric, &bad);
    c->op = dup(op, &bad);
    c->unit = dup(unit ? unit : "", &bad);
    c->threshold = threshold;
    c->value = value_ok ? value : NAN;
    int ok = value_ok && isfinite(value) ? rpt_compare(op, value, threshold) : -1;
    c->status = ok < 0 ? RPT_ERROR : ok ? RPT_PASS : RPT_FAIL;

    rpt__buf b;
    rpt__buf_init(&b);
    rpt__printf(&b, "%s = ", metric ? metric : "?");
    if (ok < 0 && !(value_ok && isfinite(value)))
        rpt__puts(&b, "no value");
    else
        short_num(&b, value);
    if (c->unit[0] && !(ok < 0 && !value_ok))
        rpt__printf(&b, " %s", c->unit);
    rpt__printf(&b, ", required %s ", rpt_op_symbol(op));
    short_num(&b, threshold);
    if (c->unit[0])
        rpt__printf(&b, " %s", c->unit);
    free(c->message);
    c->message = b.err ? NULL : b.p;
    if (b.err) {
        rpt__buf_free(&b);
        bad = 1;
    }
    return bad ? RPT_ERR_NOMEM : 0;
}

static int set_str(char **field, const char *s)
{
    int bad = 0;
    char *d = dup(s, &bad);
    if (bad)
        return RPT_ERR_NOMEM;
    free(*field);
    *field = d;
    return 0;
}

int rpt_check_set_detail(rpt_check *c, const char *detail)
{
    return set_str(&c->detail, detail);
}

int rpt_check_set_trace(rpt_check *c, const char *trace)
{
    return set_str(&c->trace, trace);
}

rpt_chart *rpt_chart_add(rpt_scenario *sc, rpt_chart_kind kind, const char *id, const char *title,
                         const char *xlabel, const char *ylabel, const double *x, const double *y,
                         size_t n)
{
    if (reserve((void **)&sc->chart, &sc->capchart, sc->nchart, sizeof(*sc->chart)) != 0)
        return NULL;
    rpt_chart *ch = calloc(1, sizeof(*ch));
    if (ch == NULL)
        return NULL;
    int bad = 0;
    size_t nx = kind == RPT_CHART_BARS ? n + 1 : n;
    ch->kind = kind;
    ch->id = dup(id, &bad);
    ch->title = dup(title, &bad);
    ch->xlabel = dup(xlabel ? xlabel : "", &bad);
    ch->ylabel = dup(ylabel ? ylabel : "", &bad);
    ch->n = n;
    ch->x = malloc((nx ? nx : 1) * sizeof(double));
    ch->y = malloc((n ? n : 1) * sizeof(double));
    if (bad || ch->x == NULL || ch->y == NULL) {
        chart_free(ch);
        return NULL;
    }
    if (nx)
        memcpy(ch->x, x, nx * sizeof(double));
    if (n)
        memcpy(ch->y, y, n * sizeof(double));
    sc->chart[sc->nchart++] = ch;
    return ch;
}

int rpt_chart_set_ref(rpt_chart *ch, int vertical, double at, const char *label)
{
    if (set_str(&ch->ref_label, label ? label : "") != 0)
        return RPT_ERR_NOMEM;
    ch->has_ref = 1;
    ch->ref_vertical = vertical;
    ch->ref = at;
    return 0;
}

void rpt_totals_get(const rpt_report *r, rpt_totals *t)
{
    memset(t, 0, sizeof(*t));
    t->scenarios = r->n;
    for (size_t i = 0; i < r->n; i++)
        for (size_t k = 0; k < r->sc[i]->ncheck; k++) {
            t->checks++;
            switch (r->sc[i]->check[k]->status) {
            case RPT_PASS:
                t->passed++;
                break;
            case RPT_FAIL:
                t->failed++;
                break;
            default:
                t->errors++;
            }
        }
}

int rpt_all_passed(const rpt_report *r)
{
    rpt_totals t;
    rpt_totals_get(r, &t);
    for (size_t i = 0; i < r->n; i++)
        if (r->sc[i]->error != NULL)
            return 0;
    return t.failed == 0 && t.errors == 0;
}
