/*
 * obol card OS: DES and triple DES (FIPS 46-3; ANSI X9.52 / NIST SP 800-67 keying options).
 *
 * The round function is table driven: each of the eight S-boxes is merged with the P
 * permutation into a 64-entry table of 32-bit words (2 KB in all), and the expansion E
 * is replaced by reading 6-bit windows out of the rotated right half, so one round costs
 * eight table reads. The initial and final permutations are done with five bit-group
 * swaps each. Triple DES runs the three passes back to back without the FP/IP pair in
 * between, since FP followed by IP is the identity. As with AES (see aes.c), the
 * lookups are indexed by secret data: constant time on the cache-less Cortex-M3 only.
 */
#include <obol/cos_crypto.h>

#include <string.h>

/*
 * SP tables. For S-box i (0..7) and 6-bit input x (bit 5 = the first bit of the group,
 * FIPS 46-3 "row" = bits 5 and 0, "column" = bits 4..1), entry x is P(S_i(x) placed at
 * bits 4i+1..4i+4 of the 32-bit word) rotated right by one bit. The extra rotation is
 * the representation the rounds keep both halves in (see des_f). Generated from the
 * S-box and P tables of FIPS 46-3 and checked against a bit-by-bit reference.
 */
static const uint32_t SP[8][64] = {
    {
        0x00404100, 0x00000000, 0x00004000, 0x00404101, 0x00404001, 0x00004101, 0x00000001,
        0x00004000, 0x00000100, 0x00404100, 0x00404101, 0x00000100, 0x00400101, 0x00404001,
        0x00400000, 0x00000001, 0x00000101, 0x00400100, 0x00400100, 0x00004100, 0x00004100,
        0x00404000, 0x00404000, 0x00400101, 0x00004001, 0x00400001, 0x00400001, 0x00004001,
        0x00000000, 0x00000101, 0x00004101, 0x00400000, 0x00004000, 0x00404101, 0x00000001,
        0x00404000, 0x00404100, 0x00400000, 0x00400000, 0x00000100, 0x00404001, 0x00004000,
        0x00004100, 0x00400001, 0x00000100, 0x00000001, 0x00400101, 0x00004101, 0x00404101,
        0x00004001, 0x00404000, 0x00400101, 0x00400001, 0x00000101, 0x00004101, 0x00404100,
        0x00000101, 0x00400100, 0x00400100, 0x00000000, 0x00004001, 0x00004100, 0x00000000,
        0x00404001,
    },
    {
        0x20042008, 0x20002000, 0x00002000, 0x00042008, 0x00040000, 0x00000008, 0x20040008,
        0x20002008, 0x20000008, 0x20042008, 0x20042000, 0x20000000, 0x20002000, 0x00040000,
        0x00000008, 0x20040008, 0x00042000, 0x00040008, 0x20002008, 0x00000000, 0x20000000,
        0x00002000, 0x00042008, 0x20040000, 0x00040008, 0x20000008, 0x00000000, 0x00042000,
        0x00002008, 0x20042000, 0x20040000, 0x00002008, 0x00000000, 0x00042008, 0x20040008,
        0x00040000, 0x20002008, 0x20040000, 0x20042000, 0x00002000, 0x20040000, 0x20002000,
        0x00000008, 0x20042008, 0x00042008, 0x00000008, 0x00002000, 0x20000000, 0x00002008,
        0x20042000, 0x00040000, 0x20000008, 0x00040008, 0x20002008, 0x20000008, 0x00040008,
        0x00042000, 0x00000000, 0x20002000, 0x00002008, 0x20000000, 0x20040008, 0x20042008,
        0x00042000,
    },
    {
        0x00000082, 0x02008080, 0x00000000, 0x02008002, 0x02000080, 0x00000000, 0x00008082,
        0x02000080, 0x00008002, 0x02000002, 0x02000002, 0x00008000, 0x02008082, 0x00008002,
        0x02008000, 0x00000082, 0x02000000, 0x00000002, 0x02008080, 0x00000080, 0x00008080,
        0x02008000, 0x02008002, 0x00008082, 0x02000082, 0x00008080, 0x00008000, 0x02000082,
        0x00000002, 0x02008082, 0x00000080, 0x02000000, 0x02008080, 0x02000000, 0x00008002,
        0x00000082, 0x00008000, 0x02008080, 0x02000080, 0x00000000, 0x00000080, 0x00008002,
        0x02008082, 0x02000080, 0x02000002, 0x00000080, 0x00000000, 0x02008002, 0x02000082,
        0x00008000, 0x02000000, 0x02008082, 0x00000002, 0x00008082, 0x00008080, 0x02000002,
        0x02008000, 0x02000082, 0x00000082, 0x02008000, 0x00008082, 0x00000002, 0x02008002,
        0x00008080,
    },
    {
        0x40200800, 0x40000820, 0x40000820, 0x00000020, 0x00200820, 0x40200020, 0x40200000,
        0x40000800, 0x00000000, 0x00200800, 0x00200800, 0x40200820, 0x40000020, 0x00000000,
        0x00200020, 0x40200000, 0x40000000, 0x00000800, 0x00200000, 0x40200800, 0x00000020,
        0x00200000, 0x40000800, 0x00000820, 0x40200020, 0x40000000, 0x00000820, 0x00200020,
        0x00000800, 0x00200820, 0x40200820, 0x40000020, 0x00200020, 0x40200000, 0x00200800,
        0x40200820, 0x40000020, 0x00000000, 0x00000000, 0x00200800, 0x00000820, 0x00200020,
        0x40200020, 0x40000000, 0x40200800, 0x40000820, 0x40000820, 0x00000020, 0x40200820,
        0x40000020, 0x40000000, 0x00000800, 0x40200000, 0x40000800, 0x00200820, 0x40200020,
        0x40000800, 0x00000820, 0x00200000, 0x40200800, 0x00000020, 0x00200000, 0x00000800,
        0x00200820,
    },
    {
        0x00000040, 0x00820040, 0x00820000, 0x10800040, 0x00020000, 0x00000040, 0x10000000,
        0x00820000, 0x10020040, 0x00020000, 0x00800040, 0x10020040, 0x10800040, 0x10820000,
        0x00020040, 0x10000000, 0x00800000, 0x10020000, 0x10020000, 0x00000000, 0x10000040,
        0x10820040, 0x10820040, 0x00800040, 0x10820000, 0x10000040, 0x00000000, 0x10800000,
        0x00820040, 0x00800000, 0x10800000, 0x00020040, 0x00020000, 0x10800040, 0x00000040,
        0x00800000, 0x10000000, 0x00820000, 0x10800040, 0x10020040, 0x00800040, 0x10000000,
        0x10820000, 0x00820040, 0x10020040, 0x00000040, 0x00800000, 0x10820000, 0x10820040,
        0x00020040, 0x10800000, 0x10820040, 0x00820000, 0x00000000, 0x10020000, 0x10800000,
        0x00020040, 0x00800040, 0x10000040, 0x00020000, 0x00000000, 0x10020000, 0x00820040,
        0x10000040,
    },
    {
        0x08000004, 0x08100000, 0x00001000, 0x08101004, 0x08100000, 0x00000004, 0x08101004,
        0x00100000, 0x08001000, 0x00101004, 0x00100000, 0x08000004, 0x00100004, 0x08001000,
        0x08000000, 0x00001004, 0x00000000, 0x00100004, 0x08001004, 0x00001000, 0x00101000,
        0x08001004, 0x00000004, 0x08100004, 0x08100004, 0x00000000, 0x00101004, 0x08101000,
        0x00001004, 0x00101000, 0x08101000, 0x08000000, 0x08001000, 0x00000004, 0x08100004,
        0x00101000, 0x08101004, 0x00100000, 0x00001004, 0x08000004, 0x00100000, 0x08001000,
        0x08000000, 0x00001004, 0x08000004, 0x08101004, 0x00101000, 0x08100000, 0x00101004,
        0x08101000, 0x00000000, 0x08100004, 0x00000004, 0x00001000, 0x08100000, 0x00101004,
        0x00001000, 0x00100004, 0x08001004, 0x00000000, 0x08101000, 0x08000000, 0x00100004,
        0x08001004,
    },
    {
        0x00080000, 0x81080000, 0x81000200, 0x00000000, 0x00000200, 0x81000200, 0x80080200,
        0x01080200, 0x81080200, 0x00080000, 0x00000000, 0x81000000, 0x80000000, 0x01000000,
        0x81080000, 0x80000200, 0x01000200, 0x80080200, 0x80080000, 0x01000200, 0x81000000,
        0x01080000, 0x01080200, 0x80080000, 0x01080000, 0x00000200, 0x80000200, 0x81080200,
        0x00080200, 0x80000000, 0x01000000, 0x00080200, 0x01000000, 0x00080200, 0x00080000,
        0x81000200, 0x81000200, 0x81080000, 0x81080000, 0x80000000, 0x80080000, 0x01000000,
        0x01000200, 0x00080000, 0x01080200, 0x80000200, 0x80080200, 0x01080200, 0x80000200,
        0x81000000, 0x81080200, 0x01080000, 0x00080200, 0x00000000, 0x80000000, 0x81080200,
        0x00000000, 0x80080200, 0x01080000, 0x00000200, 0x81000000, 0x01000200, 0x00000200,
        0x80080000,
    },
    {
        0x04000410, 0x00000400, 0x00010000, 0x04010410, 0x04000000, 0x04000410, 0x00000010,
        0x04000000, 0x00010010, 0x04010000, 0x04010410, 0x00010400, 0x04010400, 0x00010410,
        0x00000400, 0x00000010, 0x04010000, 0x04000010, 0x04000400, 0x00000410, 0x00010400,
        0x00010010, 0x04010010, 0x04010400, 0x00000410, 0x00000000, 0x00000000, 0x04010010,
        0x04000010, 0x04000400, 0x00010410, 0x00010000, 0x00010410, 0x00010000, 0x04010400,
        0x00000400, 0x00000010, 0x04010010, 0x00000400, 0x00010410, 0x04000400, 0x00000010,
        0x04000010, 0x04010000, 0x04010010, 0x04000000, 0x00010000, 0x04000410, 0x00000000,
        0x04010410, 0x00010010, 0x04000010, 0x04010000, 0x04000400, 0x04000410, 0x00000000,
        0x04010410, 0x00010400, 0x00010400, 0x00000410, 0x00000410, 0x00010010, 0x04000000,
        0x04010400,
    },
};

/* FIPS 46-3, "Key schedule calculation": permuted choice 1 (64 -> 56 bits, first 28 form
 * C, the rest D), the left shifts per round and permuted choice 2 (56 -> 48 bits). Bit
 * numbers count from 1 at the most significant bit, as in the standard. */
static const uint8_t SHIFTS[16] = {1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1};

static inline uint32_t rotl32(uint32_t x, unsigned n)
{
    return (x << (n & 31)) | (x >> ((32 - n) & 31));
}

static inline uint32_t rotr32(uint32_t x, unsigned n)
{
    return (x >> (n & 31)) | (x << ((32 - n) & 31));
}

static inline uint32_t load32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void store32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/*
 * PC-2 as table lookups. PC-2 takes the first 24 bits of a round key (S-box groups
 * 0..3) from C only and the last 24 (groups 4..7) from D only, and in the round-key
 * layout below C's bits land in the upper halves of both words and D's in the lower
 * halves. So each 4-bit slice of C (slice j = bits 4j..4j+3, counting from the least
 * significant of the 28) indexes PC2C[j], whose entry is (upper half of word 0) <<
 * 16 | (upper half of word 1); PC2D likewise gives the lower halves. A round key is
 * then 14 lookups instead of 48 single-bit moves. The tables were generated from the
 * PC-2 table of FIPS 46-3 by the bit-by-bit rule; the differential tests in tests/crypto
 * compare the whole cipher with OpenSSL on thousands of random keys, and every KAT
 * exercises the schedule.
 */
static const uint32_t PC2C[7][16] = {
    {
        0x00000000,
        0x00004000,
        0x00000020,
        0x00004020,
        0x00080000,
        0x00084000,
        0x00080020,
        0x00084020,
        0x00000000,
        0x00004000,
        0x00000020,
        0x00004020,
        0x00080000,
        0x00084000,
        0x00080020,
        0x00084020,
    },
    {
        0x00000000,
        0x10000000,
        0x00800000,
        0x10800000,
        0x00000000,
        0x10000000,
        0x00800000,
        0x10800000,
        0x00000800,
        0x10000800,
        0x00800800,
        0x10800800,
        0x00000800,
        0x10000800,
        0x00800800,
        0x10800800,
    },
    {
        0x00000000,
        0x00000010,
        0x00400000,
        0x00400010,
        0x00000000,
        0x00000010,
        0x00400000,
        0x00400010,
        0x40000000,
        0x40000010,
        0x40400000,
        0x40400010,
        0x40000000,
        0x40000010,
        0x40400000,
        0x40400010,
    },
    {
        0x00000000,
        0x00000080,
        0x00002000,
        0x00002080,
        0x80000000,
        0x80000080,
        0x80002000,
        0x80002080,
        0x00000008,
        0x00000088,
        0x00002008,
        0x00002088,
        0x80000008,
        0x80000088,
        0x80002008,
        0x80002088,
    },
    {
        0x00000000,
        0x00200000,
        0x20000000,
        0x20200000,
        0x00000400,
        0x00200400,
        0x20000400,
        0x20200400,
        0x00000000,
        0x00200000,
        0x20000000,
        0x20200000,
        0x00000400,
        0x00200400,
        0x20000400,
        0x20200400,
    },
    {
        0x00000000,
        0x00040000,
        0x00000040,
        0x00040040,
        0x00001000,
        0x00041000,
        0x00001040,
        0x00041040,
        0x04000000,
        0x04040000,
        0x04000040,
        0x04040040,
        0x04001000,
        0x04041000,
        0x04001040,
        0x04041040,
    },
    {
        0x00000000,
        0x00100000,
        0x00008000,
        0x00108000,
        0x00000004,
        0x00100004,
        0x00008004,
        0x00108004,
        0x08000000,
        0x08100000,
        0x08008000,
        0x08108000,
        0x08000004,
        0x08100004,
        0x08008004,
        0x08108004,
    },
};
static const uint32_t PC2D[7][16] = {
    {
        0x00000000,
        0x00100000,
        0x04000000,
        0x04100000,
        0x00000000,
        0x00100000,
        0x04000000,
        0x04100000,
        0x00040000,
        0x00140000,
        0x04040000,
        0x04140000,
        0x00040000,
        0x00140000,
        0x04040000,
        0x04140000,
    },
    {
        0x00000000,
        0x40000000,
        0x00002000,
        0x40002000,
        0x00000020,
        0x40000020,
        0x00002020,
        0x40002020,
        0x00400000,
        0x40400000,
        0x00402000,
        0x40402000,
        0x00400020,
        0x40400020,
        0x00402020,
        0x40402020,
    },
    {
        0x00000000,
        0x00000400,
        0x08000000,
        0x08000400,
        0x00000080,
        0x00000480,
        0x08000080,
        0x08000480,
        0x00001000,
        0x00001400,
        0x08001000,
        0x08001400,
        0x00001080,
        0x00001480,
        0x08001080,
        0x08001480,
    },
    {
        0x00000000,
        0x00800000,
        0x00000000,
        0x00800000,
        0x00000040,
        0x00800040,
        0x00000040,
        0x00800040,
        0x80000000,
        0x80800000,
        0x80000000,
        0x80800000,
        0x80000040,
        0x80800040,
        0x80000040,
        0x80800040,
    },
    {
        0x00000000,
        0x00004000,
        0x00200000,
        0x00204000,
        0x00000000,
        0x00004000,
        0x00200000,
        0x00204000,
        0x10000000,
        0x10004000,
        0x10200000,
        0x10204000,
        0x10000000,
        0x10004000,
        0x10200000,
        0x10204000,
    },
    {
        0x00000000,
        0x00000010,
        0x00000000,
        0x00000010,
        0x00080000,
        0x00080010,
        0x00080000,
        0x00080010,
        0x00000800,
        0x00000810,
        0x00000800,
        0x00000810,
        0x00080800,
        0x00080810,
        0x00080800,
        0x00080810,
    },
    {
        0x00000000,
        0x00000004,
        0x20000000,
        0x20000004,
        0x00008000,
        0x00008004,
        0x20008000,
        0x20008004,
        0x00000008,
        0x0000000C,
        0x20000008,
        0x2000000C,
        0x00008008,
        0x0000800C,
        0x20008008,
        0x2000800C,
    },
};

/*
 * PC-1 as table lookups: 4-bit slice n of the key (the high nibble of byte n/2 for even
 * n, the low nibble for odd n) indexes PC1C[n] and PC1D[n], whose entries are that
 * slice's contribution to C and D (28 bits each, parity bits dropped). Generated from
 * the PC-1 table of FIPS 46-3 by the bit-by-bit rule, like PC2C/PC2D.
 */
static const uint32_t PC1C[16][16] = {
    {
        0x0000000,
        0x0000000,
        0x0000010,
        0x0000010,
        0x0001000,
        0x0001000,
        0x0001010,
        0x0001010,
        0x0100000,
        0x0100000,
        0x0100010,
        0x0100010,
        0x0101000,
        0x0101000,
        0x0101010,
        0x0101010,
    },
    {
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
    },
    {
        0x0000000,
        0x0000000,
        0x0000020,
        0x0000020,
        0x0002000,
        0x0002000,
        0x0002020,
        0x0002020,
        0x0200000,
        0x0200000,
        0x0200020,
        0x0200020,
        0x0202000,
        0x0202000,
        0x0202020,
        0x0202020,
    },
    {
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
    },
    {
        0x0000000,
        0x0000000,
        0x0000040,
        0x0000040,
        0x0004000,
        0x0004000,
        0x0004040,
        0x0004040,
        0x0400000,
        0x0400000,
        0x0400040,
        0x0400040,
        0x0404000,
        0x0404000,
        0x0404040,
        0x0404040,
    },
    {
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
    },
    {
        0x0000000,
        0x0000000,
        0x0000080,
        0x0000080,
        0x0008000,
        0x0008000,
        0x0008080,
        0x0008080,
        0x0800000,
        0x0800000,
        0x0800080,
        0x0800080,
        0x0808000,
        0x0808000,
        0x0808080,
        0x0808080,
    },
    {
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
    },
    {
        0x0000000,
        0x0000001,
        0x0000100,
        0x0000101,
        0x0010000,
        0x0010001,
        0x0010100,
        0x0010101,
        0x1000000,
        0x1000001,
        0x1000100,
        0x1000101,
        0x1010000,
        0x1010001,
        0x1010100,
        0x1010101,
    },
    {
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
    },
    {
        0x0000000,
        0x0000002,
        0x0000200,
        0x0000202,
        0x0020000,
        0x0020002,
        0x0020200,
        0x0020202,
        0x2000000,
        0x2000002,
        0x2000200,
        0x2000202,
        0x2020000,
        0x2020002,
        0x2020200,
        0x2020202,
    },
    {
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
    },
    {
        0x0000000,
        0x0000004,
        0x0000400,
        0x0000404,
        0x0040000,
        0x0040004,
        0x0040400,
        0x0040404,
        0x4000000,
        0x4000004,
        0x4000400,
        0x4000404,
        0x4040000,
        0x4040004,
        0x4040400,
        0x4040404,
    },
    {
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
    },
    {
        0x0000000,
        0x0000008,
        0x0000800,
        0x0000808,
        0x0080000,
        0x0080008,
        0x0080800,
        0x0080808,
        0x8000000,
        0x8000008,
        0x8000800,
        0x8000808,
        0x8080000,
        0x8080008,
        0x8080800,
        0x8080808,
    },
    {
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
    },
};
static const uint32_t PC1D[16][16] = {
    {
        0x0000000,
        0x0000001,
        0x0000000,
        0x0000001,
        0x0000000,
        0x0000001,
        0x0000000,
        0x0000001,
        0x0000000,
        0x0000001,
        0x0000000,
        0x0000001,
        0x0000000,
        0x0000001,
        0x0000000,
        0x0000001,
    },
    {
        0x0000000,
        0x0000000,
        0x0100000,
        0x0100000,
        0x0001000,
        0x0001000,
        0x0101000,
        0x0101000,
        0x0000010,
        0x0000010,
        0x0100010,
        0x0100010,
        0x0001010,
        0x0001010,
        0x0101010,
        0x0101010,
    },
    {
        0x0000000,
        0x0000002,
        0x0000000,
        0x0000002,
        0x0000000,
        0x0000002,
        0x0000000,
        0x0000002,
        0x0000000,
        0x0000002,
        0x0000000,
        0x0000002,
        0x0000000,
        0x0000002,
        0x0000000,
        0x0000002,
    },
    {
        0x0000000,
        0x0000000,
        0x0200000,
        0x0200000,
        0x0002000,
        0x0002000,
        0x0202000,
        0x0202000,
        0x0000020,
        0x0000020,
        0x0200020,
        0x0200020,
        0x0002020,
        0x0002020,
        0x0202020,
        0x0202020,
    },
    {
        0x0000000,
        0x0000004,
        0x0000000,
        0x0000004,
        0x0000000,
        0x0000004,
        0x0000000,
        0x0000004,
        0x0000000,
        0x0000004,
        0x0000000,
        0x0000004,
        0x0000000,
        0x0000004,
        0x0000000,
        0x0000004,
    },
    {
        0x0000000,
        0x0000000,
        0x0400000,
        0x0400000,
        0x0004000,
        0x0004000,
        0x0404000,
        0x0404000,
        0x0000040,
        0x0000040,
        0x0400040,
        0x0400040,
        0x0004040,
        0x0004040,
        0x0404040,
        0x0404040,
    },
    {
        0x0000000,
        0x0000008,
        0x0000000,
        0x0000008,
        0x0000000,
        0x0000008,
        0x0000000,
        0x0000008,
        0x0000000,
        0x0000008,
        0x0000000,
        0x0000008,
        0x0000000,
        0x0000008,
        0x0000000,
        0x0000008,
    },
    {
        0x0000000,
        0x0000000,
        0x0800000,
        0x0800000,
        0x0008000,
        0x0008000,
        0x0808000,
        0x0808000,
        0x0000080,
        0x0000080,
        0x0800080,
        0x0800080,
        0x0008080,
        0x0008080,
        0x0808080,
        0x0808080,
    },
    {
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
    },
    {
        0x0000000,
        0x0000000,
        0x1000000,
        0x1000000,
        0x0010000,
        0x0010000,
        0x1010000,
        0x1010000,
        0x0000100,
        0x0000100,
        0x1000100,
        0x1000100,
        0x0010100,
        0x0010100,
        0x1010100,
        0x1010100,
    },
    {
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
    },
    {
        0x0000000,
        0x0000000,
        0x2000000,
        0x2000000,
        0x0020000,
        0x0020000,
        0x2020000,
        0x2020000,
        0x0000200,
        0x0000200,
        0x2000200,
        0x2000200,
        0x0020200,
        0x0020200,
        0x2020200,
        0x2020200,
    },
    {
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
    },
    {
        0x0000000,
        0x0000000,
        0x4000000,
        0x4000000,
        0x0040000,
        0x0040000,
        0x4040000,
        0x4040000,
        0x0000400,
        0x0000400,
        0x4000400,
        0x4000400,
        0x0040400,
        0x0040400,
        0x4040400,
        0x4040400,
    },
    {
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
        0x0000000,
    },
    {
        0x0000000,
        0x0000000,
        0x8000000,
        0x8000000,
        0x0080000,
        0x0080000,
        0x8080000,
        0x8080000,
        0x0000800,
        0x0000800,
        0x8000800,
        0x8000800,
        0x0080800,
        0x0080800,
        0x8080800,
        0x8080800,
    },
};

/* Expands one 8-byte DES key into 16 round keys of two words each. A round key's eight
 * 6-bit groups (the S-box inputs after E, FIPS 46-3 "The cipher function f") sit in
 * bits 2..7 of the bytes of two words, groups 0, 2, 4, 6 in the first and 1, 3, 5, 7 in
 * the second, exactly where des_f finds the matching groups of the half block. */
static void des_schedule(uint32_t ks[32], const uint8_t key[8])
{
    uint32_t c = 0, d = 0;
    for (int n = 0; n < 8; n++) {
        unsigned hi = key[n] >> 4, lo = key[n] & 15u;
        c |= PC1C[2 * n][hi] | PC1C[2 * n + 1][lo];
        d |= PC1D[2 * n][hi] | PC1D[2 * n + 1][lo];
    }
    for (int round = 0; round < 16; round++) {
        unsigned s = SHIFTS[round];
        c = ((c << s) | (c >> (28 - s))) & 0x0fffffffu;
        d = ((d << s) | (d >> (28 - s))) & 0x0fffffffu;
        uint32_t hc = 0, hd = 0;
        for (int j = 0; j < 7; j++) {
            hc |= PC2C[j][(c >> (4 * j)) & 15];
            hd |= PC2D[j][(d >> (4 * j)) & 15];
        }
        ks[2 * round] = (hc & 0xFFFF0000u) | (hd >> 16);
        ks[2 * round + 1] = (hc << 16) | (hd & 0xFFFFu);
    }
}

int cos_des_setkey(cos_des_key *k, const uint8_t *key, size_t keylen)
{
    if (keylen != 8 && keylen != 16 && keylen != 24)
        return -1;
    des_schedule(k->ks[0], key);
    /* Two-key 3DES is K1 K2 K1 (SP 800-67, keying option 2); single DES fills all
     * three so that the three-pass path would compute the same thing. */
    if (keylen == 8)
        memcpy(k->ks[1], k->ks[0], sizeof k->ks[0]);
    else
        des_schedule(k->ks[1], key + 8);
    if (keylen == 24)
        des_schedule(k->ks[2], key + 16);
    else
        memcpy(k->ks[2], k->ks[0], sizeof k->ks[0]);
    k->single = keylen == 8;
    return 0;
}

/*
 * The cipher function f (FIPS 46-3). E makes group i of the bits 4i..4i+5 of R (bit 0
 * meaning bit 32 and bit 33 bit 1, counting from 1 at the most significant bit). With
 * the half block kept rotated right by one bit (x = R >>> 1), groups 0, 2, 4, 6 are bits
 * 2..7 of the four bytes of x, and groups 1, 3, 5, 7 bits 2..7 of the bytes of x <<< 4:
 * E costs one rotation. The SP tables return P(S(...)) in the same rotated form.
 */
static inline uint32_t des_f(uint32_t x, const uint32_t *rk)
{
    uint32_t e = x ^ rk[0], o = rotl32(x, 4) ^ rk[1];
    return SP[0][(e >> 26) & 63] ^ SP[2][(e >> 18) & 63] ^ SP[4][(e >> 10) & 63] ^
           SP[6][(e >> 2) & 63] ^ SP[1][(o >> 26) & 63] ^ SP[3][(o >> 18) & 63] ^
           SP[5][(o >> 10) & 63] ^ SP[7][(o >> 2) & 63];
}

/* Sixteen rounds with the round keys in order (encryption) or reversed (decryption).
 * The halves are not swapped between rounds: after the last round *l holds L16 and *r
 * holds R16, so the preoutput block R16 L16 is (*r, *l). */
static inline void des16_enc(uint32_t *l, uint32_t *r, const uint32_t ks[32])
{
    uint32_t a = *l, b = *r;
    for (int i = 0; i < 32; i += 4) {
        a ^= des_f(b, ks + i);
        b ^= des_f(a, ks + i + 2);
    }
    *l = a;
    *r = b;
}

static inline void des16_dec(uint32_t *l, uint32_t *r, const uint32_t ks[32])
{
    uint32_t a = *l, b = *r;
    for (int i = 30; i > 0; i -= 4) {
        a ^= des_f(b, ks + i);
        b ^= des_f(a, ks + i - 2);
    }
    *l = a;
    *r = b;
}

/* The initial permutation IP as five swaps of bit groups between the two halves (each
 * swap exchanges the bits under MASK in one word with those MASK << S in the other);
 * their composition is exactly IP's table in FIPS 46-3, checked bit by bit when the
 * tables were generated. des_ip then rotates both halves right by one bit into the
 * representation des_f works on; des_fp undoes that and the swaps in reverse order. */
static inline void swap_bits(uint32_t *a, uint32_t *b, unsigned s, uint32_t mask)
{
    uint32_t t = ((*a >> s) ^ *b) & mask;
    *b ^= t;
    *a ^= t << s;
}

static inline void des_ip(uint32_t *lp, uint32_t *rp)
{
    uint32_t l = *lp, r = *rp;
    swap_bits(&l, &r, 4, 0x0f0f0f0fu);
    swap_bits(&l, &r, 16, 0x0000ffffu);
    swap_bits(&r, &l, 2, 0x33333333u);
    swap_bits(&r, &l, 8, 0x00ff00ffu);
    swap_bits(&l, &r, 1, 0x55555555u);
    *lp = rotr32(l, 1);
    *rp = rotr32(r, 1);
}

static inline void des_fp(uint32_t *lp, uint32_t *rp)
{
    uint32_t l = rotl32(*lp, 1), r = rotl32(*rp, 1);
    swap_bits(&l, &r, 1, 0x55555555u);
    swap_bits(&r, &l, 8, 0x00ff00ffu);
    swap_bits(&r, &l, 2, 0x33333333u);
    swap_bits(&l, &r, 16, 0x0000ffffu);
    swap_bits(&l, &r, 4, 0x0f0f0f0fu);
    *lp = l;
    *rp = r;
}

/* One block. Triple DES is E(K3, D(K2, E(K1, x))) for encryption and the inverse for
 * decryption (SP 800-67, TDEA forward and inverse cipher operations). Each pass leaves its
 * preoutput as (r, l), which is the next pass's (L0, R0) once FP and IP cancel, hence the
 * alternating argument order. */
static inline void des_block(const cos_des_key *k, int encrypt, const uint8_t in[8], uint8_t out[8])
{
    uint32_t l = load32(in), r = load32(in + 4);
    des_ip(&l, &r);
    if (k->single) {
        if (encrypt)
            des16_enc(&l, &r, k->ks[0]);
        else
            des16_dec(&l, &r, k->ks[0]);
    } else if (encrypt) {
        des16_enc(&l, &r, k->ks[0]);
        des16_dec(&r, &l, k->ks[1]);
        des16_enc(&l, &r, k->ks[2]);
    } else {
        des16_dec(&l, &r, k->ks[2]);
        des16_enc(&r, &l, k->ks[1]);
        des16_dec(&l, &r, k->ks[0]);
    }
    des_fp(&r, &l);
    store32(out, r);
    store32(out + 4, l);
}

void cos_des_encrypt(const cos_des_key *k, const uint8_t in[8], uint8_t out[8])
{
    des_block(k, 1, in, out);
}

void cos_des_decrypt(const cos_des_key *k, const uint8_t in[8], uint8_t out[8])
{
    des_block(k, 0, in, out);
}

void cos_des_ecb(const cos_des_key *k, int encrypt, const uint8_t *in, uint8_t *out, size_t len)
{
    for (size_t off = 0; off + 8 <= len; off += 8)
        des_block(k, encrypt, in + off, out + off);
}

/* CBC (ISO/IEC 10116 / NIST SP 800-38A 6.2). Decryption keeps a copy of each ciphertext
 * block before the output is written so that IN and OUT may be the same buffer. */
void cos_des_cbc(const cos_des_key *k, int encrypt, uint8_t iv[8], const uint8_t *in, uint8_t *out,
                 size_t len)
{
    uint8_t buf[8];
    for (size_t off = 0; off + 8 <= len; off += 8) {
        if (encrypt) {
            for (int i = 0; i < 8; i++)
                buf[i] = in[off + i] ^ iv[i];
            des_block(k, 1, buf, out + off);
            memcpy(iv, out + off, 8);
        } else {
            memcpy(buf, in + off, 8);
            des_block(k, 0, buf, out + off);
            for (int i = 0; i < 8; i++) {
                out[off + i] ^= iv[i];
                iv[i] = buf[i];
            }
        }
    }
    cos_wipe(buf, sizeof buf);
}
