/* png_check: tells whether a PNG screenshot is blank, for the HTML report test. Decodes 8-bit
 * grey/RGB/RGBA non-interlaced PNGs with zlib, counts distinct colours and the share of pixels
 * that are not white. usage: png_check FILE.png [MIN_COLOURS [MIN_INK]]; exit 0 when it has at
 * least MIN_COLOURS (16) colours and MIN_INK (0.01) of non-white pixels, 1 when blank, 2 on error.
 * Built by tests/sweep_tests.sh (cc png_check.c -lz); not part of the program. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: png_check FILE.png [MIN_COLOURS [MIN_INK]]\n");
        return 2;
    }
    long min_colours = argc > 2 ? atol(argv[2]) : 16;
    double min_ink = argc > 3 ? atof(argv[3]) : 0.01;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *d = malloc((size_t)size);
    if (!d || fread(d, 1, (size_t)size, f) != (size_t)size || size < 8 || memcmp(d, "\x89PNG\r\n\x1a\n", 8)) {
        fprintf(stderr, "%s: not a PNG file\n", argv[1]);
        return 2;
    }
    fclose(f);
    uint32_t w = 0, h = 0;
    int bpp = 0;
    size_t zlen = 0;
    unsigned char *z = malloc((size_t)size);
    for (long pos = 8; z && pos + 12 <= size;) {
        uint32_t n = be32(d + pos);
        const unsigned char *kind = d + pos + 4, *body = d + pos + 8;
        if (pos + 12 + (long)n > size)
            break;
        if (!memcmp(kind, "IHDR", 4)) {
            w = be32(body);
            h = be32(body + 4);
            int ctype = body[9];
            bpp = ctype == 0 ? 1 : ctype == 2 ? 3 : ctype == 4 ? 2 : ctype == 6 ? 4 : 0;
            if (body[8] != 8 || !bpp || body[12]) {
                fprintf(stderr, "%s: unsupported PNG (depth %d, colour type %d)\n", argv[1], body[8], ctype);
                return 2;
            }
        } else if (!memcmp(kind, "IDAT", 4)) {
            memcpy(z + zlen, body, n);
            zlen += n;
        }
        pos += 12 + (long)n;
    }
    size_t stride = (size_t)w * (size_t)bpp;
    uLongf rawlen = (uLongf)((stride + 1) * h);
    unsigned char *raw = malloc(rawlen ? rawlen : 1);
    if (!w || !raw || uncompress(raw, &rawlen, z, (uLong)zlen) != Z_OK || rawlen != (stride + 1) * h) {
        fprintf(stderr, "%s: cannot decode the image data\n", argv[1]);
        return 2;
    }
    unsigned char *img = malloc(stride * h);
    uint32_t *px = malloc(sizeof *px * (size_t)w * h);
    if (!img || !px)
        return 2;
    for (uint32_t y = 0; y < h; y++) {
        const unsigned char *in = raw + y * (stride + 1) + 1;
        unsigned char *out = img + y * stride, *prev = y ? out - stride : NULL;
        int ft = in[-1];
        for (size_t i = 0; i < stride; i++) {
            int a = i >= (size_t)bpp ? out[i - (size_t)bpp] : 0, b = prev ? prev[i] : 0;
            int c = prev && i >= (size_t)bpp ? prev[i - (size_t)bpp] : 0, v = in[i];
            if (ft == 1)
                v += a;
            else if (ft == 2)
                v += b;
            else if (ft == 3)
                v += (a + b) / 2;
            else if (ft == 4) {
                int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
                v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            }
            out[i] = (unsigned char)v;
        }
    }
    size_t n = (size_t)w * h, ink = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = img + i * (size_t)bpp;
        uint32_t rgb = bpp >= 3 ? (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2] : (uint32_t)p[0] * 0x010101u;
        px[i] = rgb;
        ink += rgb != 0xFFFFFFu;
    }
    qsort(px, n, sizeof *px, cmp_u32);
    size_t colours = n ? 1 : 0;
    for (size_t i = 1; i < n; i++)
        colours += px[i] != px[i - 1];
    double frac = n ? (double)ink / (double)n : 0;
    printf("%s: %ux%u, %zu distinct colours, %.1f%% not white\n", argv[1], w, h, colours, 100 * frac);
    free(d);
    free(z);
    free(raw);
    free(img);
    free(px);
    return (long)colours >= min_colours && frac >= min_ink ? 0 : 1;
}
