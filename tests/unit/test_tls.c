/*
 * Certificate checks against a small PKI generated in memory for each run:
 * root CA, an intermediate, leaves for names, wildcards and IP addresses,
 * an expired leaf, a client-only leaf, and a second unrelated CA.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tls.h"

struct ident {
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	gnutls_datum_t der;
};

enum kind { K_CA, K_LEAF, K_CLIENT };

static struct ident root, inter, other, leaf, wild, ipleaf, viainter,
    expired, client, byother, selfsig;
static char tmpdir[] = "/tmp/test_tls.XXXXXX";
static char root_pem[64], other_pem[64], garbage_pem[64], missing_pem[64],
    selfsig_pem[64];
static unsigned int serial_next = 1;

static void
mk_ident(struct ident *id, enum kind kind, const char *cn,
    const char *dns, const unsigned char *ip4, const struct ident *issuer,
    time_t not_before, time_t not_after)
{
	unsigned char serial[4];
	unsigned char keyid[64];
	size_t keyid_len = sizeof(keyid);

	assert_int_equal(gnutls_x509_privkey_init(&id->key), 0);
	assert_int_equal(gnutls_x509_privkey_generate(id->key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	assert_int_equal(gnutls_x509_crt_init(&id->crt), 0);
	assert_int_equal(gnutls_x509_crt_set_version(id->crt, 3), 0);
	serial[0] = 0;
	serial[1] = 0;
	serial[2] = (unsigned char)(serial_next >> 8);
	serial[3] = (unsigned char)serial_next;
	serial_next++;
	assert_int_equal(gnutls_x509_crt_set_serial(id->crt, serial,
	    sizeof(serial)), 0);
	assert_int_equal(gnutls_x509_crt_set_activation_time(id->crt,
	    not_before), 0);
	assert_int_equal(gnutls_x509_crt_set_expiration_time(id->crt,
	    not_after), 0);
	assert_int_equal(gnutls_x509_crt_set_dn_by_oid(id->crt,
	    GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned int)strlen(cn)), 0);
	assert_int_equal(gnutls_x509_crt_set_key(id->crt, id->key), 0);
	assert_int_equal(gnutls_x509_crt_get_key_id(id->crt, 0, keyid,
	    &keyid_len), 0);
	assert_int_equal(gnutls_x509_crt_set_subject_key_id(id->crt, keyid,
	    keyid_len), 0);
	if (kind == K_CA) {
		assert_int_equal(gnutls_x509_crt_set_basic_constraints(id->crt,
		    1, -1), 0);
		assert_int_equal(gnutls_x509_crt_set_key_usage(id->crt,
		    GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN), 0);
	} else {
		assert_int_equal(gnutls_x509_crt_set_basic_constraints(id->crt,
		    0, -1), 0);
		assert_int_equal(gnutls_x509_crt_set_key_usage(id->crt,
		    GNUTLS_KEY_DIGITAL_SIGNATURE), 0);
		assert_int_equal(gnutls_x509_crt_set_key_purpose_oid(id->crt,
		    kind == K_CLIENT ? GNUTLS_KP_TLS_WWW_CLIENT :
		    GNUTLS_KP_TLS_WWW_SERVER, 0), 0);
	}
	if (dns)
		assert_int_equal(gnutls_x509_crt_set_subject_alt_name(id->crt,
		    GNUTLS_SAN_DNSNAME, dns, (unsigned int)strlen(dns),
		    GNUTLS_FSAN_APPEND), 0);
	if (ip4)
		assert_int_equal(gnutls_x509_crt_set_subject_alt_name(id->crt,
		    GNUTLS_SAN_IPADDRESS, ip4, 4, GNUTLS_FSAN_APPEND), 0);
	if (issuer == NULL)
		issuer = id;
	else {
		keyid_len = sizeof(keyid);
		assert_int_equal(gnutls_x509_crt_get_subject_key_id(issuer->crt,
		    keyid, &keyid_len, NULL), 0);
		assert_int_equal(gnutls_x509_crt_set_authority_key_id(id->crt,
		    keyid, keyid_len), 0);
	}
	assert_int_equal(gnutls_x509_crt_sign2(id->crt, issuer->crt,
	    issuer->key, GNUTLS_DIG_SHA256, 0), 0);
	assert_int_equal(gnutls_x509_crt_export2(id->crt, GNUTLS_X509_FMT_DER,
	    &id->der), 0);
}

static void
free_ident(struct ident *id)
{
	gnutls_free(id->der.data);
	gnutls_x509_crt_deinit(id->crt);
	gnutls_x509_privkey_deinit(id->key);
}

static void
write_pem(const struct ident *id, const char *path)
{
	gnutls_datum_t pem;
	FILE *f;

	assert_int_equal(gnutls_x509_crt_export2(id->crt, GNUTLS_X509_FMT_PEM,
	    &pem), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(pem.data, 1, pem.size, f), pem.size);
	assert_int_equal(fclose(f), 0);
	gnutls_free(pem.data);
}

static int
group_setup(void **state)
{
	static const unsigned char lo[4] = { 127, 0, 0, 1 };
	time_t now = time(NULL);
	time_t day = 24 * 3600;
	FILE *f;

	assert_non_null(mkdtemp(tmpdir));
	mk_ident(&root, K_CA, "test root", NULL, NULL, NULL, now - day,
	    now + 30 * day);
	mk_ident(&other, K_CA, "other root", NULL, NULL, NULL, now - day,
	    now + 30 * day);
	mk_ident(&inter, K_CA, "test intermediate", NULL, NULL, &root,
	    now - day, now + 30 * day);
	mk_ident(&leaf, K_LEAF, "mail.chamber.test", "mail.chamber.test", lo,
	    &root, now - day, now + 30 * day);
	mk_ident(&wild, K_LEAF, "wildcard", "*.chamber.test", NULL, &root,
	    now - day, now + 30 * day);
	mk_ident(&ipleaf, K_LEAF, "127.0.0.1", NULL, lo, &root, now - day,
	    now + 30 * day);
	mk_ident(&viainter, K_LEAF, "imap.chamber.test", "imap.chamber.test",
	    NULL, &inter, now - day, now + 30 * day);
	mk_ident(&expired, K_LEAF, "mail.chamber.test", "mail.chamber.test",
	    NULL, &root, now - 10 * day, now - day);
	mk_ident(&client, K_CLIENT, "mail.chamber.test", "mail.chamber.test",
	    NULL, &root, now - day, now + 30 * day);
	mk_ident(&byother, K_LEAF, "mail.chamber.test", "mail.chamber.test",
	    NULL, &other, now - day, now + 30 * day);

	mk_ident(&selfsig, K_LEAF, "mail.chamber.test", "mail.chamber.test",
	    NULL, NULL, now - day, now + 30 * day);

	snprintf(root_pem, sizeof(root_pem), "%s/root.pem", tmpdir);
	snprintf(selfsig_pem, sizeof(selfsig_pem), "%s/selfsig.pem", tmpdir);
	snprintf(other_pem, sizeof(other_pem), "%s/other.pem", tmpdir);
	snprintf(garbage_pem, sizeof(garbage_pem), "%s/garbage.pem", tmpdir);
	snprintf(missing_pem, sizeof(missing_pem), "%s/missing.pem", tmpdir);
	write_pem(&root, root_pem);
	write_pem(&other, other_pem);
	write_pem(&selfsig, selfsig_pem);
	f = fopen(garbage_pem, "w");
	assert_non_null(f);
	fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
	    "-----END CERTIFICATE-----\n", f);
	assert_int_equal(fclose(f), 0);
	*state = NULL;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	free_ident(&root);
	free_ident(&other);
	free_ident(&inter);
	free_ident(&leaf);
	free_ident(&wild);
	free_ident(&ipleaf);
	free_ident(&viainter);
	free_ident(&expired);
	free_ident(&client);
	free_ident(&byother);
	free_ident(&selfsig);
	unlink(selfsig_pem);
	unlink(root_pem);
	unlink(other_pem);
	unlink(garbage_pem);
	rmdir(tmpdir);
	return 0;
}

static struct tls_der
der_of(const struct ident *id)
{
	struct tls_der d;

	d.data = id->der.data;
	d.len = id->der.size;
	return d;
}

static enum md_err
verify1(const struct ident *id, const char *ca, const char *host, char *why,
    size_t whylen)
{
	struct tls_der d = der_of(id);

	return tls_verify_chain(&d, 1, ca, host, why, whylen);
}

static void
test_trusted_leaf_by_name(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(verify1(&leaf, root_pem, "mail.chamber.test", why,
	    sizeof(why)), MD_OK);
	assert_string_equal(why, "");
	/* Host names compare without regard to case. */
	assert_int_equal(verify1(&leaf, root_pem, "MAIL.Chamber.TEST", why,
	    sizeof(why)), MD_OK);
}

static void
test_trusted_leaf_by_ip(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(verify1(&leaf, root_pem, "127.0.0.1", why,
	    sizeof(why)), MD_OK);
	assert_int_equal(verify1(&ipleaf, root_pem, "127.0.0.1", why,
	    sizeof(why)), MD_OK);
	assert_int_equal(verify1(&ipleaf, root_pem, "127.0.0.2", why,
	    sizeof(why)), MD_ERR_TLS);
}

static void
test_wrong_host_refused(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(verify1(&leaf, root_pem, "localhost", why,
	    sizeof(why)), MD_ERR_TLS);
	assert_non_null(strstr(why, "not valid for host localhost"));
	assert_int_equal(verify1(&leaf, root_pem, "chamber.test", why,
	    sizeof(why)), MD_ERR_TLS);
	assert_int_equal(verify1(&leaf, root_pem, "mail.chamber.test.evil",
	    why, sizeof(why)), MD_ERR_TLS);
	assert_int_equal(verify1(&leaf, root_pem, "", why, sizeof(why)),
	    MD_ERR_TLS);
	assert_int_equal(verify1(&leaf, root_pem, NULL, why, sizeof(why)),
	    MD_ERR_TLS);
}

static void
test_wildcard_one_label(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(verify1(&wild, root_pem, "imap.chamber.test", why,
	    sizeof(why)), MD_OK);
	assert_int_equal(verify1(&wild, root_pem, "a.imap.chamber.test", why,
	    sizeof(why)), MD_ERR_TLS);
	assert_int_equal(verify1(&wild, root_pem, "chamber.test", why,
	    sizeof(why)), MD_ERR_TLS);
}

static void
test_check_host_alone(void **state)
{
	struct tls_der d = der_of(&leaf);
	struct tls_der bad = { (const unsigned char *)"junk", 4 };

	(void)state;
	assert_int_equal(tls_check_host(&d, "mail.chamber.test"), MD_OK);
	assert_int_equal(tls_check_host(&d, "127.0.0.1"), MD_OK);
	assert_int_equal(tls_check_host(&d, "imap.chamber.test"), MD_ERR_TLS);
	assert_int_equal(tls_check_host(&d, ""), MD_ERR_TLS);
	assert_int_equal(tls_check_host(&bad, "mail.chamber.test"),
	    MD_ERR_TLS);
}

static void
test_other_ca_refused(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(verify1(&byother, root_pem, "mail.chamber.test", why,
	    sizeof(why)), MD_ERR_TLS);
	assert_non_null(strstr(why, "untrusted"));
	/* ... and accepted when that CA is the configured one. */
	assert_int_equal(verify1(&byother, other_pem, "mail.chamber.test",
	    why, sizeof(why)), MD_OK);
	assert_int_equal(verify1(&leaf, other_pem, "mail.chamber.test", why,
	    sizeof(why)), MD_ERR_TLS);
}

static void
test_self_made_ca_not_in_system_store(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(verify1(&leaf, NULL, "mail.chamber.test", why,
	    sizeof(why)), MD_ERR_TLS);
	assert_int_equal(verify1(&leaf, "", "mail.chamber.test", why,
	    sizeof(why)), MD_ERR_TLS);
}

static void
test_self_signed_leaf_refused(void **state)
{
	char why[256];

	(void)state;
	/* A server's own self-signed certificate (a snakeoil default). */
	assert_int_equal(verify1(&selfsig, NULL, "mail.chamber.test", why,
	    sizeof(why)), MD_ERR_TLS);
	assert_int_equal(verify1(&selfsig, root_pem, "mail.chamber.test", why,
	    sizeof(why)), MD_ERR_TLS);
	/* Configuring that very certificate as the CA file pins it. */
	assert_int_equal(verify1(&selfsig, selfsig_pem, "mail.chamber.test",
	    why, sizeof(why)), MD_OK);
}

static void
test_expired_refused(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(verify1(&expired, root_pem, "mail.chamber.test", why,
	    sizeof(why)), MD_ERR_TLS);
	assert_non_null(strstr(why, "expired"));
}

static void
test_client_only_cert_refused(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(verify1(&client, root_pem, "mail.chamber.test", why,
	    sizeof(why)), MD_ERR_TLS);
}

static void
test_intermediate_chain(void **state)
{
	struct tls_der chain[2];
	char why[256];

	(void)state;
	chain[0] = der_of(&viainter);
	chain[1] = der_of(&inter);
	assert_int_equal(tls_verify_chain(chain, 2, root_pem,
	    "imap.chamber.test", why, sizeof(why)), MD_OK);
	/* Without the intermediate the leaf cannot be tied to the root. */
	assert_int_equal(tls_verify_chain(chain, 1, root_pem,
	    "imap.chamber.test", why, sizeof(why)), MD_ERR_TLS);
	/* The leaf must come first, as TLS sends it. */
	chain[0] = der_of(&inter);
	chain[1] = der_of(&viainter);
	assert_int_equal(tls_verify_chain(chain, 2, root_pem,
	    "imap.chamber.test", why, sizeof(why)), MD_ERR_TLS);
}

static void
test_bad_ca_file(void **state)
{
	char why[256];

	(void)state;
	assert_int_equal(verify1(&leaf, missing_pem, "mail.chamber.test", why,
	    sizeof(why)), MD_ERR_IO);
	assert_non_null(strstr(why, missing_pem));
	assert_int_equal(verify1(&leaf, garbage_pem, "mail.chamber.test", why,
	    sizeof(why)), MD_ERR_IO);
}

static void
test_bad_chain_input(void **state)
{
	(void)state;
	struct tls_der junk = { (const unsigned char *)"\x30\x03\x02\x01\x01",
	    5 };
	struct tls_der many[17];
	char why[8];
	size_t i;

	assert_int_equal(tls_verify_chain(NULL, 0, root_pem, "x", why,
	    sizeof(why)), MD_ERR_TLS);
	assert_int_equal(tls_verify_chain(&junk, 1, root_pem, "x", why,
	    sizeof(why)), MD_ERR_TLS);
	/* A short reason buffer is truncated, never overrun. */
	assert_true(strlen(why) < sizeof(why));
	for (i = 0; i < 17; i++)
		many[i] = der_of(&leaf);
	assert_int_equal(tls_verify_chain(many, 17, root_pem,
	    "mail.chamber.test", NULL, 0), MD_ERR_TLS);
	assert_int_equal(tls_verify_chain(many, 1, root_pem,
	    "mail.chamber.test", NULL, 0), MD_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trusted_leaf_by_name),
		cmocka_unit_test(test_trusted_leaf_by_ip),
		cmocka_unit_test(test_wrong_host_refused),
		cmocka_unit_test(test_wildcard_one_label),
		cmocka_unit_test(test_check_host_alone),
		cmocka_unit_test(test_other_ca_refused),
		cmocka_unit_test(test_self_made_ca_not_in_system_store),
		cmocka_unit_test(test_self_signed_leaf_refused),
		cmocka_unit_test(test_expired_refused),
		cmocka_unit_test(test_client_only_cert_refused),
		cmocka_unit_test(test_intermediate_chain),
		cmocka_unit_test(test_bad_ca_file),
		cmocka_unit_test(test_bad_chain_input),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
