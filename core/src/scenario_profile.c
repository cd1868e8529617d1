/*
 * obol core: timing profiles (scenarios/profiles/NAME.xml). A profile names its kind and
 * lists parameters with unit and source; this file maps parameter names to the
 * fields of sim_chip, sim_air, sim_contact and sim_term (sim_timing.h). Each kind's
 * table is the complete list: a missing or unknown name is an error, so a typo
 * cannot leave a field at zero.
 */
#include <libxml/tree.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_internal.h"

typedef struct field {
    const char *name;
    size_t off;
} field;

#define F(type, name)                                                                              \
    {                                                                                              \
#name, offsetof(type, name)                                                                \
    }

static const field chip_fields[] = {
    F(sim_chip, apdu_us),     F(sim_chip, nvm_write_us),    F(sim_chip, nvm_page_us),
    F(sim_chip, nvm_byte_us), F(sim_chip, cipher_block_us), F(sim_chip, rng_byte_us),
    F(sim_chip, power_on_us), F(sim_chip, nvm_page_bytes),  {NULL, 0}};
static const field air_fields[] = {F(sim_air, fc_hz),
                                   F(sim_air, etu_fc_106),
                                   F(sim_air, bits_per_byte),
                                   F(sim_air, sof_bits),
                                   F(sim_air, eof_bits),
                                   F(sim_air, crc_bytes),
                                   F(sim_air, prologue_bytes),
                                   F(sim_air, fdt_picc_fc),
                                   F(sim_air, fdt_pcd_fc),
                                   F(sim_air, request_guard_fc),
                                   F(sim_air, power_up_us),
                                   F(sim_air, activation_pcd_bytes),
                                   F(sim_air, activation_picc_bytes),
                                   F(sim_air, activation_frames),
                                   F(sim_air, sfgt_us),
                                   F(sim_air, fwi),
                                   F(sim_air, fwt_unit_fc),
                                   F(sim_air, wtx_bytes),
                                   F(sim_air, deselect_bytes),
                                   F(sim_air, frame_error),
                                   {NULL, 0}};
static const field contact_fields[] = {F(sim_contact, clock_hz),
                                       F(sim_contact, fi),
                                       F(sim_contact, di),
                                       F(sim_contact, char_etu),
                                       F(sim_contact, turnaround_etu),
                                       F(sim_contact, header_bytes),
                                       F(sim_contact, procedure_bytes),
                                       F(sim_contact, get_response),
                                       F(sim_contact, activation_us),
                                       {NULL, 0}};
static const field term_fields[] = {F(sim_term, txn_us),       F(sim_term, apdu_us),
                                    F(sim_term, blacklist_us), F(sim_term, journal_us),
                                    F(sim_term, poll_us),      {NULL, 0}};

int scn__profile(const char *path, const char *kind, void *out, char *err, size_t errlen)
{
    const field *tab = strcmp(kind, "chip") == 0      ? chip_fields
                       : strcmp(kind, "air") == 0     ? air_fields
                       : strcmp(kind, "contact") == 0 ? contact_fields
                                                      : term_fields;
    xmlDocPtr doc;
    int rc = scn__read(path, "profile.xsd", &doc, err, errlen);
    if (rc != 0)
        return rc;
    xmlNodePtr root = xmlDocGetRootElement(doc);
    char buf[256], name[64];
    size_t nf = 0;
    while (tab[nf].name != NULL)
        nf++;
    unsigned char seen[64] = {0};
    rc = SCN_ERR_VALUE;
    if (strcmp(scn__attr(root, "kind", buf, sizeof(buf)), kind) != 0) {
        scn__err(err, errlen, "%s:%ld: expected a profile of kind '%s', not '%s'", path,
                 xmlGetLineNo(root), kind, buf);
        goto out;
    }
    for (xmlNodePtr p = scn__child(root, "param"); p != NULL; p = scn__next(p, "param")) {
        scn__attr(p, "name", name, sizeof(name));
        size_t i = 0;
        while (i < nf && strcmp(tab[i].name, name) != 0)
            i++;
        if (i == nf) {
            scn__err(err, errlen, "%s:%ld: unknown %s parameter '%s'", path, xmlGetLineNo(p), kind,
                     name);
            goto out;
        }
        if (seen[i]) {
            scn__err(err, errlen, "%s:%ld: parameter '%s' given twice", path, xmlGetLineNo(p),
                     name);
            goto out;
        }
        seen[i] = 1;
        *(double *)((char *)out + tab[i].off) =
            strtod(scn__attr(p, "value", buf, sizeof(buf)), NULL);
    }
    for (size_t i = 0; i < nf; i++)
        if (!seen[i]) {
            scn__err(err, errlen, "%s:%ld: %s profile lacks parameter '%s'", path,
                     xmlGetLineNo(root), kind, tab[i].name);
            goto out;
        }
    if (strcmp(kind, "chip") == 0 &&
        (((sim_chip *)out)->nvm_page_bytes < 1 || ((sim_chip *)out)->nvm_page_bytes > 4096)) {
        scn__err(err, errlen, "%s: nvm_page_bytes must be 1..4096", path);
        goto out;
    }
    if (strcmp(kind, "air") == 0 &&
        (((sim_air *)out)->fc_hz <= 0 || ((sim_air *)out)->frame_error >= 1)) {
        scn__err(err, errlen, "%s: fc_hz must be > 0 and frame_error below 1", path);
        goto out;
    }
    if (strcmp(kind, "contact") == 0 &&
        (((sim_contact *)out)->clock_hz <= 0 || ((sim_contact *)out)->di <= 0)) {
        scn__err(err, errlen, "%s: clock_hz and di must be > 0", path);
        goto out;
    }
    rc = 0;
out:
    xmlFreeDoc(doc);
    return rc;
}
