/*
 * obol core: the OTA campaign step. When a card of the campaign taps and its purchase
 * is done, the terminal asks the TSM (online: the host link must be up) whether the
 * card has something pending; the TSM first asks the card what it holds (GET STATUS
 * through the card manager), so an update whose confirmation was lost is never
 * installed twice, then installs the new transit application. Cards are torn out of
 * the field with the campaign's probability, inside the installation's NVM writes.
 *
 * Until the GlobalPlatform card manager and hostsim's TSM sessions can be driven from
 * here, the installation itself goes through the card OS's instance creation (the
 * call GP INSTALL makes, atomic in one NVM transaction) and the script's air time is
 * timed from its declared size (the <ota> element's script-apdus and script-bytes).
 */
#include <string.h>

#include "obol/cos_perso.h"
#include "obol/obol_rom.h"
#include "world_internal.h"

/* PBOC class install parameters (pboc.h tags): an EP purse (01 = 02) with a 48-byte
 * CAPP record (08 = 30) and no transaction log (09 = 00). */
static const uint8_t ota_params[] = {0x01, 0x01, 0x02, 0x08, 0x01, 0x30, 0x09, 0x01, 0x00};

void w_ota_step(world *w, int ti, uint32_t idx, sim_time now, sim_time *dur)
{
    w_card *cd = &w->cards[idx];
    w_term *t = &w->terms[ti];
    const scn_event *ev = w->ota_ev;
    if (now < w->ota_start)
        return;
    if (!cd->ota_seen) {
        cd->ota_seen = 1;
        w->ota_tapped++;
    }
    if (!w_link_up(w, t->group, now))
        return;
    sim_time start = *dur;
    /* The TSM round trip over the terminal's link. */
    int lost = 0;
    sim_time d = w_link_delay(w, t->group, &lost);
    d += w_link_delay(w, t->group, &lost);
    if (lost)
        return;
    *dur += d;
    cos_card *c = &w->live.card;
    cos_app_info info;
    if (cos_app_find(c, w_ota_aid, sizeof(w_ota_aid), &info) == 0) {
        cd->ota = 2; /* installed earlier; the confirmation was lost */
        w->ota_updated++;
        w_trace(w, "OTA: the card already holds the transit application\n");
        return;
    }
    int tear = ev->p > 0 && sim_rng_uniform(&t->rng) < ev->p;
    if (tear)
        cos_host_cut_after(&w->live.host, (uint32_t)sim_rng_below(&t->rng, 12),
                           (uint32_t)sim_rng_below(&t->rng, 32));
    cos_cost before = *cos_cost_get(c);
    cos_inst_spec spec;
    memset(&spec, 0, sizeof(spec));
    spec.df.name = w_ota_aid;
    spec.df.namelen = sizeof(w_ota_aid);
    spec.class_id = OBOL_CLASS_PBOC;
    spec.params = ota_params;
    spec.plen = sizeof(ota_params);
    int rc = cos_inst_create(c, cos_perso_mf(c), &spec, NULL);
    const cos_cost *after = cos_cost_get(c);
    sim_work wk = {after->apdus - before.apdus,
                   after->nvm_writes - before.nvm_writes,
                   after->nvm_bytes - before.nvm_bytes,
                   after->nvm_pages - before.nvm_pages,
                   after->crypto_blocks - before.crypto_blocks,
                   after->rng_bytes - before.rng_bytes};
    /* The script's APDUs over the air, each with the card OS's dispatch cost; the
     * installation's NVM work lands on the last of them. */
    wk.apdus += ev->script_apdus;
    sim_time work = sim_chip_time(&w->sc->card_chip, &wk);
    for (uint32_t i = 0; i < ev->script_apdus; i++)
        *dur += sim_air_exchange(&w->sc->air, w->sc->bitrate, ev->script_bytes, 2,
                                 i + 1 == ev->script_apdus ? work : 0, NULL);
    if (rc == 0) {
        cd->ota_installs++;
        cd->ota = 2;
        w->ota_updated++;
        w_trace(w, "OTA: transit application installed\n");
    } else if (rc == COS_ERR_POWER_LOST) {
        w->ota_torn++;
        w_trace(w, "OTA: the card left the field during the installation\n");
    } else if (rc == COS_ERR_EXISTS) {
        cd->ota = 2;
        w->ota_updated++;
    } else {
        w_trace(w, "OTA: the installation failed (%d)\n", rc);
    }
    sim_hist_record(&w->ota_ns, *dur - start);
}
