/*
 * obol reports: the JUnit XML writer (the format CI systems read: Jenkins, GitLab,
 * GitHub annotations). One <testsuite> per scenario, one <testcase> per check with
 * classname = the requirement's area and name = "ID title"; a failing check carries
 * <failure message="..."> with its body, an error <error>; the APDU trace excerpt goes
 * to <system-out>. Times are virtual seconds of the scenario spread over its checks'
 * suite (a testcase gets 0: checks are evaluated after the run), so the file is the
 * same for the same run. Written with libxml2's text writer, which escapes for us.
 */
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <string.h>

#include "rpt_internal.h"

/* Writes "%.3f" of V into a small static-free buffer. */
static void fmt3(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.3f", v);
}

static int suite(xmlTextWriterPtr w, const rpt_scenario *sc)
{
    size_t fail = 0, errs = 0;
    for (size_t i = 0; i < sc->ncheck; i++) {
        fail += sc->check[i]->status == RPT_FAIL;
        errs += sc->check[i]->status == RPT_ERROR;
    }
    char num[64];
    int rc = 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "testsuite") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST sc->name) < 0;
    snprintf(num, sizeof(num), "%zu", sc->ncheck + (sc->error != NULL && sc->ncheck == 0));
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "tests", BAD_CAST num) < 0;
    snprintf(num, sizeof(num), "%zu", fail);
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "failures", BAD_CAST num) < 0;
    snprintf(num, sizeof(num), "%zu", errs + (sc->error != NULL && sc->ncheck == 0));
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "errors", BAD_CAST num) < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "skipped", BAD_CAST "0") < 0;
    fmt3(num, sizeof(num), sc->sim_seconds);
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "time", BAD_CAST num) < 0;

    rc |= xmlTextWriterStartElement(w, BAD_CAST "properties") < 0;
    struct {
        const char *k;
        char v[64];
    } props[3] = {{"seed", ""}, {"simulated_seconds", ""}, {"events", ""}};
    snprintf(props[0].v, sizeof(props[0].v), "%llu", (unsigned long long)sc->seed);
    fmt3(props[1].v, sizeof(props[1].v), sc->sim_seconds);
    snprintf(props[2].v, sizeof(props[2].v), "%llu", (unsigned long long)sc->events);
    if (sc->file != NULL) {
        rc |= xmlTextWriterStartElement(w, BAD_CAST "property") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST "file") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "value", BAD_CAST sc->file) < 0;
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    for (int i = 0; i < 3; i++) {
        rc |= xmlTextWriterStartElement(w, BAD_CAST "property") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST props[i].k) < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "value", BAD_CAST props[i].v) < 0;
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    for (size_t i = 0; i < sc->nfig; i++) {
        rc |= xmlTextWriterStartElement(w, BAD_CAST "property") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST sc->fig[i].name) < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "value", BAD_CAST sc->fig[i].value) < 0;
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    rc |= xmlTextWriterEndElement(w) < 0; /* properties */

    if (sc->error != NULL && sc->ncheck == 0) {
        rc |= xmlTextWriterStartElement(w, BAD_CAST "testcase") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "classname", BAD_CAST "scenario") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST "run") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "time", BAD_CAST "0.000") < 0;
        rc |= xmlTextWriterStartElement(w, BAD_CAST "error") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "message", BAD_CAST sc->error) < 0;
        rc |= xmlTextWriterWriteString(w, BAD_CAST sc->error) < 0;
        rc |= xmlTextWriterEndElement(w) < 0;
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    for (size_t i = 0; i < sc->ncheck; i++) {
        const rpt_check *c = sc->check[i];
        char name[512];
        snprintf(name, sizeof(name), "%s %s", c->id, c->title ? c->title : "");
        rc |= xmlTextWriterStartElement(w, BAD_CAST "testcase") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "classname", BAD_CAST c->area) < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST name) < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "time", BAD_CAST "0.000") < 0;
        if (c->status != RPT_PASS) {
            const char *tag = c->status == RPT_FAIL ? "failure" : "error";
            rc |= xmlTextWriterStartElement(w, BAD_CAST tag) < 0;
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "message",
                                              BAD_CAST(c->message ? c->message : "")) < 0;
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "type", BAD_CAST c->id) < 0;
            rpt__buf body;
            rpt__buf_init(&body);
            rpt__printf(&body, "%s\nrequirement: %s (%s)\n", c->message ? c->message : "", c->id,
                        c->source ? c->source : "no source");
            if (c->detail != NULL)
                rpt__printf(&body, "%s\n", c->detail);
            rc |= body.err != 0;
            if (!body.err)
                rc |= xmlTextWriterWriteString(w, BAD_CAST body.p) < 0;
            rpt__buf_free(&body);
            rc |= xmlTextWriterEndElement(w) < 0;
        }
        if (c->trace != NULL) {
            rc |= xmlTextWriterStartElement(w, BAD_CAST "system-out") < 0;
            rc |= xmlTextWriterWriteString(w, BAD_CAST c->trace) < 0;
            rc |= xmlTextWriterEndElement(w) < 0;
        }
        rc |= xmlTextWriterEndElement(w) < 0; /* testcase */
    }
    rc |= xmlTextWriterEndElement(w) < 0; /* testsuite */
    return rc ? RPT_ERR_XML : 0;
}

int rpt_write_junit(const rpt_report *r, const char *path, char *err, size_t errlen)
{
    xmlBufferPtr xb = xmlBufferCreate();
    if (xb == NULL)
        return RPT_ERR_NOMEM;
    xmlTextWriterPtr w = xmlNewTextWriterMemory(xb, 0);
    int rc = RPT_ERR_XML;
    if (w == NULL) {
        xmlBufferFree(xb);
        return RPT_ERR_NOMEM;
    }
    rpt_totals t;
    rpt_totals_get(r, &t);
    size_t not_run = 0;
    for (size_t i = 0; i < r->n; i++)
        not_run += r->sc[i]->error != NULL && r->sc[i]->ncheck == 0;
    char num[64];
    int bad = 0;
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterSetIndentString(w, BAD_CAST "  ");
    bad |= xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0;
    bad |= xmlTextWriterStartElement(w, BAD_CAST "testsuites") < 0;
    bad |= xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST r->title) < 0;
    snprintf(num, sizeof(num), "%zu", t.checks + not_run);
    bad |= xmlTextWriterWriteAttribute(w, BAD_CAST "tests", BAD_CAST num) < 0;
    snprintf(num, sizeof(num), "%zu", t.failed);
    bad |= xmlTextWriterWriteAttribute(w, BAD_CAST "failures", BAD_CAST num) < 0;
    snprintf(num, sizeof(num), "%zu", t.errors + not_run);
    bad |= xmlTextWriterWriteAttribute(w, BAD_CAST "errors", BAD_CAST num) < 0;
    for (size_t i = 0; i < r->n && !bad; i++)
        bad |= suite(w, r->sc[i]) != 0;
    bad |= xmlTextWriterEndElement(w) < 0;
    bad |= xmlTextWriterEndDocument(w) < 0;
    xmlFreeTextWriter(w);
    if (!bad) {
        rpt__buf b;
        rpt__buf_init(&b);
        rpt__putn(&b, (const char *)xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
        rc = rpt__write_file(&b, path, err, errlen);
        rpt__buf_free(&b);
    } else {
        rpt__err(err, errlen, "%s: the XML writer failed", path);
    }
    xmlBufferFree(xb);
    return rc;
}
