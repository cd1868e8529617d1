/*
 * obol card OS: the answer to reset (contact) and answer to select (contactless).
 *
 * Contact ATR (ISO/IEC 7816-3, 8.2), direct convention:
 *   T=0 cards (COS_OPT_T0): 3B 1E 13 <14 historical bytes>
 *       TS 3B, T0 = 1K (TA1 follows, K = 14 historical bytes), TA1 13 (Fi 372, Di 4:
 *       within EMV's accepted range 11-13), protocol T=0 by default, no TCK.
 *   T=1 cards: 3B 9E 13 81 31 FE 45 <historical> TCK
 *       TD1 81 (T=1, TD2 follows), TD2 31 (TA3, TB3 follow, T=1), TA3 FE (IFSC 254),
 *       TB3 45 (BWI 4, CWI 5), TCK = XOR of T0 .. last historical byte.
 * Contactless ATS (ISO/IEC 14443-4, 5.2): TL 78 77 81 02 <historical>
 *   T0 78: TA, TB, TC present, FSCI 8 (FSC 256); TA 77: 212/424/848 kbit/s in both
 *   directions; TB 81: FWI 8 (77 ms), SFGI 1; TC 02: CID supported, NAD not.
 *
 * Historical bytes (ISO/IEC 7816-4:2020, clause 8, historical bytes), 14 bytes, category indicator
 * 80 then COMPACT-TLV: 31 C0        card service data: selection by full and by partial DF name, MF
 *   73 F6 21 5B  card capabilities: selection by full/partial name, path, FID, SFI
 *                and record number; data unit 1 byte, proprietary write behaviour;
 *                extended Lc/Le, channels assigned by card and by terminal, 4 channels
 *   64 6F626F6C  pre-issuing data "obol"
 *   81 LCS       status indicator: the card's life cycle status (05 operational,
 *                0C after CARD BLOCK), so a terminal sees a blocked card at reset.
 */
#include "cos_internal.h"

static size_t historical(const cos_card *c, uint8_t *h)
{
    static const uint8_t fixed[] = {0x80, 0x31, 0xC0, 0x73, 0xF6, 0x21,
                                    0x5B, 0x64, 'o',  'b',  'o',  'l'};
    memcpy(h, fixed, sizeof fixed);
    h[sizeof fixed] = 0x81;
    h[sizeof fixed + 1] = c->card_state;
    return sizeof fixed + 2;
}

int cos__atr(const cos_card *c, uint8_t *out, size_t cap, size_t *len)
{
    uint8_t b[40], h[15];
    size_t n = 0, k = historical(c, h);

    if (c->iface == COS_IF_CONTACTLESS) {
        b[n++] = (uint8_t)(5 + k); /* TL counts itself */
        b[n++] = 0x78;
        b[n++] = 0x77;
        b[n++] = 0x81;
        b[n++] = 0x02;
        memcpy(b + n, h, k);
        n += k;
    } else if (c->options & COS_OPT_T0) {
        b[n++] = 0x3B;
        b[n++] = (uint8_t)(0x10 | k);
        b[n++] = 0x13;
        memcpy(b + n, h, k);
        n += k;
    } else {
        uint8_t tck = 0;
        b[n++] = 0x3B;
        b[n++] = (uint8_t)(0x90 | k);
        b[n++] = 0x13;
        b[n++] = 0x81;
        b[n++] = 0x31;
        b[n++] = 0xFE;
        b[n++] = 0x45;
        memcpy(b + n, h, k);
        n += k;
        for (size_t i = 1; i < n; i++)
            tck ^= b[i];
        b[n++] = tck;
    }
    if (n > cap)
        return COS_ERR_BUFFER;
    memcpy(out, b, n);
    *len = n;
    return 0;
}
