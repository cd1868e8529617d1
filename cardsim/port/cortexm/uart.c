/*
 * Polled driver of the CMSDK UART (see uart.h).
 */
#include "uart.h"

#define UART0_BASE   0x40004000u
#define UART_DATA    (*(volatile uint32_t *)(UART0_BASE + 0x00))
#define UART_STATE   (*(volatile uint32_t *)(UART0_BASE + 0x04))
#define UART_CTRL    (*(volatile uint32_t *)(UART0_BASE + 0x08))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0_BASE + 0x10))

#define STATE_TX_FULL 0x1u
#define STATE_RX_FULL 0x2u

void uart_init(void)
{
    UART_BAUDDIV = 16;
    UART_CTRL = 0x3u; /* TX and RX enabled */
    /* QEMU holds early input until the data register has been read once after the
     * receiver is enabled (PROTOCOLS.md, Cortex-M section). */
    (void)UART_DATA;
}

uint8_t uart_getc(void)
{
    while (!(UART_STATE & STATE_RX_FULL))
        ;
    return (uint8_t)UART_DATA;
}

void uart_putc(uint8_t c)
{
    while (UART_STATE & STATE_TX_FULL)
        ;
    UART_DATA = c;
}

void uart_read(uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = uart_getc();
}

void uart_write(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        uart_putc(buf[i]);
}
