/*
 * creditcode.c: unified social credit codes (统一社会信用代码, GB 32100-2015).
 *
 * Layout of the 18 characters:
 *   1      registration authority (登记管理部门)
 *   2      organization type within that authority (机构类别)
 *   3-8    administrative division code (登记管理机关行政区划码), digits
 *   9-17   organization code (主体标识码, GB 11714)
 *   18     check character over 1-17
 * The alphabet is the digits and 21 capitals: I, O, Z, S and V are left out
 * because they read like 1, 0, 2, 5 and U.
 *
 * The organization code's own GB 11714 check digit is not enforced: codes
 * assigned by registrars after 2015 do not all satisfy it, and refusing a
 * real organization is worse than accepting a code whose outer check
 * character already catches typing errors.
 */
#include <stdio.h>
#include <string.h>

#include "crypto_int.h"

static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };

/*
 * Registration authorities and the organization types each assigns (GB
 * 32100-2015 table 1 and its amendments): 1 机构编制, 2 外交, 3 司法行政,
 * 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会, 9 工商 (1 企业, 2 个体工商户,
 * 3 农民专业合作社), A 中央军委改革和编制办公室, N 农业, Y 其他 (type 1 only).
 */
static const struct {
	char authority;
	const char *types;
} authorities[] = {
	{ '1', "1239" }, { '2', "19" },  { '3', "123459" }, { '4', "19" },
	{ '5', "1239" }, { '6', "129" }, { '7', "129" },    { '8', "19" },
	{ '9', "123" },  { 'A', "19" },  { 'N', "1239" },   { 'Y', "1" },
};

static int
value_of(char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(alphabet, c);
	return p == NULL ? -1 : (int)(p - alphabet);
}

int
crypto_credit_code_check(const char *code, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	size_t i, len;
	int sum = 0, v;
	const char *types = NULL;
	char want;

	if (code == NULL) {
		r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_CREDIT_CODE,
				  "no unified social credit code");
		goto out;
	}
	len = strnlen(code, 19);
	if (len != 18) {
		r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_CREDIT_CODE,
				  "a unified social credit code has 18 characters, this one %s%zu",
				  len > 18 ? "more than " : "", len > 18 ? (size_t)18 : len);
		goto out;
	}
	for (i = 0; i < 18; i++) {
		if (value_of(code[i]) < 0) {
			unsigned char c = (unsigned char)code[i];

			if (c >= 0x20 && c < 0x7f)
				r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_CREDIT_CODE,
						  "character %zu ('%c') of the credit code is not "
						  "allowed "
						  "(digits and capitals except I, O, Z, S, V)",
						  i + 1, c);
			else
				r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_CREDIT_CODE,
						  "character %zu (byte 0x%02x) of the credit code "
						  "is not allowed",
						  i + 1, c);
			goto out;
		}
	}
	for (i = 0; i < SP_ARRAY_LEN(authorities); i++) {
		if (authorities[i].authority == code[0])
			types = authorities[i].types;
	}
	if (types == NULL) {
		r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_CREDIT_CODE,
				  "'%c' is not a registration authority of a credit code", code[0]);
		goto out;
	}
	if (strchr(types, code[1]) == NULL) {
		r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_CREDIT_CODE,
				  "'%c' is not an organization type of registration authority '%c'",
				  code[1], code[0]);
		goto out;
	}
	for (i = 2; i < 8; i++) {
		if (code[i] < '0' || code[i] > '9') {
			r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_CREDIT_CODE,
					  "characters 3-8 of a credit code are a division code "
					  "(digits), not '%.6s'",
					  code + 2);
			goto out;
		}
	}
	for (i = 0; i < 17; i++)
		sum += value_of(code[i]) * weights[i];
	v = (31 - sum % 31) % 31;
	want = alphabet[v];
	if (code[17] != want) {
		r = sp_err_reason(ei, SP_ERR_INVALID, CRYPTO_REASON_CREDIT_CODE,
				  "the credit code's check character is wrong (a typing error?)");
		goto out;
	}
	r = SP_OK;
out:
	return r;
}

int
crypto_credit_code_valid(const char *code)
{
	return crypto_credit_code_check(code, NULL) == SP_OK;
}
