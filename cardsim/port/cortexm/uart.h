/*
 * The CMSDK APB UART of the mps2-an385 board (UART0 at 0x40004000), polled.
 * ARM CMSDK technical reference (DDI 0479): DATA at 0x00, STATE at 0x04 (bit 0 TX
 * buffer full, bit 1 RX buffer full), CTRL at 0x08 (bit 0 TX enable, bit 1 RX
 * enable), BAUDDIV at 0x10. QEMU ignores the baud rate.
 */
#ifndef OBOL_CM_UART_H
#define OBOL_CM_UART_H

#include <stddef.h>
#include <stdint.h>

void uart_init(void);
uint8_t uart_getc(void);
void uart_putc(uint8_t c);
void uart_read(uint8_t *buf, size_t len);
void uart_write(const uint8_t *buf, size_t len);

#endif
