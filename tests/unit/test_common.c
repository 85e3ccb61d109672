/* test_common.c: error info and capped buffers (common/sp.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp.h"

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

START_TEST(errinfo_reason_and_names)
{
	struct sp_errinfo ei;

	sp_errinfo_init(&ei);
	sp_err_reason(&ei, SP_ERR_CRYPTO, "cert_expired", "certificate expired on %s", "2020-01-01");
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

START_TEST(file_write_then_read)
{
	char dir[] = "/tmp/sealpact-common.XXXXXX";
	char path[256];
	unsigned char *data = NULL;
	size_t len = 0;
	struct sp_errinfo ei;

	ck_assert_ptr_nonnull(mkdtemp(dir));
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
	unsigned char k[4] = {0xde, 0xad, 0xbe, 0xef};

	sp_hex(k, 4, out);
	ck_assert_str_eq(out, "deadbeef");
	sp_wipe(k, sizeof(k));
	ck_assert_int_eq(k[0] | k[1] | k[2] | k[3], 0);
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
	tcase_add_test(tc, file_write_then_read);
	tcase_add_test(tc, hex_and_wipe);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
