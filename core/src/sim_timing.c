/*
 * obol core: the timing model's formulas (sim_timing.h). Every number comes from a
 * profile; the structure of the exchanges (which frames are sent in which order) is
 * ISO/IEC 14443-3/-4 and ISO/IEC 7816-3, as cited at each function.
 */
#include "obol/sim_timing.h"

#include <math.h>

sim_time sim_us(double us)
{
    return (sim_time)llround(us * 1000.0);
}

sim_time sim_chip_time(const sim_chip *c, const sim_work *w)
{
    double us = c->apdu_us * w->apdus + c->nvm_write_us * w->nvm_writes +
                c->nvm_page_us * w->nvm_pages + c->nvm_byte_us * w->nvm_bytes +
                c->cipher_block_us * w->crypto_blocks + c->rng_byte_us * w->rng_bytes;
    return sim_us(us);
}

double sim_air_etu_ns(const sim_air *a, int kbps)
{
    /* ISO/IEC 14443-2: 106 kbit/s is fc/128; 212, 424, 848 divide by 64, 32, 16. */
    double div = a->etu_fc_106 * 106.0 / (double)kbps;
    return div / a->fc_hz * 1e9;
}

/* Air time of one frame of BYTES bytes (before framing). */
static double frame_ns(const sim_air *a, int kbps, double bytes)
{
    return (a->sof_bits + bytes * a->bits_per_byte + a->eof_bits) * sim_air_etu_ns(a, kbps);
}

sim_time sim_air_fwt(const sim_air *a)
{
    /* ISO/IEC 14443-4, 7.2: FWT = (256 x 16 / fc) x 2^FWI. */
    return (sim_time)llround(a->fwt_unit_fc * pow(2.0, a->fwi) / a->fc_hz * 1e9);
}

sim_time sim_air_exchange(const sim_air *a, int kbps, size_t cmd, size_t rsp, sim_time work,
                          unsigned *wtx)
{
    double fdt_picc = a->fdt_picc_fc / a->fc_hz * 1e9, fdt_pcd = a->fdt_pcd_fc / a->fc_hz * 1e9;
    double ns = frame_ns(a, kbps, a->prologue_bytes + (double)cmd + a->crc_bytes) + fdt_picc;
    /* ISO/IEC 14443-4, 7.3: a card that needs more than FWT sends S(WTX) and the
     * reader answers it; each extension buys another FWT. */
    sim_time fwt = sim_air_fwt(a);
    unsigned n = 0;
    if (fwt > 0 && work > fwt)
        n = (unsigned)((work - 1) / fwt);
    ns += (double)work;
    ns += n * (2 * frame_ns(a, kbps, a->wtx_bytes + a->crc_bytes) + fdt_picc + fdt_pcd);
    ns += frame_ns(a, kbps, a->prologue_bytes + (double)rsp + a->crc_bytes) + fdt_pcd;
    if (wtx != NULL)
        *wtx = n;
    return (sim_time)llround(ns);
}

sim_time sim_air_recovery(const sim_air *a, int kbps, size_t cmd, size_t rsp, int cmd_lost,
                          int rsp_bad)
{
    double fdt_picc = a->fdt_picc_fc / a->fc_hz * 1e9, fdt_pcd = a->fdt_pcd_fc / a->fc_hz * 1e9;
    double nak = frame_ns(a, kbps, a->prologue_bytes + a->crc_bytes);
    double ns = 0;
    if (cmd_lost) /* silence until FWT runs out, R(NAK), the card's R(ACK), the command */
        ns += (double)sim_air_fwt(a) + nak + fdt_picc + nak + fdt_pcd +
              frame_ns(a, kbps, a->prologue_bytes + (double)cmd + a->crc_bytes) + fdt_picc;
    if (rsp_bad) /* R(NAK), the response again */
        ns += nak + fdt_picc + frame_ns(a, kbps, a->prologue_bytes + (double)rsp + a->crc_bytes) +
              fdt_pcd;
    return (sim_time)llround(ns);
}

sim_time sim_air_activation(const sim_air *a)
{
    /* ISO/IEC 14443-3, 6.3: REQA/ATQA, anticollision and SELECT (cascade level 1),
     * then ISO/IEC 14443-4, 5.1: RATS/ATS, all at 106 kbit/s; each exchange waits a
     * frame delay each way. CRC bytes are part of the byte counts in the profile. */
    double fdt = (a->fdt_picc_fc + a->fdt_pcd_fc) / a->fc_hz * 1e9;
    double etu = sim_air_etu_ns(a, 106);
    double bits = (a->activation_pcd_bytes + a->activation_picc_bytes) * a->bits_per_byte +
                  2 * a->activation_frames * (a->sof_bits + a->eof_bits);
    double ns = a->power_up_us * 1e3 + a->request_guard_fc / a->fc_hz * 1e9 + bits * etu +
                a->activation_frames * fdt + a->sfgt_us * 1e3;
    return (sim_time)llround(ns);
}

sim_time sim_air_deselect(const sim_air *a, int kbps)
{
    double fdt = (a->fdt_picc_fc + a->fdt_pcd_fc) / a->fc_hz * 1e9;
    return (sim_time)llround(2 * frame_ns(a, kbps, a->deselect_bytes + a->crc_bytes) + fdt);
}

double sim_contact_etu_ns(const sim_contact *c)
{
    /* ISO/IEC 7816-3, 7.1: 1 etu = (F / D) x (1 / f). */
    return c->fi / c->di / c->clock_hz * 1e9;
}

sim_time sim_contact_exchange(const sim_contact *c, size_t cmd_data, size_t rsp_data, sim_time work)
{
    /* ISO/IEC 7816-3, 10.3: the reader sends the 5-byte header, the card answers a
     * procedure byte, the data follows; after processing the card sends SW1 SW2. In
     * T=0 a case 4 command's data comes back through 61xx and GET RESPONSE (10.3.4):
     * another header, procedure byte, the data and SW. Every change of direction
     * waits the turnaround time. */
    double etu = sim_contact_etu_ns(c), ch = c->char_etu * etu, turn = c->turnaround_etu * etu;
    double ns = (c->header_bytes + c->procedure_bytes) * ch + turn;
    if (cmd_data > 0)
        ns += (double)cmd_data * ch + turn;
    ns += (double)work;
    if (rsp_data > 0 && c->get_response > 0.5 && cmd_data > 0) {
        ns += 2 * ch + turn; /* 61xx */
        ns += (c->header_bytes + c->procedure_bytes) * ch + 2 * turn;
    }
    ns += ((double)rsp_data + 2) * ch + turn;
    return (sim_time)llround(ns);
}
