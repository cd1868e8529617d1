/*
 * obol reports: the requirement catalogue (loading, errors with file:line), the check
 * model (comparisons, messages), and the three writers (JUnit parsed back with
 * libxml2, HTML and JSON content, escaping, byte-identical output for the same model).
 */
#include <criterion/criterion.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "obol/rpt.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return p;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

Test(rpt_catalog, loads_the_repository_catalogue)
{
    rpt_catalog cat;
    char err[512];
    cr_assert_eq(rpt_catalog_load(&cat, rpt_catalog_default_path(), err, sizeof(err)), 0, "%s",
                 err);
    const char *ids[] = {"TRANSIT-LAT-01", "PBOC-EP-PUR-03", "SEC-REPLAY-01", "BL-LAG-01",
                         "OTA-ONCE-01",    "MONEY-CONS-01",  "RETAIL-LAT-01", "PAYTV-LAT-01",
                         "DUAL-LAT-01",    "HOST-OUT-01"};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        const rpt_req *r = rpt_catalog_find(&cat, ids[i]);
        cr_assert_not_null(r, "%s missing", ids[i]);
        cr_expect(strlen(r->source) > 5 && strlen(r->title) > 5);
    }
    cr_expect_null(rpt_catalog_find(&cat, "NOPE-01"));
    rpt_catalog_free(&cat);
}

static void expect_catalog_error(const char *text, const char *want)
{
    char path[] = "/tmp/obol-cat-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    write_text(path, text);
    rpt_catalog cat;
    char err[512] = "";
    cr_expect_eq(rpt_catalog_load(&cat, path, err, sizeof(err)), RPT_ERR_FORMAT);
    cr_expect_not_null(strstr(err, want), "got '%s', want '%s'", err, want);
    cr_expect_eq(cat.n, 0);
    unlink(path);
}

Test(rpt_catalog, errors_name_file_and_line)
{
    expect_catalog_error("# c\nA-1\tarea\ttitle\tsrc\ttext\nA-1\tarea\ttitle\tsrc\ttext\n",
                         ":3: duplicate requirement id 'A-1'");
    expect_catalog_error("A-1\tarea\ttitle\tsrc\n", ":1: expected 5 tab-separated columns");
    expect_catalog_error("\n\nlower-1\ta\tb\tc\td\n", ":3: requirement id 'lower-1'");
    expect_catalog_error("A-1\ta\t\tc\td\n", ":1: empty column 3");
    rpt_catalog cat;
    char err[256];
    cr_expect_eq(rpt_catalog_load(&cat, "/nonexistent/req.tsv", err, sizeof(err)), RPT_ERR_IO);
}

Test(rpt_check, comparisons_and_messages)
{
    cr_expect_eq(rpt_compare("lt", 1, 2), 1);
    cr_expect_eq(rpt_compare("lt", 2, 2), 0);
    cr_expect_eq(rpt_compare("le", 2, 2), 1);
    cr_expect_eq(rpt_compare("ge", 1, 2), 0);
    cr_expect_eq(rpt_compare("eq", 0, 0), 1);
    cr_expect_eq(rpt_compare("ne", 0, 0), 0);
    cr_expect_eq(rpt_compare("xx", 0, 0), -1);
    rpt_report *r = rpt_report_new("t");
    rpt_scenario *sc = rpt_scenario_add(r, "s", NULL, NULL, 1);
    rpt_req req = {"TRANSIT-LAT-01", "transit", "Tap time", "budget", "text"};
    rpt_check *c = rpt_check_add(sc, &req, NULL);
    cr_assert_eq(rpt_check_set_result(c, "tap_ms.p99", "lt", 300, "ms", 1, 312.34567), 0);
    cr_expect_eq(c->status, RPT_FAIL);
    cr_expect_str_eq(c->message, "tap_ms.p99 = 312.346 ms, required < 300 ms");
    rpt_check_set_result(c, "tap_ms.p99", "lt", 300, "ms", 1, 120);
    cr_expect_eq(c->status, RPT_PASS);
    rpt_check_set_result(c, "tap_ms.p99", "lt", 300, "ms", 0, 0);
    cr_expect_eq(c->status, RPT_ERROR);
    cr_expect_not_null(strstr(c->message, "no value"));
    cr_expect_eq(rpt_all_passed(r), 0);
    rpt_report_free(r);
}

/* A report with one failing and one passing check, a bar and a line chart, and text
 * that needs escaping everywhere. */
static rpt_report *sample(void)
{
    rpt_report *r = rpt_report_new("obol <test> & \"report\"");
    rpt_scenario *sc = rpt_scenario_add(r, "demo", "scenarios/demo.xml", "A <b>demo</b> & more", 7);
    sc->sim_seconds = 3600;
    sc->events = 12345;
    rpt_figure_add(sc, "taps", "%d", 42);
    rpt_req a = {"TRANSIT-LAT-01", "transit", "Tap time < budget", "seed budget", "t"};
    rpt_req b = {"MONEY-CONS-01", "money", "No money lost", "seed", "t"};
    rpt_check *c = rpt_check_add(sc, &a, NULL);
    rpt_check_set_result(c, "tap_ms.p99", "lt", 300, "ms", 1, 301.5);
    rpt_check_set_detail(c, "the slowest tap took 301.5 ms");
    rpt_check_set_trace(c, "card > 00A40400 <&>\ncard < 9000");
    c = rpt_check_add(sc, &b, NULL);
    rpt_check_set_result(c, "money.mismatch_cards", "eq", 0, "cards", 1, 0);
    double x[] = {0, 10, 20, 30}, y[] = {5, 7, 1};
    rpt_chart *ch = rpt_chart_add(sc, RPT_CHART_BARS, "latency", "Tap time", "ms", "taps", x, y, 3);
    rpt_chart_set_ref(ch, 1, 25, "budget 25 ms");
    double lx[] = {6.5, 7, 7.5}, ly[] = {0, 3, 1};
    ch = rpt_chart_add(sc, RPT_CHART_LINE, "queue", "Queue", "time of day", "riders", lx, ly, 3);
    ch->x_clock = 1;
    return r;
}

Test(rpt_write, junit_parses_back_with_cases_and_failures)
{
    rpt_report *r = sample();
    char err[256];
    const char *path = "/tmp/obol-test-junit.xml";
    cr_assert_eq(rpt_write_junit(r, path, err, sizeof(err)), 0, "%s", err);
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    cr_assert_not_null(doc);
    xmlXPathContextPtr xc = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST "//testcase", xc);
    cr_expect_eq(o->nodesetval->nodeNr, 2);
    xmlChar *cls = xmlGetProp(o->nodesetval->nodeTab[0], BAD_CAST "classname");
    xmlChar *name = xmlGetProp(o->nodesetval->nodeTab[0], BAD_CAST "name");
    cr_expect_str_eq((char *)cls, "transit");
    cr_expect_str_eq((char *)name, "TRANSIT-LAT-01 Tap time < budget");
    xmlFree(cls);
    xmlFree(name);
    xmlXPathFreeObject(o);
    o = xmlXPathEvalExpression(BAD_CAST "//testcase/failure", xc);
    cr_expect_eq(o->nodesetval->nodeNr, 1);
    xmlChar *msg = xmlGetProp(o->nodesetval->nodeTab[0], BAD_CAST "message");
    cr_expect_str_eq((char *)msg, "tap_ms.p99 = 301.5 ms, required < 300 ms");
    xmlFree(msg);
    xmlXPathFreeObject(o);
    o = xmlXPathEvalExpression(BAD_CAST "string(//testcase/system-out)", xc);
    cr_expect_str_eq((char *)o->stringval, "card > 00A40400 <&>\ncard < 9000");
    xmlXPathFreeObject(o);
    o = xmlXPathEvalExpression(BAD_CAST "string(/testsuites/@failures)", xc);
    cr_expect_str_eq((char *)o->stringval, "1");
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(xc);
    xmlFreeDoc(doc);
    rpt_report_free(r);
    unlink(path);
}

Test(rpt_write, html_and_json_content)
{
    rpt_report *r = sample();
    char err[256];
    cr_assert_eq(rpt_write_html(r, "/tmp/obol-test.html", err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(rpt_write_json(r, "/tmp/obol-test.json", err, sizeof(err)), 0, "%s", err);
    char *h = slurp("/tmp/obol-test.html", NULL);
    cr_expect_not_null(strstr(h, "<!DOCTYPE html>"));
    cr_expect_not_null(strstr(h, "obol &lt;test&gt; &amp; &quot;report&quot;"));
    cr_expect_null(strstr(h, "<b>demo</b>"), "description must be escaped");
    cr_expect_not_null(strstr(h, "<svg"));
    cr_expect_not_null(strstr(h, "class=\"ref\""), "the budget line");
    cr_expect_not_null(strstr(h, ">06:30<"), "clock axis labels");
    cr_expect_null(strstr(h, "src=\"http"), "no external resources");
    cr_expect_null(strstr(h, "href=\"http"), "no external resources");
    char *j = slurp("/tmp/obol-test.json", NULL);
    cr_expect_not_null(strstr(j, "\"passed\": false"));
    cr_expect_not_null(strstr(j, "\"trace\": \"card > 00A40400 <&>\\ncard < 9000\""));
    cr_expect_not_null(strstr(j, "\"value\": 301.5"));
    cr_expect_not_null(strstr(j, "\"title\": \"obol <test> & \\\"report\\\"\""));
    free(h);
    free(j);
    rpt_report_free(r);
    unlink("/tmp/obol-test.html");
    unlink("/tmp/obol-test.json");
}

Test(rpt_write, same_model_same_bytes)
{
    const char *files[2][3] = {{"/tmp/obol-d1.xml", "/tmp/obol-d1.html", "/tmp/obol-d1.json"},
                               {"/tmp/obol-d2.xml", "/tmp/obol-d2.html", "/tmp/obol-d2.json"}};
    for (int k = 0; k < 2; k++) {
        rpt_report *r = sample();
        cr_assert_eq(rpt_write_junit(r, files[k][0], NULL, 0), 0);
        cr_assert_eq(rpt_write_html(r, files[k][1], NULL, 0), 0);
        cr_assert_eq(rpt_write_json(r, files[k][2], NULL, 0), 0);
        rpt_report_free(r);
    }
    for (int i = 0; i < 3; i++) {
        size_t la, lb;
        char *a = slurp(files[0][i], &la), *b = slurp(files[1][i], &lb);
        cr_expect(la == lb && memcmp(a, b, la) == 0, "%s differs", files[0][i]);
        free(a);
        free(b);
        unlink(files[0][i]);
        unlink(files[1][i]);
    }
}

Test(rpt_write, unwritable_path_is_an_io_error)
{
    rpt_report *r = sample();
    char err[256] = "";
    cr_expect_eq(rpt_write_json(r, "/nonexistent/dir/r.json", err, sizeof(err)), RPT_ERR_IO);
    cr_expect_not_null(strstr(err, "/nonexistent/dir/r.json"));
    rpt_report_free(r);
}
