/*
 * image.c: seal images. A PNG of any colour type and bit depth is decoded
 * with libpng's simplified API into 8-bit RGB plus a separate alpha plane,
 * which the writer turns into an image XObject and its /SMask.
 */
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pdf_int.h"

#define PNG_MAX_BYTES ((size_t)32 * 1024 * 1024)

static int
is_text(const unsigned char *type)
{
	return memcmp(type, "tEXt", 4) == 0 || memcmp(type, "zTXt", 4) == 0 ||
	       memcmp(type, "iTXt", 4) == 0;
}

/*
 * The PNG without its text chunks (tEXt, zTXt, iTXt), which nothing here
 * reads: libpng inflates every zTXt and iTXt, up to 8 MB each, while it
 * reads the header, so a 1 MB picture of 120 such chunks cost 13 s of CPU
 * for each read (sec46). Whole chunks are copied up to IEND, what follows a
 * chunk that does not fit (no IEND, a length past the end) as it is, for
 * libpng to refuse. *out NULL when there is no text: read png as it is.
 * Refused (seal_bad_png): a picture a browser shows otherwise than libpng
 * reads it, which the reviewer would approve unseen: a text chunk where
 * readers stop (first, or between two IDAT chunks), an animated PNG.
 */
static int
without_text(const unsigned char *png, size_t len, unsigned char **out, size_t *out_len,
	     struct sp_errinfo *ei)
{
	size_t p, n = 0, k = 8;
	int text = 0, idat = 0, text_after_idat = 0;

	*out = NULL;
	*out_len = 0;
	for (p = 8; p + 12 <= len && (n = sp_load_be32(png + p)) <= len - p - 12; p += 12 + n) {
		const unsigned char *type = png + p + 4;
		/* where libpng (and a browser, which shows the reviewer the picture) stops
		   reading: a text chunk first, before IHDR, or one that parts two IDAT chunks
		   (the picture ends there); dropped, it would read on (review47) */
		if (is_text(type) && p == 8)
			break;
		/* an animated PNG: a browser shows its frames (fdAT), libpng (no APNG here)
		   the default image the seal would stamp, which may be no frame (review47) */
		if (memcmp(type, "acTL", 4) == 0 || memcmp(type, "fcTL", 4) == 0 ||
		    memcmp(type, "fdAT", 4) == 0)
			return sp_err_reason(ei, SP_ERR_INVALID, "seal_bad_png",
					     "seal image: an animated PNG (a browser shows its "
					     "frames, not the picture a seal stamps)");
		if (memcmp(type, "IDAT", 4) == 0) {
			if (text_after_idat)
				break;
			idat = 1;
		}
		if (is_text(type)) {
			text = 1;
			text_after_idat = idat;
		}
		if (memcmp(type, "IEND", 4) == 0)
			break;
	}
	if (p + 12 <= len && n <= len - p - 12 && memcmp(png + p + 4, "IEND", 4) != 0)
		return sp_err_reason(
			ei, SP_ERR_INVALID, "seal_bad_png",
			"seal image: a text chunk stands where a PNG reader stops (%s)",
			p == 8 ? "before the header" : "between the image data chunks");
	if (!text) /* read as it is */
		return SP_OK;
	if ((*out = malloc(len)) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory reading the seal image");
	memcpy(*out, png, 8);
	for (p = 8; p + 12 <= len && (n = sp_load_be32(png + p)) <= len - p - 12; p += 12 + n) {
		if (!is_text(png + p + 4)) {
			memcpy(*out + k, png + p, 12 + n);
			k += 12 + n;
		}
		if (memcmp(png + p + 4, "IEND", 4) == 0) {
			*out_len = k;
			return SP_OK;
		}
	}
	memcpy(*out + k, png + p, len - p); /* no IEND: the rest as it is */
	*out_len = k + len - p;
	return SP_OK;
}

/*
 * Starts reading png (or its copy without text, *copy, which the caller
 * frees after png_image_free: libpng reads from it until then).
 */
static int
begin(png_image *im, const unsigned char *png, size_t len, unsigned char **copy,
      struct sp_errinfo *ei)
{
	size_t copy_len;
	int r;

	memset(im, 0, sizeof(*im));
	*copy = NULL;
	im->version = PNG_IMAGE_VERSION;
	if (!png || len < 8 || png_sig_cmp(png, 0, 8) != 0)
		return sp_err_reason(ei, SP_ERR_INVALID, "seal_not_png", "seal image is not a PNG");
	if (len > PNG_MAX_BYTES)
		return sp_err_reason(ei, SP_ERR_TOO_LARGE, "seal_too_large",
				     "seal image of %zu bytes exceeds the cap of %zu", len,
				     PNG_MAX_BYTES);
	if ((r = without_text(png, len, copy, &copy_len, ei)) < 0)
		return r;
	if (*copy != NULL) {
		png = *copy;
		len = copy_len;
	}
	if (!png_image_begin_read_from_memory(im, png, len)) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "seal_bad_png", "seal image: %s",
				  im->message);
		goto fail;
	}
	if (im->width == 0 || im->height == 0 || im->width > PDF_SEAL_MAX_SIDE ||
	    im->height > PDF_SEAL_MAX_SIDE) {
		png_image_free(im);
		r = sp_err_reason(ei, SP_ERR_TOO_LARGE, "seal_too_large",
				  "seal image is %ux%u pixels (cap %dx%d)", im->width, im->height,
				  PDF_SEAL_MAX_SIDE, PDF_SEAL_MAX_SIDE);
		goto fail;
	}
	return SP_OK;
fail:
	free(*copy);
	*copy = NULL;
	return r;
}

int
pdf_image_png_size(const unsigned char *png, size_t len, unsigned *w, unsigned *h,
		   struct sp_errinfo *ei)
{
	png_image im;
	unsigned char *copy;
	int r;

	*w = *h = 0;
	if ((r = begin(&im, png, len, &copy, ei)) < 0)
		return r;
	*w = im.width;
	*h = im.height;
	png_image_free(&im);
	free(copy);
	return SP_OK;
}

int
pdf_image_decode_png(const unsigned char *png, size_t len, struct pdf_image *img,
		     struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	png_image im;
	unsigned char *rgba = NULL, *copy;
	size_t npx, i;

	memset(img, 0, sizeof(*img));
	if ((r = begin(&im, png, len, &copy, ei)) < 0)
		return r;
	im.format = PNG_FORMAT_RGBA;
	npx = (size_t)im.width * im.height;
	if (!(rgba = malloc(npx * 4)) || !(img->rgb = malloc(npx * 3)) ||
	    !(img->alpha = malloc(npx))) {
		png_image_free(&im);
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory decoding the seal image");
		goto out;
	}
	if (!png_image_finish_read(&im, NULL, rgba, 0, NULL)) {
		r = sp_err_reason(ei, SP_ERR_INVALID, "seal_bad_png", "seal image: %s", im.message);
		goto out;
	}
	for (i = 0; i < npx; i++) {
		memcpy(img->rgb + 3 * i, rgba + 4 * i, 3);
		img->alpha[i] = rgba[4 * i + 3];
	}
	img->width = im.width;
	img->height = im.height;
	r = SP_OK;
out:
	free(rgba);
	free(copy); /* png_image_finish_read freed im, also on failure */
	if (r < 0)
		pdf_image_cleanup(img);
	return r;
}

int
pdf_seal_png_check(const unsigned char *png, size_t len, unsigned min_side, unsigned max_side,
		   struct sp_errinfo *ei)
{
	struct pdf_image img;
	png_image im;
	unsigned char *copy;
	size_t npx, i, clear = 0;
	unsigned w, h;
	int has_alpha, r;

	if ((r = begin(&im, png, len, &copy, ei)) < 0)
		return r;
	has_alpha = (im.format & PNG_FORMAT_FLAG_ALPHA) != 0;
	w = im.width;
	h = im.height;
	png_image_free(&im);
	free(copy);
	if (w < min_side || h < min_side || w > max_side || h > max_side)
		return sp_err_reason(ei, SP_ERR_INVALID, "seal_image_dimensions",
				     "the seal picture is %ux%u pixels; each side must be %u..%u",
				     w, h, min_side, max_side);
	if (!has_alpha)
		return sp_err_reason(ei, SP_ERR_INVALID, "seal_image_opaque",
				     "the seal picture has no transparency (alpha channel)");
	if ((r = pdf_image_decode_png(png, len, &img, ei)) < 0)
		return r;
	npx = (size_t)img.width * img.height;
	for (i = 0; i < npx; i++)
		clear += img.alpha[i] == 0;
	r = img.alpha[0] == 0 && img.alpha[img.width - 1] == 0 && img.alpha[npx - img.width] == 0 &&
	    img.alpha[npx - 1] == 0 && clear * 5 >= npx;
	pdf_image_cleanup(&img);
	if (!r)
		return sp_err_reason(ei, SP_ERR_INVALID, "seal_image_opaque",
				     "the seal picture's background is not transparent");
	return SP_OK;
}

int
pdf_seal_stencil(const unsigned char *png, size_t len, unsigned char **z, size_t *zlen,
		 struct sp_errinfo *ei)
{
	struct pdf_image img;
	unsigned char *bits = NULL;
	size_t row, x, y;
	int r;

	*z = NULL;
	*zlen = 0;
	if ((r = pdf_image_decode_png(png, len, &img, ei)) < 0)
		return r;
	row = ((size_t)img.width + 7) / 8;
	if (!(bits = calloc(row, img.height))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory masking the seal picture");
		goto out;
	}
	for (y = 0; y < img.height; y++)
		for (x = 0; x < img.width; x++)
			if (img.alpha[y * img.width + x] < 128)
				bits[y * row + x / 8] |= (unsigned char)(0x80u >> (x % 8));
	r = pdf_zlib_compress(bits, row * img.height, z, zlen, ei);
out:
	free(bits);
	pdf_image_cleanup(&img);
	return r;
}

void
pdf_image_cleanup(struct pdf_image *img)
{
	if (!img)
		return;
	free(img->rgb);
	free(img->alpha);
	memset(img, 0, sizeof(*img));
}

/* zlib at a fixed level: the same input always gives the same bytes. */
int
pdf_zlib_compress(const unsigned char *in, size_t n, unsigned char **out, size_t *outlen,
		  struct sp_errinfo *ei)
{
	uLong cap;
	unsigned char *buf;
	z_stream z;
	int wbits = 9, zr;

	*out = NULL;
	*outlen = 0;
	if (n > (size_t)1 << 30)
		return sp_err(ei, SP_ERR_TOO_LARGE, "stream of %zu bytes is too large", n);
	/*
	 * The window no larger than the input: compress2's default state is
	 * 256 KiB allocated and cleared per call, which for the small streams of
	 * a signing (a DSS's certificates and OCSP responses, an xref stream)
	 * cost more than compressing them. The output is the same format (any
	 * Flate reader takes any window up to 32 KiB) at the same level.
	 */
	while (wbits < 15 && ((size_t)1 << wbits) < n + 262)
		wbits++;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, wbits, wbits - 7, Z_DEFAULT_STRATEGY) != Z_OK)
		return sp_err(ei, SP_ERR_NOMEM, "zlib: out of memory");
	cap = deflateBound(&z, (uLong)n);
	if (!(buf = malloc(cap))) {
		deflateEnd(&z);
		return sp_err(ei, SP_ERR_NOMEM, "out of memory compressing a stream");
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	zr = deflate(&z, Z_FINISH);
	cap = z.total_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(buf);
		return sp_err(ei, SP_ERR_INTERNAL, "zlib compression failed");
	}
	*out = buf;
	*outlen = cap;
	return SP_OK;
}

/*
 * The encoded picture: "SPIMG1", then width, height, the compressed alpha
 * plane's length and the compressed RGB's, each 4 bytes big-endian, then
 * the two zlib streams. Made here and read back here only.
 */
#define SEAL_IMAGE_MAGIC "SPIMG1"
#define SEAL_IMAGE_HEAD (6 + 4 * 4)

int
pdf_seal_image_encode(const unsigned char *png, size_t len, unsigned char **out, size_t *outlen,
		      struct sp_errinfo *ei)
{
	struct pdf_image img = { 0 };
	unsigned char *za = NULL, *zc = NULL, *buf = NULL;
	size_t la = 0, lc = 0;
	int r;

	*out = NULL;
	*outlen = 0;
	if ((r = pdf_image_decode_png(png, len, &img, ei)) < 0 ||
	    (r = pdf_zlib_compress(img.alpha, (size_t)img.width * img.height, &za, &la, ei)) < 0 ||
	    (r = pdf_zlib_compress(img.rgb, (size_t)img.width * img.height * 3, &zc, &lc, ei)) < 0)
		goto out;
	if (la > 0xffffffffu || lc > 0xffffffffu || !(buf = malloc(SEAL_IMAGE_HEAD + la + lc))) {
		r = sp_err(ei, SP_ERR_NOMEM, "out of memory encoding the seal picture");
		goto out;
	}
	memcpy(buf, SEAL_IMAGE_MAGIC, 6);
	sp_store_be32(buf + 6, img.width);
	sp_store_be32(buf + 10, img.height);
	sp_store_be32(buf + 14, (uint32_t)la);
	sp_store_be32(buf + 18, (uint32_t)lc);
	memcpy(buf + SEAL_IMAGE_HEAD, za, la);
	memcpy(buf + SEAL_IMAGE_HEAD + la, zc, lc);
	*out = buf;
	*outlen = SEAL_IMAGE_HEAD + la + lc;
	r = SP_OK;
out:
	free(za);
	free(zc);
	pdf_image_cleanup(&img);
	return r;
}

int
pdf_seal_image_parse(const unsigned char *enc, size_t len, struct pdf_seal_image *out)
{
	memset(out, 0, sizeof(*out));
	if (enc == NULL || len < SEAL_IMAGE_HEAD || memcmp(enc, SEAL_IMAGE_MAGIC, 6) != 0)
		return -1;
	out->width = sp_load_be32(enc + 6);
	out->height = sp_load_be32(enc + 10);
	out->alpha_len = sp_load_be32(enc + 14);
	out->rgb_len = sp_load_be32(enc + 18);
	if (out->width == 0 || out->height == 0 || out->alpha_len > len - SEAL_IMAGE_HEAD ||
	    out->rgb_len != len - SEAL_IMAGE_HEAD - out->alpha_len)
		return -1;
	out->alpha_z = enc + SEAL_IMAGE_HEAD;
	out->rgb_z = out->alpha_z + out->alpha_len;
	return 0;
}
