/*
 * libFuzzer target for the card OS's APDU dispatcher.
 *
 * Each input drives one card through a sequence of commands. The first byte picks
 * the card (the default test card with its two test applet instances, or the purse
 * card of profiles/purse.profile, plus the PSAM) and the interface; then each command
 * is a length byte followed by that many bytes (a length byte of 0xFF power-cycles the
 * card instead). The cards are personalized once, and each input starts from a copy
 * of the pristine image, so runs are independent and fast.
 *
 * What must hold for any input: every cos_transmit() call returns 0 with a response
 * of at least a status word (the card never crashes, hangs or answers nothing), and
 * after the sequence the card powers on again and its NVM digest can be computed (the
 * image stays consistent).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obol/cos.h"
#include "obol/cos_host.h"
#include "obol/cos_perso.h"
#include "obol/cos_profile.h"
#include "obol/obol_rom.h"
#include "testapp/testapp.h"

#define NVM_SIZE 32768u
#define NCARDS   3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const cos_applet_class *classes[8];
static uint16_t nclasses;
static uint8_t pristine[NCARDS][NVM_SIZE];

static void must(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_apdu: %s\n", what);
        abort();
    }
}

/* Personalizes the base images once. */
static void setup(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    for (uint16_t i = 0; i < obol_rom_nclasses && nclasses < 7; i++)
        classes[nclasses++] = obol_rom_classes[i];
    classes[nclasses++] = &testapp_class;
    static const char *const profiles[NCARDS] = {NULL, "purse", "psam"};
    for (int k = 0; k < NCARDS; k++) {
        cos_host h;
        cos_card card;
        cos_card_config cfg;
        must(cos_host_open_buffer(&h, pristine[k], NVM_SIZE, 64, 1) == 0, "open");
        memset(pristine[k], 0xFF, NVM_SIZE);
        cos_host_config(&h, classes, nclasses, &cfg);
        must(cos_card_attach(&card, &cfg) == 0, "attach");
        char err[256] = "";
        int rc = profiles[k] ? cos_profile_apply(&card, profiles[k], 0, err, sizeof(err))
                             : cos_perso_default(&card, TESTAPP_CLASS, 0);
        if (rc != 0)
            fprintf(stderr, "fuzz_apdu: card %d: %s %s\n", k, cos_strerror(rc), err);
        must(rc == 0, "personalization");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t nvm[NVM_SIZE];
    static uint8_t rsp[COS_RESP_MAX + 2];
    static cos_card card;
    setup();
    if (size == 0)
        return 0;
    int which = data[0] % NCARDS;
    unsigned iface = (data[0] & 0x80) ? COS_IF_CONTACTLESS : COS_IF_CONTACT;
    memcpy(nvm, pristine[which], NVM_SIZE);
    cos_host h;
    cos_card_config cfg;
    cos_host_open_buffer(&h, nvm, NVM_SIZE, 64, data[0]);
    cos_host_config(&h, classes, nclasses, &cfg);
    must(cos_card_attach(&card, &cfg) == 0, "attach");
    uint8_t atr[64];
    size_t atrlen;
    must(cos_power_on(&card, iface, 0, atr, sizeof(atr), &atrlen) == 0, "power on");
    size_t i = 1;
    uint64_t now = 0;
    while (i < size) {
        size_t len = data[i++];
        if (len == 0xFF) {
            cos_power_off(&card);
            must(cos_power_on(&card, iface, now, atr, sizeof(atr), &atrlen) == 0, "power cycle");
            continue;
        }
        if (len > size - i)
            len = size - i;
        size_t rsplen = 0;
        int rc = cos_transmit(&card, ++now, data + i, len, rsp, sizeof(rsp), &rsplen);
        must(rc == 0, "cos_transmit failed on a powered card");
        must(rsplen >= 2 && rsplen <= sizeof(rsp), "response without a status word");
        i += len;
    }
    cos_power_off(&card);
    must(cos_power_on(&card, iface, now, atr, sizeof(atr), &atrlen) == 0, "power on after");
    uint8_t digest[32];
    must(cos_nvm_digest(&card, digest) == 0, "digest");
    cos_power_off(&card);
    return 0;
}
