/*
 * obol reports: the HTML writer. One self-contained page (inline CSS and SVG, no
 * scripts, no external resources) that reads well in a browser and prints: a summary
 * banner, a table of contents with each scenario's verdict, then per scenario its
 * description, headline figures, checks (failures first in red, with the body and the
 * APDU trace excerpt folded under <details>) and charts.
 */
#include <stdio.h>

#include "rpt_internal.h"

static const char css[] =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2330;"
    "background:#f4f5f7;margin:0}\n"
    "main{max-width:1080px;margin:0 auto;padding:24px 28px 60px}\n"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:21px;margin:0 0 6px}"
    "h3{font-size:16px;margin:18px 0 8px}\n"
    ".sub{color:#5b6474;margin:0 0 18px}\n"
    ".banner{border-radius:8px;padding:14px 18px;margin:16px 0 22px;font-size:17px;"
    "font-weight:600}\n"
    ".banner.ok{background:#e3f4e8;color:#17602f;border:1px solid #b6e0c3}\n"
    ".banner.bad{background:#fbe7e7;color:#8c1d1d;border:1px solid #efbcbc}\n"
    "section.sc{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:18px 22px;"
    "margin:0 0 22px}\n"
    "table{border-collapse:collapse;width:100%;table-layout:fixed}"
    "table.checks col.c1{width:64px}table.checks col.c2{width:150px}"
    "table.checks col.c3{width:30%}\n"
    "table.toc col.c1{width:64px}table.toc col.c2{width:140px}table.toc col.c3{width:70px}\n"
    "th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eceef2;vertical-align:top}"
    "th{font-size:13px;color:#5b6474;font-weight:600}\n"
    ".pill{display:inline-block;min-width:44px;text-align:center;border-radius:10px;"
    "padding:1px 8px;font-size:12px;font-weight:700;text-transform:uppercase}\n"
    ".pass{background:#d8f0df;color:#17602f}.fail{background:#f9d3d3;color:#8c1d1d}"
    ".error{background:#fde9c8;color:#7a4a00}\n"
    "tr.row-fail td,tr.row-error td{background:#fff5f5}\n"
    "td code{white-space:nowrap}\n"
    "code,pre{font:12.5px/1.4 ui-monospace,'DejaVu Sans Mono',monospace}\n"
    "pre{background:#f6f7f9;border:1px solid #e3e6eb;border-radius:6px;padding:8px 10px;"
    "overflow:auto;max-height:320px;white-space:pre;max-width:100%}\n"
    ".figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:8px 16px;"
    "margin:8px 0 4px}\n"
    ".fig{border-left:3px solid #c9d2e3;padding:2px 10px}.fig b{display:block;font-size:12px;"
    "color:#5b6474;font-weight:600}.fig span{font-size:16px}\n"
    ".meta{color:#5b6474;font-size:13px}\n"
    ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:12px}\n"
    "svg.chart{background:#fff;border:1px solid #e3e6eb;border-radius:6px;max-width:100%;"
    "height:auto}\n"
    "svg .grid{stroke:#eceef2}svg .axis{stroke:#9aa3b2}"
    "svg .tick{font-size:11px;fill:#5b6474}svg .label{font-size:12px;fill:#3b4252}"
    "svg .ctitle{font-size:14px;font-weight:600;fill:#1d2330}"
    "svg .bar{fill:#4b7bd1}svg .bar.over{fill:#d04b4b}"
    "svg .line{fill:none;stroke:#4b7bd1;stroke-width:2}"
    "svg .ref{stroke:#d04b4b;stroke-width:1.5;stroke-dasharray:5 4}"
    "svg .reflabel{font-size:11px;fill:#b03030;font-weight:600}\n"
    "details summary{cursor:pointer;color:#3b5ba5}\n"
    ".err{color:#8c1d1d;font-weight:600}\n"
    "a{color:#3b5ba5;text-decoration:none}a:hover{text-decoration:underline}\n";

static const char *verdict(const rpt_scenario *sc)
{
    if (sc->error != NULL)
        return "error";
    int fail = 0, err = 0;
    for (size_t i = 0; i < sc->ncheck; i++) {
        fail |= sc->check[i]->status == RPT_FAIL;
        err |= sc->check[i]->status == RPT_ERROR;
    }
    return fail ? "fail" : err ? "error" : "pass";
}

static void check_row(rpt__buf *b, const rpt_check *c)
{
    const char *st = rpt_status_name(c->status);
    rpt__printf(b, "<tr class=\"row-%s\"><td><span class=\"pill %s\">%s</span></td><td><code>", st,
                st, st);
    rpt__html(b, c->id);
    rpt__puts(b, "</code></td><td>");
    rpt__html(b, c->title);
    rpt__puts(b, "<div class=\"meta\">");
    rpt__html(b, c->area);
    rpt__puts(b, " &middot; ");
    rpt__html(b, c->source);
    rpt__puts(b, "</div></td><td>");
    rpt__html(b, c->message);
    if (c->detail != NULL || c->trace != NULL) {
        rpt__puts(b, c->status == RPT_PASS ? "<details>" : "<details open>");
        rpt__puts(b, "<summary>details</summary>");
        if (c->detail != NULL) {
            rpt__puts(b, "<pre>");
            rpt__html(b, c->detail);
            rpt__puts(b, "</pre>");
        }
        if (c->trace != NULL) {
            rpt__puts(b, "<div class=\"meta\">APDU trace excerpt</div><pre>");
            rpt__html(b, c->trace);
            rpt__puts(b, "</pre>");
        }
        rpt__puts(b, "</details>");
    }
    rpt__puts(b, "</td></tr>\n");
}

static void scenario(rpt__buf *b, const rpt_scenario *sc)
{
    const char *v = verdict(sc);
    rpt__puts(b, "<section class=\"sc\" id=\"sc-");
    rpt__html(b, sc->name);
    rpt__printf(b, "\">\n<h2><span class=\"pill %s\">%s</span> ", v, v);
    rpt__html(b, sc->name);
    rpt__puts(b, "</h2>\n<p class=\"meta\">");
    if (sc->file != NULL) {
        rpt__puts(b, "<code>");
        rpt__html(b, sc->file);
        rpt__puts(b, "</code> &middot; ");
    }
    rpt__printf(b, "seed %llu &middot; ", (unsigned long long)sc->seed);
    if (sc->sim_seconds < 3600)
        rpt__printf(b, "%.0f min simulated", sc->sim_seconds / 60);
    else
        rpt__printf(b, "%.1f h simulated", sc->sim_seconds / 3600);
    rpt__printf(b, " &middot; %llu events</p>\n", (unsigned long long)sc->events);
    if (sc->description != NULL) {
        rpt__puts(b, "<p>");
        rpt__html(b, sc->description);
        rpt__puts(b, "</p>\n");
    }
    if (sc->error != NULL) {
        rpt__puts(b, "<p class=\"err\">The scenario could not run: ");
        rpt__html(b, sc->error);
        rpt__puts(b, "</p>\n");
    }
    if (sc->nfig > 0) {
        rpt__puts(b, "<div class=\"figs\">\n");
        for (size_t i = 0; i < sc->nfig; i++) {
            rpt__puts(b, "<div class=\"fig\"><b>");
            rpt__html(b, sc->fig[i].name);
            rpt__puts(b, "</b><span>");
            rpt__html(b, sc->fig[i].value);
            rpt__puts(b, "</span></div>\n");
        }
        rpt__puts(b, "</div>\n");
    }
    if (sc->ncheck > 0) {
        rpt__puts(b, "<h3>Checks</h3>\n<table class=\"checks\"><col class=\"c1\"><col "
                     "class=\"c2\"><col class=\"c3\"><col><tr><th>result</th><th>requirement</th>"
                     "<th>what</th><th>measured</th></tr>\n");
        /* Failures and errors first, then passes; each group in the scenario's order. */
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < sc->ncheck; i++)
                if ((sc->check[i]->status == RPT_PASS) == pass)
                    check_row(b, sc->check[i]);
        rpt__puts(b, "</table>\n");
    }
    if (sc->nchart > 0) {
        rpt__puts(b, "<h3>Charts</h3>\n<div class=\"charts\">\n");
        for (size_t i = 0; i < sc->nchart; i++)
            rpt__svg_chart(b, sc->chart[i], 520, 280);
        rpt__puts(b, "</div>\n");
    }
    rpt__puts(b, "</section>\n");
}

int rpt_write_html(const rpt_report *r, const char *path, char *err, size_t errlen)
{
    rpt__buf b;
    rpt__buf_init(&b);
    rpt_totals t;
    rpt_totals_get(r, &t);
    int ok = rpt_all_passed(r);
    rpt__puts(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<title>");
    rpt__html(&b, r->title);
    rpt__printf(&b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n<h1>", css);
    rpt__html(&b, r->title);
    rpt__puts(&b, "</h1>\n<p class=\"sub\">Conformance report of simulated scenarios: every "
                  "check names the requirement it tests and the clause or budget it comes "
                  "from.</p>\n");
    rpt__printf(&b,
                "<div class=\"banner %s\">%s &mdash; %zu scenario%s, %zu check%s: %zu passed, "
                "%zu failed, %zu could not be evaluated</div>\n",
                ok ? "ok" : "bad", ok ? "All checks passed" : "Some checks did not pass",
                t.scenarios, t.scenarios == 1 ? "" : "s", t.checks, t.checks == 1 ? "" : "s",
                t.passed, t.failed, t.errors);
    rpt__puts(&b, "<section class=\"sc\"><h2>Scenarios</h2>\n<table class=\"toc\"><col "
                  "class=\"c1\"><col class=\"c2\"><col class=\"c3\"><col><tr><th>result</th>"
                  "<th>scenario</th><th>checks</th><th>what it plays</th></tr>\n");
    for (size_t i = 0; i < r->n; i++) {
        const rpt_scenario *sc = r->sc[i];
        size_t pass = 0;
        for (size_t k = 0; k < sc->ncheck; k++)
            pass += sc->check[k]->status == RPT_PASS;
        const char *v = verdict(sc);
        rpt__printf(&b, "<tr><td><span class=\"pill %s\">%s</span></td><td><a href=\"#sc-", v, v);
        rpt__html(&b, sc->name);
        rpt__puts(&b, "\">");
        rpt__html(&b, sc->name);
        rpt__printf(&b, "</a></td><td>%zu / %zu</td><td>", pass, sc->ncheck);
        rpt__html(&b, sc->description);
        rpt__puts(&b, "</td></tr>\n");
    }
    rpt__puts(&b, "</table></section>\n");
    for (size_t i = 0; i < r->n; i++)
        scenario(&b, r->sc[i]);
    rpt__puts(&b, "</main>\n</body>\n</html>\n");
    int rc = rpt__write_file(&b, path, err, errlen);
    rpt__buf_free(&b);
    return rc;
}
