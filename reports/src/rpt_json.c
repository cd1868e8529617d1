/*
 * obol reports: the JSON writer. One object: the report title, totals, and every
 * scenario with its figures, checks (id, area, title, source, metric, op, threshold,
 * value, unit, status, message, detail, trace) and charts (kind, labels, data).
 * Keys keep a fixed order and numbers a fixed format (rpt__num), so the same report
 * gives the same bytes.
 */
#include <stdio.h>

#include "rpt_internal.h"

static void key(rpt__buf *b, int indent, const char *k)
{
    rpt__printf(b, "%*s", indent, "");
    rpt__json_str(b, k);
    rpt__puts(b, ": ");
}

static void arr(rpt__buf *b, const double *v, size_t n)
{
    rpt__puts(b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            rpt__puts(b, ", ");
        rpt__num(b, v[i], 1);
    }
    rpt__puts(b, "]");
}

static void check(rpt__buf *b, const rpt_check *c)
{
    rpt__puts(b, "        {\n");
    key(b, 10, "id");
    rpt__json_str(b, c->id);
    rpt__puts(b, ",\n");
    key(b, 10, "area");
    rpt__json_str(b, c->area);
    rpt__puts(b, ",\n");
    key(b, 10, "title");
    rpt__json_str(b, c->title);
    rpt__puts(b, ",\n");
    key(b, 10, "source");
    rpt__json_str(b, c->source);
    rpt__puts(b, ",\n");
    key(b, 10, "metric");
    rpt__json_str(b, c->metric);
    rpt__puts(b, ",\n");
    key(b, 10, "op");
    rpt__json_str(b, c->op);
    rpt__puts(b, ",\n");
    key(b, 10, "threshold");
    rpt__num(b, c->threshold, 1);
    rpt__puts(b, ",\n");
    key(b, 10, "value");
    rpt__num(b, c->value, 1);
    rpt__puts(b, ",\n");
    key(b, 10, "unit");
    rpt__json_str(b, c->unit);
    rpt__puts(b, ",\n");
    key(b, 10, "status");
    rpt__json_str(b, rpt_status_name(c->status));
    rpt__puts(b, ",\n");
    key(b, 10, "message");
    rpt__json_str(b, c->message);
    rpt__puts(b, ",\n");
    key(b, 10, "detail");
    rpt__json_str(b, c->detail);
    rpt__puts(b, ",\n");
    key(b, 10, "trace");
    rpt__json_str(b, c->trace);
    rpt__puts(b, "\n        }");
}

static void chart(rpt__buf *b, const rpt_chart *ch)
{
    rpt__puts(b, "        {\n");
    key(b, 10, "id");
    rpt__json_str(b, ch->id);
    rpt__puts(b, ",\n");
    key(b, 10, "kind");
    rpt__json_str(b, ch->kind == RPT_CHART_BARS ? "bars" : "line");
    rpt__puts(b, ",\n");
    key(b, 10, "title");
    rpt__json_str(b, ch->title);
    rpt__puts(b, ",\n");
    key(b, 10, "xlabel");
    rpt__json_str(b, ch->xlabel);
    rpt__puts(b, ",\n");
    key(b, 10, "ylabel");
    rpt__json_str(b, ch->ylabel);
    rpt__puts(b, ",\n");
    key(b, 10, "x");
    arr(b, ch->x, ch->kind == RPT_CHART_BARS ? ch->n + 1 : ch->n);
    rpt__puts(b, ",\n");
    key(b, 10, "y");
    arr(b, ch->y, ch->n);
    if (ch->has_ref) {
        rpt__puts(b, ",\n");
        key(b, 10, "ref");
        rpt__puts(b, "{\"axis\": ");
        rpt__json_str(b, ch->ref_vertical ? "x" : "y");
        rpt__puts(b, ", \"at\": ");
        rpt__num(b, ch->ref, 1);
        rpt__puts(b, ", \"label\": ");
        rpt__json_str(b, ch->ref_label);
        rpt__puts(b, "}");
    }
    rpt__puts(b, "\n        }");
}

static void scenario(rpt__buf *b, const rpt_scenario *sc)
{
    rpt__puts(b, "    {\n");
    key(b, 6, "name");
    rpt__json_str(b, sc->name);
    rpt__puts(b, ",\n");
    key(b, 6, "file");
    rpt__json_str(b, sc->file);
    rpt__puts(b, ",\n");
    key(b, 6, "description");
    rpt__json_str(b, sc->description);
    rpt__puts(b, ",\n");
    key(b, 6, "seed");
    rpt__printf(b, "%llu,\n", (unsigned long long)sc->seed);
    key(b, 6, "simulated_seconds");
    rpt__num(b, sc->sim_seconds, 1);
    rpt__puts(b, ",\n");
    key(b, 6, "events");
    rpt__printf(b, "%llu,\n", (unsigned long long)sc->events);
    key(b, 6, "error");
    rpt__json_str(b, sc->error);
    rpt__puts(b, ",\n");
    key(b, 6, "figures");
    rpt__puts(b, "{");
    for (size_t i = 0; i < sc->nfig; i++) {
        rpt__puts(b, i ? ",\n" : "\n");
        key(b, 8, sc->fig[i].name);
        rpt__json_str(b, sc->fig[i].value);
    }
    rpt__puts(b, sc->nfig ? "\n      },\n" : "},\n");
    key(b, 6, "checks");
    rpt__puts(b, "[");
    for (size_t i = 0; i < sc->ncheck; i++) {
        rpt__puts(b, i ? ",\n" : "\n");
        check(b, sc->check[i]);
    }
    rpt__puts(b, sc->ncheck ? "\n      ],\n" : "],\n");
    key(b, 6, "charts");
    rpt__puts(b, "[");
    for (size_t i = 0; i < sc->nchart; i++) {
        rpt__puts(b, i ? ",\n" : "\n");
        chart(b, sc->chart[i]);
    }
    rpt__puts(b, sc->nchart ? "\n      ]\n" : "]\n");
    rpt__puts(b, "    }");
}

int rpt_write_json(const rpt_report *r, const char *path, char *err, size_t errlen)
{
    rpt__buf b;
    rpt__buf_init(&b);
    rpt_totals t;
    rpt_totals_get(r, &t);
    rpt__puts(&b, "{\n");
    key(&b, 2, "title");
    rpt__json_str(&b, r->title);
    rpt__puts(&b, ",\n");
    key(&b, 2, "passed");
    rpt__puts(&b, rpt_all_passed(r) ? "true" : "false");
    rpt__puts(&b, ",\n");
    key(&b, 2, "totals");
    rpt__printf(&b,
                "{\"scenarios\": %zu, \"checks\": %zu, \"passed\": %zu, \"failed\": %zu, "
                "\"errors\": %zu},\n",
                t.scenarios, t.checks, t.passed, t.failed, t.errors);
    key(&b, 2, "scenarios");
    rpt__puts(&b, "[");
    for (size_t i = 0; i < r->n; i++) {
        rpt__puts(&b, i ? ",\n" : "\n");
        scenario(&b, r->sc[i]);
    }
    rpt__puts(&b, r->n ? "\n  ]\n}\n" : "]\n}\n");
    int rc = rpt__write_file(&b, path, err, errlen);
    rpt__buf_free(&b);
    return rc;
}
