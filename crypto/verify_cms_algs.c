/*
 * verify_cms_algs.c: the strength the CMS checks ask of a signature's
 * algorithms: which digests prove integrity (digest_ok), and how many bits
 * of security the signer's key and every link of its chain must give
 * (NIST SP 800-57 Part 1 Rev. 5, ETSI TS 119 312). A weak one makes the
 * signature indeterminate, not invalid: no proof of a forgery, no longer a
 * proof of integrity.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "verify_int.h"

int
digest_ok(int nid, struct crypto_sig_report *rep, const char *what)
{
	switch (nid) {
	case NID_sha256:
	case NID_sha384:
	case NID_sha512:
	case NID_sm3:
	/* SHA-3, which ISO/TS 32001 adds to the digests of PDF 2.0's signatures
	   and ETSI TS 119 312 recommends beside SHA-2 */
	case NID_sha3_256:
	case NID_sha3_384:
	case NID_sha3_512:
	/* SHA-512/256 (FIPS 180-4; RFC 5754 §2 names it for CMS): 128 bits of
	   collision resistance, as SHA-256 */
	case NID_sha512_256:
	/* SHA-224 and SHA-512/224 (RFC 5754 §2, FIPS 180-4): 112 bits of collision
	   resistance, the least key_strength_check accepts of a key (NIST SP
	   800-57 Part 1 Rev. 5 Table 3: acceptable through 2030) */
	case NID_sha224:
	case NID_sha512_224:
	/* SHAKE256 with 512 bits of output, Ed448's message digest (RFC 8419 §2.3)
	   and RFC 8702's; SHAKE128 with 256 bits, RFC 8702's (128 bits of
	   security). verify_md_key_ok pairs them with the signature algorithms
	   that define them */
	case NID_shake128:
	case NID_shake256:
		return 1;
	case NID_md5:
	case NID_md4:
	case NID_md2:
	case NID_sha1:
	case NID_mdc2:
	case NID_ripemd160:
		/* no proof of a forgery, no longer a proof of integrity: the other
		   checks still run (and still prove a forgery) */
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "weak_algorithm",
			    "%s uses the weak digest %s", what, OBJ_nid2sn(nid));
		return 1;
	default:
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
			    "%s uses an unsupported digest (%s)", what,
			    nid == NID_undef ? "unknown" : OBJ_nid2sn(nid));
		return 0;
	}
}

/*
 * digest_ok for the algorithm identifier o, which may have no NID: then
 * named by its dotted text, and RFC 8702's SHAKE with a stated output
 * length (id-shake128-len, id-shake256-len: NIST's, parameterized) named as
 * such, since RFC 8702 §3.1 has CMS use the parameterless identifiers.
 */
int
digest_obj_ok(const ASN1_OBJECT *o, struct crypto_sig_report *rep, const char *what)
{
	static const unsigned char len_oid[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02 };
	char txt[80];
	const unsigned char *b = o ? OBJ_get0_data(o) : NULL;

	if (o == NULL || OBJ_obj2nid(o) != NID_undef)
		return digest_ok(OBJ_obj2nid(o), rep, what);
	if (OBJ_length(o) == sizeof(len_oid) + 1 && !memcmp(b, len_oid, sizeof(len_oid)) &&
	    (b[sizeof(len_oid)] == 17 || b[sizeof(len_oid)] == 18)) {
		int k = b[sizeof(len_oid)] == 17 ? 128 : 256;
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
			    "%s uses SHAKE%d with a stated output length (id-shake%d-len); CMS "
			    "names SHAKE%d by id-shake%d, with %d bits (RFC 8702 §3.1), and this "
			    "form is not checked here",
			    what, k, k, k, k, 2 * k);
		return 0;
	}
	if (OBJ_obj2txt(txt, sizeof(txt), o, 1) <= 0)
		snprintf(txt, sizeof(txt), "unreadable");
	verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
		    "%s uses an unsupported digest (%s)", what, txt);
	ERR_clear_error();
	return 0;
}

/*
 * The signer's key against the strength digest_ok asks of a digest: under
 * 112 bits of security (RSA below 2048 bits, a curve below 224 bits) a
 * signature no longer proves who made it (NIST SP 800-57 Part 1 Rev. 5
 * Table 4, as the archive timestamps' renewal counts it; ETSI TS 119 312
 * asks RSA of 1900 bits or more, and 3000 from 2026). Like a weak digest:
 * indeterminate, the other checks still run and still prove a forgery.
 */
void
key_strength_check(X509 *signer, struct crypto_sig_report *rep)
{
	EVP_PKEY *pk = X509_get0_pubkey(signer);
	int bits = pk ? EVP_PKEY_get_security_bits(pk) : -1;

	if (bits > 0 && bits < 112)
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "weak_algorithm",
			    "the signer's %d-bit %s key is too weak to prove the signature (%d "
			    "bits of security, at least 112 needed)",
			    EVP_PKEY_get_bits(pk), EVP_PKEY_get0_type_name(pk), bits);
	ERR_clear_error();
}

/*
 * A verified chain holds no stronger than its weakest link: each
 * certificate's signature by its issuer (not the root's own) and each CA's
 * key need 112 bits of security, as key_strength_check asks of the signer's
 * key (OpenSSL's chain check asks none at its default level); the leaf's
 * key too when leaf_key. The first weak one makes the signature
 * indeterminate, weak_algorithm, named (the leaf as `leaf` says).
 */
void
verify_chain_strength(STACK_OF(X509) * chain, const char *leaf, int leaf_key,
		      struct crypto_sig_report *rep)
{
	char subj[256];
	const char *what;
	int i, md, pkn, bits, kb;
	uint32_t fl;
	X509 *x;
	EVP_PKEY *pk;

	for (i = 0; i < sk_X509_num(chain); i++) {
		x = sk_X509_value(chain, i);
		pk = X509_get0_pubkey(x);
		kb = pk && (i > 0 || leaf_key) ? EVP_PKEY_get_security_bits(pk) : -1;
		bits = -1;
		if (!(X509_get_extension_flags(x) & EXFLAG_SS) &&
		    !X509_get_signature_info(x, &md, &pkn, &bits, &fl))
			bits = -1;
		if ((kb <= 0 || kb >= 112) && (bits <= 0 || bits >= 112))
			continue;
		if (trust_name_print(X509_get_subject_name(x), subj, sizeof(subj)) < 0)
			subj[0] = '\0';
		what = i == 0 ? leaf : "the issuing CA certificate";
		if (kb > 0 && kb < 112)
			verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "weak_algorithm",
				    "%s (%s) has a %d-bit %s key, too weak to prove the chain (%d "
				    "bits of security, at least 112 needed)",
				    what, subj, EVP_PKEY_get_bits(pk), EVP_PKEY_get0_type_name(pk),
				    kb);
		else
			verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "weak_algorithm",
				    "%s (%s) is signed with %s, too weak to prove the chain (%d "
				    "bits of security, at least 112 needed)",
				    what, subj,
				    md != NID_undef ? OBJ_nid2sn(md) : "an unknown digest", bits);
		break;
	}
	ERR_clear_error();
}

/*
 * A message digest's length in CMS: SHAKE256, an extendable-output function,
 * gives 512 bits under its parameterless identifier (RFC 8419 §2.3), and
 * SHAKE128 256 bits (RFC 8702 §3.1 fixes both for every CMS use); every other
 * digest its own size.
 */
size_t
verify_md_len(const EVP_MD *md)
{
	if (EVP_MD_get_type(md) == NID_shake256)
		return 64;
	if (EVP_MD_get_type(md) == NID_shake128)
		return 32;
	return EVP_MD_get_size(md) > 0 ? (size_t)EVP_MD_get_size(md) : 0;
}

int
verify_md_final(EVP_MD_CTX *c, unsigned char *out, unsigned int *outlen)
{
	const EVP_MD *md = EVP_MD_CTX_get0_md(c);
	size_t n = md ? verify_md_len(md) : 0;

	if (md == NULL || n == 0 || n > EVP_MAX_MD_SIZE)
		return 0;
	if (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF) {
		if (EVP_DigestFinalXOF(c, out, n) != 1)
			return 0;
		*outlen = (unsigned int)n;
		return 1;
	}
	return EVP_DigestFinal_ex(c, out, outlen) == 1;
}

int
verify_md_digest(const EVP_MD *md, const unsigned char *d, size_t n, unsigned char *out,
		 unsigned int *outlen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, md, NULL) && EVP_DigestUpdate(c, d, n) &&
		 verify_md_final(c, out, outlen);

	EVP_MD_CTX_free(c);
	return ok;
}

/*
 * The message digest a key's signature may come with where only one is
 * defined (RFC 8419 §3.1): SHA-512 is Ed25519's, SHAKE256 Ed448's. SHAKE128
 * and SHAKE256 go with RFC 8702's RSASSA-PSS and ECDSA of the same SHAKE
 * (xa), with an RSA and an EC key, and those algorithms with no other
 * digest (RFC 8702 §3.2); SHAKE with no other algorithm. Otherwise
 * indeterminate, said so (0).
 */
int
verify_md_key_ok(int dnid, X509 *signer, const struct verify_shake_alg *xa,
		 struct crypto_sig_report *rep)
{
	EVP_PKEY *pk = X509_get0_pubkey(signer);
	int kt = pk != NULL ? EVP_PKEY_get_base_id(pk) : EVP_PKEY_NONE;
	const char *dn = OBJ_nid2sn(dnid) != NULL ? OBJ_nid2sn(dnid) : "an unknown one";

	if (xa != NULL) {
		if (dnid != xa->md_nid) {
			verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
				    "%s signs a %s message digest (RFC 8702 §3.2), not %s",
				    xa->name, OBJ_nid2sn(xa->md_nid), dn);
			goto no;
		}
		if (kt != (xa->pss ? EVP_PKEY_RSA : EVP_PKEY_EC)) {
			verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
				    "%s is a signature by an %s key (RFC 8702 §3.2), and the "
				    "signer's key is %s",
				    xa->name, xa->pss ? "RSA" : "EC",
				    pk ? EVP_PKEY_get0_type_name(pk) : "unreadable");
			goto no;
		}
		return 1;
	}
	if (kt == EVP_PKEY_ED25519 || kt == EVP_PKEY_ED448) {
		int want = kt == EVP_PKEY_ED25519 ? NID_sha512 : NID_shake256;
		if (dnid == want)
			return 1;
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
			    "an %s signature's message digest is %s (RFC 8419), not %s",
			    kt == EVP_PKEY_ED25519 ? "Ed25519" : "Ed448",
			    kt == EVP_PKEY_ED25519 ? "SHA-512" : "SHAKE256", dn);
		goto no;
	}
	if (dnid != NID_shake256 && dnid != NID_shake128)
		return 1;
	verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
		    "the signature's %s digest goes with %sRFC 8702's RSASSA-PSS or ECDSA with %s; "
		    "with the signer's %s key and its signature algorithm it is not defined",
		    dn, dnid == NID_shake256 ? "an Ed448 key (RFC 8419) or " : "", dn,
		    pk ? EVP_PKEY_get0_type_name(pk) : "unreadable");
no:
	ERR_clear_error();
	return 0;
}

/* 1 when a carries parameters (an encoded NULL included) */
static int
has_params(const X509_ALGOR *a)
{
	int ptype = V_ASN1_UNDEF;

	X509_ALGOR_get0(NULL, &ptype, NULL, a);
	return ptype != V_ASN1_UNDEF;
}

/*
 * The identifiers as RFC 8419 and RFC 8702 fix them: id-shake128 and
 * id-shake256 as message digests without parameters (RFC 8702 §3.1), the
 * RSASSA-PSS and ECDSA identifiers with SHAKE without parameters (§3.2.1,
 * §3.2.2: the SHAKE, salt and mask are the identifier's own), and an EdDSA
 * key's signature named id-Ed25519 or id-Ed448 (RFC 8419 §3.1), without
 * parameters (§2.3, RFC 8410 §3). Neither identifier is signed, so one
 * written otherwise proves nothing: indeterminate, said which (0).
 */
int
verify_alg_ids_ok(const X509_ALGOR *dig, const X509_ALGOR *sigalg, X509 *signer,
		  const struct verify_shake_alg *xa, struct crypto_sig_report *rep)
{
	EVP_PKEY *pk = X509_get0_pubkey(signer);
	int kt = pk != NULL ? EVP_PKEY_get_base_id(pk) : EVP_PKEY_NONE;
	int dn = OBJ_obj2nid(dig->algorithm), sn = OBJ_obj2nid(sigalg->algorithm);
	int ed = kt == EVP_PKEY_ED25519 ? NID_ED25519 : kt == EVP_PKEY_ED448 ? NID_ED448 : 0;

	if ((dn == NID_shake128 || dn == NID_shake256) && has_params(dig)) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
			    "the digest algorithm %s has parameters; RFC 8702 §3.1 has them absent",
			    OBJ_nid2sn(dn));
		return 0;
	}
	if (xa != NULL && has_params(sigalg)) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
			    "the signature algorithm %s has parameters; RFC 8702 §3.2 has them "
			    "absent",
			    xa->name);
		return 0;
	}
	if (ed && sn != ed) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
			    "an %s key signs as id-%s (RFC 8419 §3.1), and the signature "
			    "algorithm is %s",
			    ed == NID_ED25519 ? "Ed25519" : "Ed448",
			    ed == NID_ED25519 ? "Ed25519" : "Ed448",
			    sn != NID_undef ? OBJ_nid2sn(sn) : "one not known here");
		return 0;
	}
	if (ed && has_params(sigalg)) {
		verify_fail(rep, CRYPTO_VERDICT_INDETERMINATE, "unsupported_algorithm",
			    "the signature algorithm %s has parameters; RFC 8419 §2.3 has them "
			    "absent",
			    OBJ_nid2sn(ed));
		return 0;
	}
	return 1;
}
