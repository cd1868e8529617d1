/*
 * The card image's main loop: one card, its NVM in the NVM region of the linker
 * script, APDUs over UART0.
 *
 * Transport: the framing of vsmartcard's vpcd, so one host bridge serves both a
 * virtual card and this image: every message, both ways, is a 2-byte big-endian
 * length and a payload. A 1-byte payload from the host is a control code: 0 power
 * off, 1 power on, 2 reset (no reply), 4 get ATR (reply: the framed ATR). Anything
 * longer is a command APDU, answered by the framed response APDU.
 *
 * The image holds the card OS, the ROM applet classes and the crypto; nothing else.
 */
#include <stddef.h>
#include <stdint.h>

#include "obol/cos.h"
#include "obol/cos_perso.h"
#include "obol/obol_rom.h"
#include "cm_hal.h"
#include "uart.h"

#define CMD_MAX (COS_RESP_MAX + 7)

enum { CTRL_OFF = 0, CTRL_ON = 1, CTRL_RESET = 2, CTRL_ATR = 4 };

static void send_frame(const uint8_t *buf, size_t len)
{
    uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
    uart_write(hdr, 2);
    uart_write(buf, len);
}

/* Powers the card on; a blank NVM region gets the default card first. */
static size_t power_on(cos_card *card, unsigned flags, uint64_t now, uint8_t *atr, size_t cap)
{
    size_t atrlen = 0;
    int rc = cos_power_on(card, flags, now, atr, cap, &atrlen);
    if (rc == COS_ERR_NOT_FORMATTED && cos_perso_default(card, 0, 0) == 0)
        rc = cos_power_on(card, flags, now, atr, cap, &atrlen);
    return rc == 0 ? atrlen : 0;
}

int main(void)
{
    static cos_card card;
    static uint8_t cmd[CMD_MAX];
    static uint8_t rsp[COS_RESP_MAX + 2];
    uint8_t atr[33];
    size_t atrlen = 0;
    uint64_t now = 0; /* the image has no clock: commands count as time */

    uart_init();
    cm_rng_init();
    cos_card_config cfg = {
        .hal = cm_hal(),
        .port = NULL,
        .nvm_size = cm_nvm_size(),
        .nvm_page = 64,
        .classes = obol_rom_classes,
        .nclasses = obol_rom_nclasses,
    };
    if (cos_card_attach(&card, &cfg) != 0)
        for (;;)
            ;
    for (;;) {
        uint8_t hdr[2];
        uart_read(hdr, 2);
        size_t len = (size_t)hdr[0] << 8 | hdr[1];
        if (len > CMD_MAX) {
            /* Too long for this chip: drain it and answer "wrong length". */
            for (size_t i = 0; i < len; i++)
                (void)uart_getc();
            const uint8_t sw[2] = {0x67, 0x00};
            send_frame(sw, 2);
            continue;
        }
        uart_read(cmd, len);
        now++;
        if (len == 1) {
            switch (cmd[0]) {
            case CTRL_OFF:
                cos_power_off(&card);
                break;
            case CTRL_ON:
                atrlen = power_on(&card, COS_IF_CONTACT, now, atr, sizeof(atr));
                break;
            case CTRL_RESET:
                atrlen = power_on(&card, COS_IF_CONTACT | COS_RESET_WARM, now, atr, sizeof(atr));
                break;
            case CTRL_ATR:
                send_frame(atr, atrlen);
                break;
            default:
                break;
            }
            continue;
        }
        size_t rsplen = 0;
        if (cos_transmit(&card, now, cmd, len, rsp, sizeof(rsp), &rsplen) != 0) {
            /* Not powered, or power lost: a real card stays mute; the bridge needs an
             * answer, so give the "no precise diagnosis" status word. */
            rsp[0] = 0x6F;
            rsp[1] = 0x00;
            rsplen = 2;
        }
        send_frame(rsp, rsplen);
    }
}
