/* test_common.c: error info, capped buffers and the codecs (common/sp.h). */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sp.h"
#include "support_tmp.h"

START_TEST(errinfo_keeps_first_error)
{
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(sp_err(&ei, SP_ERR_INVALID, "page %d out of range", 7), SP_ERR_INVALID);
	ck_assert_int_eq(sp_err(&ei, SP_ERR_INTERNAL, "outer"), SP_ERR_INTERNAL);
	ck_assert_int_eq(ei.code, SP_ERR_INVALID);
	ck_assert_str_eq(ei.msg, "page 7 out of range");
	sp_errinfo_prefix(&ei, "placement 2");
	ck_assert_str_eq(ei.msg, "placement 2: page 7 out of range");
	ck_assert_int_eq(sp_err(NULL, SP_ERR_IO, "x"), SP_ERR_IO);
}
END_TEST

/*
 * The temporary file beside the target is made, never opened: a link
 * planted at its name (it was PATH.tmp.PID, a name anyone could guess)
 * had its target truncated and overwritten, and was then renamed over
 * PATH, so that PATH pointed at the victim.
 */
START_TEST(file_write_never_through_a_planted_link)
{
	char dir[320], path[384], victim[384], link[448];
	unsigned char *data = NULL;
	struct sp_errinfo ei;
	size_t len = 0;
	unsigned i;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir_new("common-link"));
	snprintf(path, sizeof(path), "%s/out.pdf", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sp_file_write(victim, "keep", 4, 0600, &ei), SP_OK);
	snprintf(link, sizeof(link), "%s.tmp.%ld", path, (long)getpid());
	ck_assert_int_eq(symlink(victim, link), 0);
	for (i = 0; i < 3; i++) {
		snprintf(link, sizeof(link), "%s.tmp.%ld.%u", path, (long)getpid(), i);
		ck_assert_int_eq(symlink(victim, link), 0);
	}
	ck_assert_int_eq(sp_file_write(path, "new", 3, 0600, &ei), SP_OK);
	ck_assert_int_eq(sp_file_read(victim, 100, &data, &len, &ei), SP_OK);
	ck_assert_msg(len == 4 && memcmp(data, "keep", 4) == 0, "the victim now holds '%.*s'",
		      (int)len, data);
	free(data);
	ck_assert_int_eq(sp_file_read(path, 100, &data, &len, &ei), SP_OK);
	ck_assert_msg(len == 3 && memcmp(data, "new", 3) == 0, "out.pdf holds '%.*s'", (int)len,
		      data);
	free(data);
	/* the victim, out.pdf and the four links; no temporary file stays */
	ck_assert_int_eq(test_dir_count(dir), 6);
}
END_TEST

/*
 * A write that fails (here the file-size limit stands in for a full disk)
 * leaves neither the file nor its temporary one, and the message names the
 * file asked for, not the temporary name (PATH.tmp.PID: File too large).
 */
START_TEST(file_write_fails_whole)
{
	char dir[320], path[384], big[8192];
	struct rlimit old, lim;
	struct sp_errinfo ei;
	void (*was)(int);

	snprintf(dir, sizeof(dir), "%s", test_tmpdir_new("common-full"));
	snprintf(path, sizeof(path), "%s/out.pdf", dir);
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 4096;
	was = signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sp_file_write(path, big, sizeof(big), 0644, &ei), SP_ERR_IO);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, was);
	ck_assert_msg(strstr(ei.msg, "out.pdf: File too large") != NULL &&
			      strstr(ei.msg, ".tmp.") == NULL,
		      "%s", ei.msg);
	ck_assert_int_eq(test_dir_count(dir), 0);
	/* a directory that is not there: the same message shape */
	snprintf(path, sizeof(path), "%s/no/out.pdf", dir);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sp_file_write(path, "x", 1, 0644, &ei), SP_ERR_IO);
	ck_assert_msg(strstr(ei.msg, "no/out.pdf: No such file or directory") != NULL &&
			      strstr(ei.msg, ".tmp.") == NULL,
		      "%s", ei.msg);
}
END_TEST

START_TEST(errinfo_reason_and_names)
{
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	sp_err_reason(&ei, SP_ERR_CRYPTO, "cert_expired", "certificate expired on %s",
		      "2020-01-01");
	ck_assert_str_eq(ei.reason, "cert_expired");
	ck_assert_str_eq(sp_errname(SP_ERR_NOT_FOUND), "not_found");
	ck_assert_str_eq(sp_errname(SP_OK), "ok");
	/* Unknown codes map to "internal", never out of bounds. */
	ck_assert_str_eq(sp_errname(-1000), "internal");
	ck_assert_str_eq(sp_errname(5), "internal");
	ck_assert_str_eq(sp_strerror(SP_ERR_BUSY), "too busy");
}
END_TEST

START_TEST(errinfo_prefix_truncates_safely)
{
	struct sp_errinfo ei;
	char longp[2000];

	sp_errinfo_init(&ei);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	sp_err(&ei, SP_ERR_INVALID, "%s", longp);
	sp_errinfo_prefix(&ei, longp);
	ck_assert_uint_eq(strlen(ei.msg), sizeof(ei.msg) - 1);
}
END_TEST

START_TEST(buf_cap_is_enforced_and_buffer_unchanged)
{
	struct sp_buf b;
	unsigned char *p;
	size_t n;

	sp_buf_init(&b, 10);
	ck_assert_int_eq(sp_buf_addstr(&b, "hello"), SP_OK);
	ck_assert_int_eq(sp_buf_printf(&b, "%d", 1234), SP_OK);
	ck_assert_str_eq((char *)b.data, "hello1234");
	ck_assert_int_eq(sp_buf_addstr(&b, "xy"), SP_ERR_TOO_LARGE);
	ck_assert_int_eq(sp_buf_printf(&b, "%s", "xy"), SP_ERR_TOO_LARGE);
	ck_assert_str_eq((char *)b.data, "hello1234");
	ck_assert_int_eq(sp_buf_add(&b, "!", 1), SP_OK);
	ck_assert_uint_eq(b.len, 10);
	p = sp_buf_take(&b, &n);
	ck_assert_uint_eq(n, 10);
	ck_assert_ptr_null(b.data);
	free(p);
	sp_buf_cleanup(&b);
}
END_TEST

START_TEST(buf_grows_across_many_appends)
{
	struct sp_buf b;
	int i;

	sp_buf_init(&b, 1 << 20);
	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(sp_buf_add(&b, "0123456789", 10), SP_OK);
	ck_assert_uint_eq(b.len, 100000);
	ck_assert_int_eq(b.data[b.len], '\0');
	sp_buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	sp_buf_cleanup(&b);
	sp_buf_cleanup(NULL);
}
END_TEST

/* sp_buf_reserve: the bytes reserved are added where they were reserved (the buffer
   not moved by growing); past the cap it is refused and nothing changes */
START_TEST(buf_reserve_takes_the_appends_in_place)
{
	struct sp_buf b;
	const unsigned char *at;
	int i;

	sp_buf_init(&b, 1 << 20);
	ck_assert_int_eq(sp_buf_addstr(&b, "head"), SP_OK);
	ck_assert_int_eq(sp_buf_reserve(&b, 100000), SP_OK);
	at = b.data;
	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(sp_buf_add(&b, "0123456789", 10), SP_OK);
	ck_assert_ptr_eq(b.data, at);
	ck_assert_uint_eq(b.len, 100004);
	ck_assert_int_eq(b.data[b.len], '\0');
	ck_assert_int_eq(sp_buf_reserve(&b, (1 << 20) - 100003), SP_ERR_TOO_LARGE);
	ck_assert_uint_eq(b.len, 100004);
	ck_assert_int_eq(memcmp(b.data, "head0123", 8), 0);
	sp_buf_cleanup(&b);
}
END_TEST

/* sp_buf_printf formats into the room it has and again after growing: at every length
   around the buffer's end the text is what snprintf writes, NUL-terminated; a refusal
   past the cap leaves the text and its NUL as they were */
START_TEST(buf_printf_at_every_room)
{
	struct sp_buf b;
	char want[512], piece[64];
	size_t pre, wl;
	int k;

	for (pre = 0; pre < 140; pre++) {
		for (k = 0; k < 3; k++) {
			sp_buf_init(&b, 1 << 20);
			memset(want, 'a', pre);
			want[pre] = '\0';
			ck_assert_int_eq(sp_buf_add(&b, want, pre), SP_OK);
			snprintf(piece, sizeof(piece), "%010zu %05d n \n%s", pre * 7919, k,
				 k == 2 ? "0123456789abcdef0123456789" : "");
			ck_assert_int_eq(sp_buf_printf(&b, "%010zu %05d n \n%s", pre * 7919, k,
						       k == 2 ? "0123456789abcdef0123456789" : ""),
					 SP_OK);
			wl = pre + strlen(piece);
			memcpy(want + pre, piece, strlen(piece) + 1);
			ck_assert_uint_eq(b.len, wl);
			ck_assert_int_eq(b.data[b.len], '\0');
			ck_assert_str_eq((char *)b.data, want);
			sp_buf_cleanup(&b);
		}
	}
	/* room enough for the text, but not the cap */
	sp_buf_init(&b, 8);
	ck_assert_int_eq(sp_buf_addstr(&b, "abc"), SP_OK);
	ck_assert_int_eq(sp_buf_printf(&b, "%d", 123456), SP_ERR_TOO_LARGE);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_str_eq((char *)b.data, "abc");
	ck_assert_int_eq(sp_buf_printf(&b, "%d", 12345), SP_OK);
	ck_assert_str_eq((char *)b.data, "abc12345");
	sp_buf_cleanup(&b);
}
END_TEST

/* sp_hex, sp_hex_upper and sp_hex_decode (which go eight characters at a time): every
   byte value at every place of a run of each length up to 20, as the alphabet spells it
   digit by digit; and any two characters decoded at places in and after the 8-character
   words: what sp_hex_val says of them, out untouched otherwise */
START_TEST(hex_every_byte_at_every_place)
{
	unsigned char in[40], back[40], out[21], ref[21];
	char s[81], want[81];
	size_t len, at, k, n;
	int b, c, d, vc, vd;

	for (len = 0; len <= 20; len++) {
		for (at = 0; at < len || (len == 0 && at == 0); at++) {
			for (b = 0; b < 256; b++) {
				for (k = 0; k < len; k++)
					in[k] = (unsigned char)(k * 37 + len);
				if (len > 0)
					in[at] = (unsigned char)b;
				for (k = 0; k < len; k++) {
					want[2 * k] = "0123456789abcdef"[in[k] >> 4];
					want[2 * k + 1] = "0123456789abcdef"[in[k] & 15];
				}
				want[2 * len] = '\0';
				sp_hex(in, len, s);
				ck_assert_str_eq(s, want);
				ck_assert_int_eq(sp_hex_decode(s, 2 * len, back, sizeof(back), &n),
						 SP_OK);
				ck_assert_uint_eq(n, len);
				ck_assert_mem_eq(back, in, len);
				for (k = 0; k < len; k++) {
					want[2 * k] = "0123456789ABCDEF"[in[k] >> 4];
					want[2 * k + 1] = "0123456789ABCDEF"[in[k] & 15];
				}
				sp_hex_upper(in, len, s);
				ck_assert_str_eq(s, want);
				ck_assert_int_eq(sp_hex_decode(s, 2 * len, back, sizeof(back), &n),
						 SP_OK);
				ck_assert_mem_eq(back, in, len);
				if (len == 0)
					break;
			}
		}
	}
	/* any two characters as the first, fourth, eleventh and last pair of 21 (in the first
	   and second 8-character word, and in the 2-character tail) */
	for (k = 0; k < 4; k++) {
		at = (size_t[]){ 0, 3, 10, 20 }[k];
		for (c = 0; c < 256; c++) {
			for (d = 0; d < 256; d++) {
				memset(s, '7', 42);
				s[2 * at] = (char)c;
				s[2 * at + 1] = (char)d;
				memset(out, 0xee, sizeof(out));
				vc = sp_hex_val(c);
				vd = sp_hex_val(d);
				if (vc >= 0 && vd >= 0) {
					memset(ref, 0x77, sizeof(ref));
					ref[at] = (unsigned char)(vc << 4 | vd);
					ck_assert_int_eq(sp_hex_decode(s, 42, out, 21, &n), SP_OK);
					ck_assert_uint_eq(n, 21);
					ck_assert_mem_eq(out, ref, 21);
				} else {
					memset(ref, 0xee, sizeof(ref));
					ck_assert_int_eq(sp_hex_decode(s, 42, out, 21, &n),
							 SP_ERR_INVALID);
					ck_assert_uint_eq(n, 0);
					ck_assert_mem_eq(out, ref, 21);
				}
			}
		}
	}
}
END_TEST

START_TEST(file_write_then_read)
{
	char dir[320], path[384];
	unsigned char *data = NULL;
	size_t len = 0;
	struct sp_errinfo ei;

	snprintf(dir, sizeof(dir), "%s", test_tmpdir_new("common"));
	snprintf(path, sizeof(path), "%s/f", dir);
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sp_file_write(path, "abc", 3, 0600, &ei), SP_OK);
	ck_assert_int_eq(sp_file_read(path, 100, &data, &len, &ei), SP_OK);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(data, "abc", 3);
	free(data);
	ck_assert_int_eq(sp_file_read(path, 2, &data, &len, &ei), SP_ERR_TOO_LARGE);
	ck_assert_ptr_null(data);
	ck_assert_ptr_nonnull(strstr(ei.msg, "larger than 2 bytes"));
	sp_errinfo_init(&ei);
	ck_assert_int_eq(sp_file_read("/nonexistent/x", 100, &data, &len, &ei), SP_ERR_IO);
	ck_assert_ptr_nonnull(strstr(ei.msg, "/nonexistent/x"));
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(hex_and_wipe)
{
	char out[9];
	unsigned char k[4] = { 0xde, 0xad, 0xbe, 0xef };

	sp_hex(k, 4, out);
	ck_assert_str_eq(out, "deadbeef");
	sp_wipe(k, sizeof(k));
	ck_assert_int_eq(k[0] | k[1] | k[2] | k[3], 0);
}
END_TEST

START_TEST(secret_equal_at_every_place)
{
	unsigned char a[64], b[64];
	size_t i;

	for (i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (unsigned char)(i * 37 + 1);
	ck_assert_int_eq(sp_secret_equal(a, b, sizeof(a)), 1);
	ck_assert_int_eq(sp_secret_equal(a, b, 0), 1);
	for (i = 0; i < sizeof(a); i++) {
		b[i] ^= 0x80; /* one bit anywhere: first, middle, last */
		ck_assert_int_eq(sp_secret_equal(a, b, sizeof(a)), 0);
		ck_assert_int_eq(sp_secret_equal(a, b, i), 1); /* what lies before it matches */
		b[i] ^= 0x80;
	}
}
END_TEST

START_TEST(hex_encode_decode)
{
	unsigned char k[4] = { 0xde, 0xad, 0xbe, 0xef }, out[8];
	char s[9];
	size_t n = 99;

	sp_hex_upper(k, 4, s);
	ck_assert_str_eq(s, "DEADBEEF");
	sp_hex(k, 0, s);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(sp_hex_decode("DEadbeEF", 8, out, sizeof(out), &n), SP_OK);
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(out, k, 4);
	ck_assert_int_eq(sp_hex_decode("", 0, out, 0, &n), SP_OK);
	ck_assert_uint_eq(n, 0);
	/* only the given length is read */
	ck_assert_int_eq(sp_hex_decode("01zz", 2, out, 1, &n), SP_OK);
	ck_assert_int_eq(out[0], 1);
	ck_assert_int_eq(sp_hex_decode("abc", 3, out, sizeof(out), &n), SP_ERR_INVALID);
	ck_assert_int_eq(sp_hex_decode("0x01", 4, out, sizeof(out), &n), SP_ERR_INVALID);
	ck_assert_int_eq(sp_hex_decode("0 01", 4, out, sizeof(out), &n), SP_ERR_INVALID);
	ck_assert_int_eq(sp_hex_decode("+1", 2, out, sizeof(out), &n), SP_ERR_INVALID);
	ck_assert_int_eq(sp_hex_decode("010203", 6, out, 2, &n), SP_ERR_TOO_LARGE);
	/* a byte past ASCII is no digit, though its low seven bits are one ('0', 'A'); and
	   a failure leaves out as it was */
	memset(out, 0x5a, sizeof(out));
	ck_assert_int_eq(sp_hex_decode("01\xb0"
				       "1",
				       4, out, sizeof(out), &n),
			 SP_ERR_INVALID);
	ck_assert_int_eq(sp_hex_decode("\xc1"
				       "f",
				       2, out, sizeof(out), &n),
			 SP_ERR_INVALID);
	ck_assert_int_eq(out[0], 0x5a);
	ck_assert_int_eq(out[1], 0x5a);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(sp_hex_val('f'), 15);
	ck_assert_int_eq(sp_hex_val('G'), -1);
	ck_assert_int_eq(sp_hex_val(0), -1);
}
END_TEST

/* Decode s (whole string) with flags; return the code, the bytes in out. */
static int
b64d(const char *s, size_t max, unsigned flags, char *out, size_t outsz)
{
	unsigned char *p = NULL;
	size_t n = 99;
	int r = sp_b64_decode(s, s == NULL ? 0 : strlen(s), max, flags, &p, &n);

	if (r != SP_OK) {
		ck_assert_ptr_null(p);
		ck_assert_uint_eq(n, 0);
		return r;
	}
	ck_assert_uint_lt(n, outsz);
	memcpy(out, p, n);
	out[n] = '\0';
	ck_assert_int_eq(p[n], '\0');
	free(p);
	return r;
}

START_TEST(base64_standard)
{
	static const struct {
		const char *plain, *enc;
	} v[] = {
		{ "f", "Zg==" },        { "fo", "Zm8=" },        { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" }
	}; /* RFC 4648 section 10 */
	char out[64], *s;
	size_t i;
	unsigned char bin[3] = { 0xfb, 0xff, 0xbf };

	for (i = 0; i < SP_ARRAY_LEN(v); i++) {
		s = sp_b64_encode(v[i].plain, strlen(v[i].plain), 0);
		ck_assert_str_eq(s, v[i].enc);
		ck_assert_uint_eq(sp_b64_len(strlen(v[i].plain), 0), strlen(v[i].enc));
		free(s);
		ck_assert_int_eq(b64d(v[i].enc, 16, 0, out, sizeof(out)), SP_OK);
		ck_assert_str_eq(out, v[i].plain);
	}
	s = sp_b64_encode(bin, 3, 0);
	ck_assert_str_eq(s, "+/+/");
	free(s);
	s = sp_b64_encode("", 0, 0);
	ck_assert_str_eq(s, "");
	free(s);
	/* the size cap: exact fits, one more byte does not */
	ck_assert_int_eq(b64d("YWI=", 2, 0, out, sizeof(out)), SP_OK);
	ck_assert_int_eq(b64d("YWJj", 2, 0, out, sizeof(out)), SP_ERR_TOO_LARGE);
	ck_assert_int_eq(b64d("YWJj", 3, 0, out, sizeof(out)), SP_OK);
	/* strict: empty, bad length, bad padding, junk, whitespace, non-canonical bits */
	ck_assert_int_eq(b64d("", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d(NULL, 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("YWJ", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("Y=Jj", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("Y===", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("====", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("YQ=", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("YWI==", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("YWJj====", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("YQ==YQ==", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("YW-j", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("!!!", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("YW j", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("YWJj\n", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("YR==", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("YWJ=", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
	/* every character: the alphabet's 64 (per flavour) decode to their index, no other */
	{
		static const char *const abc[2] = {
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		};
		char in[5] = "AAAx";
		const char *at;
		int c, url;

		for (url = 0; url < 2; url++)
			for (c = 1; c < 256; c++) {
				if (c == '=')
					continue; /* padding */
				in[3] = (char)c;
				at = strchr(abc[url], c);
				if (at == NULL) {
					ck_assert_int_eq(b64d(in, 16, url ? SP_B64_URL : 0, out,
							      sizeof(out)),
							 SP_ERR_INVALID);
					continue;
				}
				ck_assert_int_eq(b64d(in, 16, url ? SP_B64_URL : 0, out,
						      sizeof(out)),
						 SP_OK);
				ck_assert_int_eq((unsigned char)out[2], at - abc[url]);
			}
	}
	/* the length bounds the input; a NUL before it ends it */
	{
		unsigned char *p = NULL;
		size_t n = 0;

		ck_assert_int_eq(sp_b64_decode("Zm9vYmFy", 4, 16, 0, &p, &n), SP_OK);
		ck_assert_uint_eq(n, 3);
		ck_assert_mem_eq(p, "foo", 3);
		free(p);
		ck_assert_int_eq(sp_b64_decode("Zm9v\0YmFy", 9, 16, 0, &p, &n), SP_OK);
		ck_assert_uint_eq(n, 3);
		free(p);
	}
}
END_TEST

START_TEST(base64_whitespace_and_url)
{
	char out[64], enc[64];
	unsigned char bin[32];
	size_t i;
	char *s;

	/* SP_B64_WS: line-wrapped input as base64(1) writes it */
	ck_assert_int_eq(b64d("Zm9v\nYmFy\r\n", 16, SP_B64_WS, out, sizeof(out)), SP_OK);
	ck_assert_str_eq(out, "foobar");
	ck_assert_int_eq(b64d(" Zm 9v\tYg= =\n", 16, SP_B64_WS, out, sizeof(out)), SP_OK);
	ck_assert_str_eq(out, "foob");
	ck_assert_int_eq(b64d(" \n ", 16, SP_B64_WS, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("Zm9v\vYmFy", 16, SP_B64_WS, out, sizeof(out)), SP_ERR_INVALID);
	/* the size is counted without the whitespace */
	ck_assert_int_eq(b64d("Zm9v\n\n\n\n\n\n\n\n", 3, SP_B64_WS, out, sizeof(out)), SP_OK);

	/* URL alphabet, no padding: the session token form (32 bytes -> 43 characters) */
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(0xf8 + i * 7);
	ck_assert_uint_eq(sp_b64_len(32, SP_B64_URL), 43);
	sp_b64_encode_to(bin, sizeof(bin), SP_B64_URL, enc);
	ck_assert_uint_eq(strlen(enc), 43);
	ck_assert_ptr_null(strpbrk(enc, "+/="));
	ck_assert_int_eq(b64d(enc, 32, SP_B64_URL, out, sizeof(out)), SP_OK);
	ck_assert_mem_eq(out, bin, 32);
	s = sp_b64_encode("\xfb\xff", 2, SP_B64_URL);
	ck_assert_str_eq(s, "-_8");
	free(s);
	ck_assert_int_eq(b64d("Zm8", 16, SP_B64_URL, out, sizeof(out)), SP_OK);
	ck_assert_str_eq(out, "fo");
	ck_assert_int_eq(b64d("Zm8=", 16, SP_B64_URL, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("Zm9vY", 16, SP_B64_URL, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("+/8", 16, SP_B64_URL, out, sizeof(out)), SP_ERR_INVALID);
	ck_assert_int_eq(b64d("-_8", 16, 0, out, sizeof(out)), SP_ERR_INVALID);
}
END_TEST

START_TEST(big_endian)
{
	unsigned char b[8];

	sp_store_be16(b, 0x0102);
	ck_assert_mem_eq(b, "\x01\x02", 2);
	ck_assert_uint_eq(sp_load_be16(b), 0x0102);
	sp_store_be32(b, 0xfedcba98u);
	ck_assert_mem_eq(b, "\xfe\xdc\xba\x98", 4);
	ck_assert_uint_eq(sp_load_be32(b), 0xfedcba98u);
	sp_store_be64(b, 0x0123456789abcdefULL);
	ck_assert_mem_eq(b, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	ck_assert(sp_load_be64(b) == 0x0123456789abcdefULL);
	ck_assert(sp_load_ben(b, 3) == 0x012345);
	ck_assert(sp_load_ben(b, 0) == 0);
	ck_assert(sp_load_ben(b, 8) == 0x0123456789abcdefULL);
	memset(b, 0, sizeof(b));
	sp_store_ben(b + 1, 3, 0xaabbccdd);
	ck_assert_mem_eq(b, "\x00\xbb\xcc\xdd\x00", 5);
}
END_TEST

START_TEST(printable_text)
{
	static const struct {
		const char *s;
		size_t at;
		uint32_t cp;
	} bad[] = {
		{ "ab\x1b[2J", 2, 0x1b },
		{ "a\nb", 1, 0x0a },
		{ "tab\there", 3, 0x09 },
		{ "x\x7f", 1, 0x7f },
		{ "\xc2\x9b"
		  "31m",
		  0, 0x9b },
		{ "\xc2\x80", 0, 0x80 },
		{ "a\xe2\x80\xae", 1, 0x202e },
		{ "\xe2\x80\xaa", 0, 0x202a },
		{ "\xe2\x81\xa6", 0, 0x2066 },
		{ "\xe2\x81\xa9", 0, 0x2069 },
		{ "\xe2\x80\xa8", 0, 0x2028 },
		{ "\x9b", 0, 0xffffffffu },
		{ "\xc0\xaf", 0, 0xffffffffu },
		{ "\xed\xa0\x80", 0, 0xffffffffu },
		{ "ok\xe5", 2, 0xffffffffu },
	};
	static const char *good[] = { "Supply contract",  "供货合同（2026）", "price — ok",
				      "\xf0\x9f\x93\x9c", "\xc2\xa0nbsp",     "" };
	size_t i, at;
	uint32_t cp;

	for (i = 0; i < SP_ARRAY_LEN(bad); i++) {
		at = 99;
		cp = 0;
		ck_assert_msg(sp_text_check(bad[i].s, strlen(bad[i].s), &at, &cp) == SP_ERR_INVALID,
			      "case %zu accepted", i);
		ck_assert_msg(at == bad[i].at && cp == bad[i].cp, "case %zu: at %zu U+%04X", i, at,
			      (unsigned)cp);
	}
	for (i = 0; i < SP_ARRAY_LEN(good); i++)
		ck_assert_msg(sp_text_check(good[i], strlen(good[i]), NULL, NULL) == SP_OK,
			      "\"%s\" refused", good[i]);
	/* An embedded NUL is a control character too. */
	ck_assert_int_eq(sp_text_check("a\0b", 3, &at, NULL), SP_ERR_INVALID);
	ck_assert_uint_eq(at, 1);
}
END_TEST

START_TEST(decimal)
{
	int64_t i = 7;
	uint64_t u = 7;

	ck_assert_int_eq(sp_parse_i64("-42", INT64_MIN, INT64_MAX, &i), SP_OK);
	ck_assert(i == -42);
	ck_assert_int_eq(sp_parse_i64("+0042", 0, 100, &i), SP_OK);
	ck_assert(i == 42);
	ck_assert_int_eq(sp_parse_i64("9223372036854775807", INT64_MIN, INT64_MAX, &i), SP_OK);
	ck_assert(i == INT64_MAX);
	ck_assert_int_eq(sp_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &i), SP_OK);
	ck_assert(i == INT64_MIN);
	i = 7;
	ck_assert_int_eq(sp_parse_i64("9223372036854775808", INT64_MIN, INT64_MAX, &i),
			 SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_i64("-9223372036854775809", INT64_MIN, INT64_MAX, &i),
			 SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_i64("101", 0, 100, &i), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_i64("-1", 0, 100, &i), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_i64("", 0, 100, &i), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_i64("-", 0, 100, &i), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_i64("--1", -5, 100, &i), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_i64(" 1", 0, 100, &i), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_i64("1 ", 0, 100, &i), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_i64("1x", 0, 100, &i), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_i64("0x1", 0, 100, &i), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_i64(NULL, 0, 100, &i), SP_ERR_INVALID);
	ck_assert(i == 7); /* untouched on failure */

	ck_assert_int_eq(sp_parse_u64("18446744073709551615", 0, UINT64_MAX, &u), SP_OK);
	ck_assert(u == UINT64_MAX);
	ck_assert_int_eq(sp_parse_u64("18446744073709551616", 0, UINT64_MAX, &u), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_u64("99999999999999999999", 0, UINT64_MAX, &u), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_u64("+1", 0, 10, &u), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_u64("-0", 0, 10, &u), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_u64("0", 1, 10, &u), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_u64("10", 1, 10, &u), SP_OK);
	ck_assert(u == 10);
	/* the _n forms read a number inside a larger string */
	ck_assert_int_eq(sp_parse_u64n("15$8$1", 2, 1, 64, &u), SP_OK);
	ck_assert(u == 15);
	ck_assert_int_eq(sp_parse_u64n("15$8$1", 3, 1, 64, &u), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_u64n("15", 0, 0, 64, &u), SP_ERR_INVALID);
	ck_assert_int_eq(sp_parse_i64n("-3:x", 2, -5, 5, &i), SP_OK);
	ck_assert(i == -3);
}
END_TEST

/* Time zones by name: known ones give their offset at an instant, others are refused. */
START_TEST(time_zones)
{
	static const char *const bad[] = { "",
					   "Mars/Olympus",
					   "../../etc/passwd",
					   "/etc/localtime",
					   "Asia/Shanghai\n",
					   "Asia/../Asia/Shanghai" };
	struct sp_errinfo ei;
	int off = -1;
	size_t i;

	sp_errinfo_init(&ei);
	ck_assert_int_eq(sp_tz_check("Asia/Shanghai", &ei), SP_OK);
	ck_assert_int_eq(sp_tz_offset("Asia/Shanghai", 1700000000, &off, &ei), SP_OK);
	ck_assert_int_eq(off, 480);
	ck_assert_int_eq(sp_tz_offset("UTC", 1700000000, &off, &ei), SP_OK);
	ck_assert_int_eq(off, 0);
	/* Daylight saving: Berlin is +60 in January, +120 in July (2024). */
	ck_assert_int_eq(sp_tz_offset("Europe/Berlin", 1704067200, &off, &ei), SP_OK);
	ck_assert_int_eq(off, 60);
	ck_assert_int_eq(sp_tz_offset("Europe/Berlin", 1719792000, &off, &ei), SP_OK);
	ck_assert_int_eq(off, 120);
	ck_assert_int_eq(sp_tz_offset("America/New_York", 1704067200, &off, &ei), SP_OK);
	ck_assert_int_eq(off, -300);
	/* The process's own TZ is put back. */
	ck_assert_int_eq(setenv("TZ", "Pacific/Auckland", 1), 0);
	ck_assert_int_eq(sp_tz_offset("UTC", 1704067200, &off, &ei), SP_OK);
	ck_assert_str_eq(getenv("TZ"), "Pacific/Auckland");
	unsetenv("TZ");
	ck_assert_int_eq(sp_tz_offset("UTC", 1704067200, &off, &ei), SP_OK);
	ck_assert_ptr_null(getenv("TZ"));
	for (i = 0; i < SP_ARRAY_LEN(bad); i++) {
		sp_errinfo_init(&ei);
		off = 7;
		ck_assert_int_eq(sp_tz_check(bad[i], &ei), SP_ERR_INVALID);
		ck_assert_int_eq(sp_tz_offset(bad[i], 1700000000, &off, &ei), SP_ERR_INVALID);
		ck_assert_int_eq(off, 0);
		ck_assert_ptr_nonnull(strstr(ei.msg, "unknown time zone"));
	}
}
END_TEST

/*
 * The zone's file read once answers what the C library answers: every zone
 * here (fixed footers, daylight-saving rules in the table and beyond it,
 * half-hour and 45-minute offsets, local mean time before 1900) at instants
 * from 1800 to 2200, and every few hours of 2025 across its transitions.
 */
START_TEST(time_zones_as_the_c_library)
{
	static const char *const zones[] = {
		"Asia/Shanghai",     "Europe/Berlin",       "America/New_York",
		"Asia/Kolkata",      "Australia/Lord_Howe", "Pacific/Chatham",
		"America/Sao_Paulo", "Africa/Casablanca",   "UTC",
		"Etc/GMT+5",         "Asia/Kathmandu",      "America/St_Johns",
		"Europe/Dublin",     "Antarctica/Troll",    "Asia/Tokyo",
		"Pacific/Apia",
	};
	struct sp_errinfo ei;
	int a, b, checked = 0;
	size_t i;
	int64_t t;
	uint64_t x = 0x9e3779b97f4a7c15u;

	sp_errinfo_init(&ei);
	for (i = 0; i < SP_ARRAY_LEN(zones); i++) {
		if (sp_tz_check(zones[i], NULL) != SP_OK)
			continue; /* not in this tzdata */
		for (t = -5364662400LL; t < 7258118400LL;
		     t += 86400LL * 173 + (int64_t)(x % (86400LL * 16))) {
			x = x * 6364136223846793005u + 1442695040888963407u;
			ck_assert_int_eq(sp_tz_offset(zones[i], (time_t)t, &a, &ei), SP_OK);
			ck_assert_int_eq(sp_tz_offset_libc(zones[i], (time_t)t, &b, &ei), SP_OK);
			ck_assert_msg(a == b, "%s at %lld: %d, the C library %d", zones[i],
				      (long long)t, a, b);
			checked++;
		}
		/* 2025 every three hours or so, both sides of each transition */
		for (t = 1735689600LL; i < 4 && t < 1767225600LL;
		     t += 3 * 3600 + (int64_t)(x % 1800)) {
			x = x * 6364136223846793005u + 1442695040888963407u;
			ck_assert_int_eq(sp_tz_offset(zones[i], (time_t)t, &a, &ei), SP_OK);
			ck_assert_int_eq(sp_tz_offset_libc(zones[i], (time_t)t, &b, &ei), SP_OK);
			ck_assert_msg(a == b, "%s at %lld: %d, the C library %d", zones[i],
				      (long long)t, a, b);
		}
	}
	ck_assert_int_gt(checked, 5000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, errinfo_keeps_first_error);
	tcase_add_test(tc, errinfo_reason_and_names);
	tcase_add_test(tc, errinfo_prefix_truncates_safely);
	tcase_add_test(tc, buf_cap_is_enforced_and_buffer_unchanged);
	tcase_add_test(tc, buf_grows_across_many_appends);
	tcase_add_test(tc, buf_reserve_takes_the_appends_in_place);
	tcase_add_test(tc, buf_printf_at_every_room);
	tcase_add_test(tc, file_write_then_read);
	tcase_add_test(tc, file_write_never_through_a_planted_link);
	tcase_add_test(tc, file_write_fails_whole);
	tcase_add_test(tc, hex_and_wipe);
	tcase_add_test(tc, secret_equal_at_every_place);
	tcase_add_test(tc, hex_encode_decode);
	tcase_add_test(tc, hex_every_byte_at_every_place);
	tcase_add_test(tc, base64_standard);
	tcase_add_test(tc, base64_whitespace_and_url);
	tcase_add_test(tc, big_endian);
	tcase_add_test(tc, decimal);
	tcase_add_test(tc, printable_text);
	tcase_add_test(tc, time_zones);
	tcase_add_test(tc, time_zones_as_the_c_library);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
