/*
 * obol core: helpers shared by the scenario loader's files (not public): reading an
 * XML file with line numbers and validating it against one of the schemas, with the
 * first error formatted as "file:line: message".
 */
#ifndef OBOL_SCENARIO_INTERNAL_H
#define OBOL_SCENARIO_INTERNAL_H

#include <libxml/tree.h>
#include <stddef.h>

#include "obol/scenario.h"

/* Parses PATH and validates it against SCHEMA (a file name in scn_schema_dir()), with
 * schema defaults filled into the tree. Returns 0 and the document in *DOC (free with
 * xmlFreeDoc), or SCN_ERR_IO / SCN_ERR_PARSE / SCN_ERR_SCHEMA / SCN_ERR_NOMEM with the
 * message in ERR. */
int scn__read(const char *path, const char *schema, xmlDocPtr *doc, char *err, size_t errlen);

/* The value of attribute NAME of NODE as a C string owned by the document's
 * dictionary-free copy in BUF (truncated to CAP), or NULL when absent. */
const char *scn__attr(xmlNodePtr node, const char *name, char *buf, size_t cap);
/* The first child element of NODE named NAME (NULL: any), or NULL. */
xmlNodePtr scn__child(xmlNodePtr node, const char *name);
/* The next sibling element of NODE named NAME (NULL: any), or NULL. */
xmlNodePtr scn__next(xmlNodePtr node, const char *name);

/* Loads the timing profile PATH of kind KIND ("chip", "air", "contact", "terminal")
 * into OUT (a sim_chip, sim_air, sim_contact or sim_term). Every parameter the kind
 * needs must be present, and no other. */
int scn__profile(const char *path, const char *kind, void *out, char *err, size_t errlen);

void scn__err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
