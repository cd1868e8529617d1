/*
 * obol core: reading scenario and profile XML with libxml2 — well-formedness, schema
 * validation (defaults filled in from the schema, so the loader never repeats them),
 * and error messages that name file, line and what was expected.
 */
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario_internal.h"

#ifndef OBOL_SCENARIO_DIR_DEFAULT
#define OBOL_SCENARIO_DIR_DEFAULT "scenarios"
#endif

const char *scn_strerror(int err)
{
    switch (err) {
    case SCN_OK:
        return "success";
    case SCN_ERR_NOMEM:
        return "out of memory";
    case SCN_ERR_IO:
        return "file could not be read";
    case SCN_ERR_PARSE:
        return "not well-formed XML";
    case SCN_ERR_SCHEMA:
        return "does not follow the schema";
    case SCN_ERR_VALUE:
        return "bad value or reference";
    default:
        return "unknown error";
    }
}

const char *scn_schema_dir(void)
{
    const char *env = getenv("OBOL_SCENARIO_DIR");
    return env != NULL && env[0] ? env : OBOL_SCENARIO_DIR_DEFAULT;
}

void scn__err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Collects the first libxml2 error as "file:line: message". */
typedef struct errsink {
    char *err;
    size_t errlen;
    const char *path;
    int seen;
} errsink;

static void on_error(void *ctx, xmlErrorPtr e)
{
    errsink *s = ctx;
    if (s->seen || e == NULL)
        return;
    s->seen = 1;
    char msg[400];
    snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "error");
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    scn__err(s->err, s->errlen, "%s:%d: %s", s->path, e->line, msg);
}

int scn__read(const char *path, const char *schema, xmlDocPtr *doc, char *err, size_t errlen)
{
    *doc = NULL;
    if (access(path, R_OK) != 0) {
        scn__err(err, errlen, "%s: %s", path, strerror(errno));
        return SCN_ERR_IO;
    }
    errsink sink = {err, errlen, path, 0};
    char xsd[SCN_PATH_MAX + 32];
    snprintf(xsd, sizeof(xsd), "%s/%s", scn_schema_dir(), schema);
    xmlSchemaParserCtxtPtr pc = NULL;
    xmlSchemaPtr sch = NULL;
    xmlSchemaValidCtxtPtr vc = NULL;
    int rc;

    xmlSetStructuredErrorFunc(&sink, on_error);
    xmlDocPtr d = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOENT);
    if (d == NULL) {
        if (!sink.seen)
            scn__err(err, errlen, "%s:1: not well-formed XML", path);
        rc = SCN_ERR_PARSE;
        goto out;
    }
    /* Errors in the schema itself are the installation's, not the file's. */
    errsink xsink = {err, errlen, xsd, 0};
    xmlSetStructuredErrorFunc(&xsink, on_error);
    pc = xmlSchemaNewParserCtxt(xsd);
    sch = pc ? xmlSchemaParse(pc) : NULL;
    if (sch == NULL) {
        if (!xsink.seen)
            scn__err(err, errlen, "%s: cannot load the schema", xsd);
        rc = SCN_ERR_IO;
        goto out;
    }
    xmlSetStructuredErrorFunc(&sink, on_error);
    vc = xmlSchemaNewValidCtxt(sch);
    if (vc == NULL) {
        rc = SCN_ERR_NOMEM;
        goto out;
    }
    xmlSchemaSetValidStructuredErrors(vc, on_error, &sink);
    xmlSchemaSetValidOptions(vc, XML_SCHEMA_VAL_VC_I_CREATE);
    if (xmlSchemaValidateDoc(vc, d) != 0) {
        if (!sink.seen)
            scn__err(err, errlen, "%s:1: does not follow %s", path, schema);
        rc = SCN_ERR_SCHEMA;
        goto out;
    }
    *doc = d;
    d = NULL;
    rc = SCN_OK;
out:
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (vc)
        xmlSchemaFreeValidCtxt(vc);
    if (sch)
        xmlSchemaFree(sch);
    if (pc)
        xmlSchemaFreeParserCtxt(pc);
    if (d)
        xmlFreeDoc(d);
    return rc;
}

const char *scn__attr(xmlNodePtr node, const char *name, char *buf, size_t cap)
{
    xmlChar *v = xmlGetProp(node, BAD_CAST name);
    if (v == NULL)
        return NULL;
    snprintf(buf, cap, "%s", (const char *)v);
    xmlFree(v);
    return buf;
}

xmlNodePtr scn__next(xmlNodePtr n, const char *name)
{
    for (n = n ? n->next : NULL; n != NULL; n = n->next)
        if (n->type == XML_ELEMENT_NODE && (name == NULL || xmlStrcmp(n->name, BAD_CAST name) == 0))
            return n;
    return NULL;
}

xmlNodePtr scn__child(xmlNodePtr node, const char *name)
{
    xmlNodePtr n = node ? node->children : NULL;
    if (n == NULL)
        return NULL;
    if (n->type == XML_ELEMENT_NODE && (name == NULL || xmlStrcmp(n->name, BAD_CAST name) == 0))
        return n;
    return scn__next(n, name);
}

int scn_validate(const char *path, char *err, size_t errlen)
{
    /* A profile file validates against the profile schema, anything else against the
     * scenario schema: peek at the root element first. */
    const char *schema = "scenario.xsd";
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        char head[512];
        size_t n = fread(head, 1, sizeof(head) - 1, f);
        head[n] = '\0';
        fclose(f);
        if (strstr(head, "<profile") != NULL)
            schema = "profile.xsd";
    }
    xmlDocPtr doc;
    int rc = scn__read(path, schema, &doc, err, errlen);
    if (rc == 0)
        xmlFreeDoc(doc);
    return rc;
}
