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
 * One control code of obol's own, unused by vpcd: 0x20 answers the cost of the last
 * command as 4 bytes, big-endian: ticks of the CMSDK timer 0 (the board's 25 MHz
 * system clock) spent in cos_transmit() or cos_power_on(). Run under QEMU with
 * `-icount shift=0` (one instruction per virtual nanosecond) it gives the
 * instructions a command takes, in units of 40: the measurement behind the chip
 * profile's image-derived figures (docs/firmware.md).
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

enum { CTRL_OFF = 0, CTRL_ON = 1, CTRL_RESET = 2, CTRL_ATR = 4, CTRL_COST = 0x20 };

/* CMSDK APB timer 0 of the mps2-an385 (ARM DDI 0479): CTRL, VALUE (counts down),
 * RELOAD. */
#define TIMER0_CTRL   (*(volatile uint32_t *)0x40000000u)
#define TIMER0_VALUE  (*(volatile uint32_t *)0x40000004u)
#define TIMER0_RELOAD (*(volatile uint32_t *)0x40000008u)

static void timer_start(void)
{
    TIMER0_RELOAD = 0xFFFFFFFFu;
    TIMER0_VALUE = 0xFFFFFFFFu;
    TIMER0_CTRL = 1u; /* enable, system clock, no interrupt */
}

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
    timer_start();
    uint32_t cost = 0; /* timer ticks of the last command */
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
        uint32_t t0 = TIMER0_VALUE;
        if (len == 1) {
            switch (cmd[0]) {
            case CTRL_OFF:
                cos_power_off(&card);
                break;
            case CTRL_ON:
                atrlen = power_on(&card, COS_IF_CONTACT, now, atr, sizeof(atr));
                cost = t0 - TIMER0_VALUE;
                break;
            case CTRL_RESET:
                atrlen = power_on(&card, COS_IF_CONTACT | COS_RESET_WARM, now, atr, sizeof(atr));
                cost = t0 - TIMER0_VALUE;
                break;
            case CTRL_ATR:
                send_frame(atr, atrlen);
                break;
            case CTRL_COST: {
                const uint8_t b[4] = {(uint8_t)(cost >> 24), (uint8_t)(cost >> 16),
                                      (uint8_t)(cost >> 8), (uint8_t)cost};
                send_frame(b, 4);
                break;
            }
            default:
                break;
            }
            continue;
        }
        size_t rsplen = 0;
        int trc = cos_transmit(&card, now, cmd, len, rsp, sizeof(rsp), &rsplen);
        cost = t0 - TIMER0_VALUE;
        if (trc != 0) {
            /* Not powered, or power lost: a real card stays mute; the bridge needs an
             * answer, so give the "no precise diagnosis" status word. */
            rsp[0] = 0x6F;
            rsp[1] = 0x00;
            rsplen = 2;
        }
        send_frame(rsp, rsplen);
    }
}
