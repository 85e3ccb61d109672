/*
 * test_pdf_image.c: seal pictures (pdf/image.c) with text chunks. libpng
 * inflates each zTXt and iTXt chunk (up to 8 MB) while it reads a PNG's
 * header, and nothing here reads them: a 1 MB picture of 120 such chunks,
 * each 7.7 KB of zeros deflated, cost seconds of CPU for every read of its
 * header (a reviewer's approval reads it twice). The pictures here are built
 * with zlib, byte by byte, so that the chunks are exactly these.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <png.h>
#include <zlib.h>

#include "pdf.h"
#include "pdf_int.h"
#include "support_suite.h"

#define SIDE 200
#define BOMBS 120

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void
put(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return; /* an empty chunk's data may be NULL, which memcpy must not be given */
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		ck_assert_ptr_nonnull(b->p = realloc(b->p, b->cap));
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
put_be32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	put(b, x, 4);
}

static void
chunk(struct buf *b, const char *type, const unsigned char *data, size_t n)
{
	uLong crc = crc32(0, (const Bytef *)type, 4);

	crc = crc32(crc, data, (uInt)n);
	put_be32(b, (uint32_t)n);
	put(b, type, 4);
	put(b, data, n);
	put_be32(b, (uint32_t)crc);
}

static unsigned char *
deflated(const unsigned char *in, size_t n, size_t *out_len)
{
	uLongf z = compressBound(n);
	unsigned char *out = malloc(z);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(compress2(out, &z, in, n, 9), Z_OK);
	*out_len = z;
	return out;
}

/*
 * A SIDE x SIDE RGBA seal picture: a red disc on a clear background; with
 * a tEXt chunk, and bombs zTXt chunks of 7.9 MB of zeros each, before IDAT.
 */
static unsigned char *
picture(int bombs, size_t *len)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char ihdr[13] = { 0 }, *raw, *z, *zeros, *zt, *bomb;
	size_t rawlen = (size_t)SIDE * (1 + 4 * SIDE), zlen, blen;
	struct buf b = { 0 };
	int x, y, i;

	ihdr[0] = ihdr[4] = 0;
	ihdr[2] = ihdr[6] = 0;
	ihdr[3] = ihdr[7] = SIDE;
	ihdr[8] = 8; /* bit depth */
	ihdr[9] = 6; /* RGBA */
	ck_assert_ptr_nonnull(raw = calloc(1, rawlen));
	for (y = 0; y < SIDE; y++)
		for (x = 0; x < SIDE; x++) {
			unsigned char *px = raw + (size_t)y * (1 + 4 * SIDE) + 1 + 4 * x;
			int dx = x - SIDE / 2, dy = y - SIDE / 2;

			if (dx * dx + dy * dy < (SIDE / 3) * (SIDE / 3)) {
				px[0] = 0xd0;
				px[3] = 0xff;
			}
		}
	z = deflated(raw, rawlen, &zlen);
	put(&b, sig, 8);
	chunk(&b, "IHDR", ihdr, 13);
	chunk(&b, "tEXt", (const unsigned char *)"Software\0a seal maker", 21);
	if (bombs > 0) {
		ck_assert_ptr_nonnull(zeros = calloc(1, 7900000));
		bomb = deflated(zeros, 7900000, &blen);
		ck_assert_ptr_nonnull(zt = malloc(blen + 4));
		memcpy(zt, "k\0\0", 3); /* keyword "k", compression method 0 */
		for (i = 0; i < bombs; i++) {
			zt[0] = (unsigned char)('A' + i % 26);
			memcpy(zt + 3, bomb, blen);
			chunk(&b, "zTXt", zt, blen + 3);
		}
		free(zt);
		free(bomb);
		free(zeros);
	}
	chunk(&b, "IDAT", z, zlen);
	chunk(&b, "IEND", NULL, 0);
	free(z);
	free(raw);
	*len = b.len;
	return b.p;
}

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(text_chunks_are_not_inflated)
{
	struct sp_errinfo ei = { 0 };
	size_t len;
	unsigned char *png = picture(BOMBS, &len);
	double t0;

	ck_assert_uint_lt(len, 1100 * 1000);
	t0 = cpu_s();
	ck_assert_int_eq(pdf_seal_png_check(png, len, 100, 1024, &ei), SP_OK);
	/* the picture alone decodes in milliseconds; 120 x 7.9 MB inflated took seconds */
	ck_assert_msg(cpu_s() - t0 < 1.0, "%.2f s of CPU to check a %zu-byte picture", cpu_s() - t0,
		      len);
	free(png);
}
END_TEST

START_TEST(a_picture_reads_the_same_with_or_without_text)
{
	struct sp_errinfo ei = { 0 };
	struct pdf_image a, b;
	unsigned w, h;
	size_t la, lb;
	unsigned char *pa = picture(0, &la), *pb = picture(2, &lb);

	ck_assert_int_eq(pdf_image_decode_png(pa, la, &a, &ei), SP_OK);
	ck_assert_int_eq(pdf_image_decode_png(pb, lb, &b, &ei), SP_OK);
	ck_assert_uint_eq(a.width, SIDE);
	ck_assert_uint_eq(b.height, SIDE);
	ck_assert_mem_eq(a.rgb, b.rgb, (size_t)SIDE * SIDE * 3);
	ck_assert_mem_eq(a.alpha, b.alpha, (size_t)SIDE * SIDE);
	ck_assert_int_eq(pdf_image_png_size(pb, lb, &w, &h, &ei), SP_OK);
	ck_assert_uint_eq(w, SIDE);
	ck_assert_uint_eq(h, SIDE);
	pdf_image_cleanup(&b);
	/* a chunk whose length runs past the end is still refused, as libpng refuses it */
	pb[33] = 0x7f; /* the tEXt chunk's length */
	ck_assert_int_ne(pdf_image_decode_png(pb, lb, &b, &ei), SP_OK);
	pdf_image_cleanup(&a);
	free(pa);
	free(pb);
}
END_TEST

/*
 * review47: a picture that libpng (and so a browser) cannot read as it is,
 * made readable by dropping its text chunk (pdf/image.c's without_text,
 * ad323b2): _i 0, the text chunk between two IDAT chunks (libpng: "Not
 * enough image data"; a browser shows the rows before it, the reviewer
 * sees half of what the seal would stamp); _i 1, the text chunk before
 * IHDR (libpng: "Missing IHDR before ..."; a browser shows a broken
 * picture). The seal check and the decode must refuse each, as libpng
 * refuses the bytes it is given.
 */
static unsigned char *
picture_text_at(int where, size_t *len)
{
	unsigned char *p = picture(0, len), *z, *out;
	size_t ihdr_end = 8 + 25, text_len = 12 + 21, idat, zlen, half;
	struct buf b = { 0 };

	/* picture(0): signature, IHDR (25), tEXt (33), IDAT, IEND (12) */
	idat = ihdr_end + text_len;
	zlen = (size_t)p[idat] << 24 | (size_t)p[idat + 1] << 16 | (size_t)p[idat + 2] << 8 |
	       p[idat + 3];
	z = p + idat + 8;
	half = zlen / 2;
	put(&b, p, 8);
	if (where == 1)
		put(&b, p + ihdr_end, text_len);
	put(&b, p + 8, 25);
	chunk(&b, "IDAT", z, half);
	if (where == 0)
		put(&b, p + ihdr_end, text_len);
	chunk(&b, "IDAT", z + half, zlen - half);
	chunk(&b, "IEND", NULL, 0);
	free(p);
	out = b.p;
	*len = b.len;
	return out;
}

START_TEST(a_picture_libpng_refuses_is_not_read_without_its_text)
{
	struct sp_errinfo ei = { 0 };
	struct pdf_image img;
	png_image im;
	size_t len, rowbytes;
	unsigned char *png = picture_text_at(_i, &len), *px;
	int libpng_ok, r;

	/* libpng on the very bytes, as a browser's decoder reads them: refused */
	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	libpng_ok = png_image_begin_read_from_memory(&im, png, len);
	if (libpng_ok) {
		im.format = PNG_FORMAT_RGBA;
		rowbytes = PNG_IMAGE_SIZE(im);
		ck_assert_ptr_nonnull(px = malloc(rowbytes));
		libpng_ok = png_image_finish_read(&im, NULL, px, 0, NULL);
		free(px);
	}
	png_image_free(&im);
	ck_assert_msg(!libpng_ok, "libpng read case %d", _i);
	r = pdf_image_decode_png(png, len, &img, &ei);
	if (r == SP_OK)
		pdf_image_cleanup(&img);
	ck_assert_msg(r != SP_OK,
		      "case %d: libpng refuses the picture, and pdf_image_decode_png read it "
		      "(%ux%u) once its text chunk was dropped",
		      _i, r == SP_OK ? SIDE : 0, r == SP_OK ? SIDE : 0);
	ck_assert_msg(pdf_seal_png_check(png, len, 100, 1024, &ei) != SP_OK,
		      "case %d: the seal check accepted a picture libpng refuses", _i);
	free(png);
}
END_TEST

/*
 * review47: an animated PNG (APNG: acTL, fcTL, fdAT) whose default image
 * (IDAT) is not part of its animation, the fcTL standing after IDAT. A
 * browser shows the animation's frames and never the default image; libpng
 * (Debian's, without the APNG patch) reads the IDAT and skips the other
 * chunks as unknown. The reviewer approves the frame the console shows (the
 * seal's PNG as it was sent: headless Chromium shows the blue square here),
 * and the seal stamps the red disc the frame hides. The seal check must
 * refuse an animated picture (or the default image must be the one a
 * browser shows: no acTL, fcTL or fdAT).
 */
static unsigned char *
animated(size_t *len)
{
	unsigned char *p = picture(0, len), *raw, *z, *fd, fc[26],
		      ac[8] = { 0, 0, 0, 1, 0, 0, 0, 0 };
	size_t ihdr_end = 8 + 25, idat = ihdr_end + 12 + 21, idat_len, rawlen, zlen, i;
	struct buf b = { 0 };

	idat_len = 12 + ((size_t)p[idat] << 24 | (size_t)p[idat + 1] << 16 |
			 (size_t)p[idat + 2] << 8 | p[idat + 3]);
	put(&b, p, ihdr_end);
	chunk(&b, "acTL", ac, sizeof(ac)); /* 1 frame, played forever */
	put(&b, p + idat, idat_len);       /* the default image: the red disc */
	/* frame 0 (sequence 0): the whole SIDE x SIDE canvas, after IDAT */
	memset(fc, 0, sizeof(fc));
	fc[7] = fc[11] = SIDE; /* width, height */
	fc[21] = fc[23] = 1;   /* delay 1/1 s */
	chunk(&b, "fcTL", fc, sizeof(fc));
	rawlen = (size_t)SIDE * (1 + 4 * SIDE);
	ck_assert_ptr_nonnull(raw = calloc(1, rawlen));
	for (i = 0; i < rawlen; i++)
		if (i % (1 + 4 * SIDE) != 0 && (i % (1 + 4 * SIDE) - 1) % 4 >= 2)
			raw[i] = (i % (1 + 4 * SIDE) - 1) % 4 == 2 ? 0xd0 : 0xff; /* blue, opaque */
	z = deflated(raw, rawlen, &zlen);
	ck_assert_ptr_nonnull(fd = malloc(zlen + 4));
	memset(fd, 0, 4);
	fd[3] = 1; /* sequence 1 */
	memcpy(fd + 4, z, zlen);
	chunk(&b, "fdAT", fd, zlen + 4);
	chunk(&b, "IEND", NULL, 0);
	free(fd);
	free(z);
	free(raw);
	free(p);
	*len = b.len;
	return b.p;
}

START_TEST(an_animated_picture_is_refused)
{
	struct sp_errinfo ei = { 0 };
	size_t len;
	unsigned char *png = animated(&len);
	int r = pdf_seal_png_check(png, len, 100, 1024, &ei);
	const char *dump = getenv("R47_DUMP"); /* a path: the picture, to be shown in a browser */
	FILE *f;

	if (dump != NULL && (f = fopen(dump, "wb")) != NULL) {
		ck_assert_uint_eq(fwrite(png, 1, len, f), len);
		fclose(f);
	}
	ck_assert_msg(r != SP_OK,
		      "the seal check accepted an animated PNG whose default image (what the seal "
		      "stamps) no browser shows");
	free(png);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pdf_image");
	TCase *tc = test_tcase(s, "image", NULL, NULL, 1, 120);

	tcase_add_test(tc, text_chunks_are_not_inflated);
	tcase_add_test(tc, a_picture_reads_the_same_with_or_without_text);
	tcase_add_loop_test(tc, a_picture_libpng_refuses_is_not_read_without_its_text, 0, 2);
	tcase_add_test(tc, an_animated_picture_is_refused);
	return test_suite_run(s);
}
