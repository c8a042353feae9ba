#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tls.h"

/* Servers send leaf plus a few intermediates; anything longer is hostile. */
#define TLS_MAX_CHAIN	16

static void tls_why(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
tls_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static enum md_err
tls_import(const struct tls_der *der, gnutls_x509_crt_t *out)
{
	gnutls_datum_t d;
	int r;

	*out = NULL;
	if (der->data == NULL || der->len == 0 || der->len > (unsigned int)-1)
		return MD_ERR_TLS;
	r = gnutls_x509_crt_init(out);
	if (r < 0)
		return MD_ERR_NOMEM;
	d.data = (unsigned char *)der->data;
	d.size = (unsigned int)der->len;
	r = gnutls_x509_crt_import(*out, &d, GNUTLS_X509_FMT_DER);
	if (r < 0) {
		gnutls_x509_crt_deinit(*out);
		*out = NULL;
		return MD_ERR_TLS;
	}
	return MD_OK;
}

enum md_err
tls_check_host(const struct tls_der *der, const char *host)
{
	gnutls_x509_crt_t crt;
	enum md_err err;

	if (host == NULL || *host == '\0')
		return MD_ERR_TLS;
	err = tls_import(der, &crt);
	if (err)
		return err;
	if (!gnutls_x509_crt_check_hostname2(crt, host, 0))
		err = MD_ERR_TLS;
	gnutls_x509_crt_deinit(crt);
	return err;
}

static enum md_err
tls_load_anchors(gnutls_x509_trust_list_t list, const char *ca_file,
    char *why, size_t whylen)
{
	int r;

	if (ca_file != NULL && *ca_file != '\0') {
		r = gnutls_x509_trust_list_add_trust_file(list, ca_file, NULL,
		    GNUTLS_X509_FMT_PEM, 0, 0);
		if (r <= 0) {
			tls_why(why, whylen,
			    "no usable CA certificate in %s", ca_file);
			return MD_ERR_IO;
		}
		return MD_OK;
	}
	r = gnutls_x509_trust_list_add_system_trust(list, 0, 0);
	if (r < 0) {
		tls_why(why, whylen, "cannot load the system trust store");
		return MD_ERR_IO;
	}
	/* An empty system store is legal: every chain then fails below. */
	return MD_OK;
}

enum md_err
tls_verify_chain(const struct tls_der *chain, size_t n, const char *ca_file,
    const char *host, char *why, size_t whylen)
{
	gnutls_x509_crt_t crts[TLS_MAX_CHAIN];
	gnutls_x509_trust_list_t list = NULL;
	gnutls_typed_vdata_st vdata[1];
	gnutls_datum_t txt = { NULL, 0 };
	unsigned int status = 0;
	size_t i, ncrt = 0;
	enum md_err err;
	int r;

	if (why && whylen)
		why[0] = '\0';
	if (n == 0 || chain == NULL) {
		tls_why(why, whylen, "the server sent no certificate");
		return MD_ERR_TLS;
	}
	if (n > TLS_MAX_CHAIN) {
		tls_why(why, whylen, "the server sent an overlong certificate "
		    "chain");
		return MD_ERR_TLS;
	}
	if (host == NULL || *host == '\0') {
		tls_why(why, whylen, "no host name to verify against");
		return MD_ERR_TLS;
	}
	for (i = 0; i < n; i++) {
		err = tls_import(&chain[i], &crts[i]);
		if (err) {
			tls_why(why, whylen, "the server sent an unparsable "
			    "certificate");
			goto out;
		}
		ncrt++;
	}

	if (gnutls_x509_trust_list_init(&list, 0) < 0) {
		err = MD_ERR_NOMEM;
		goto out;
	}
	err = tls_load_anchors(list, ca_file, why, whylen);
	if (err)
		goto out;

	vdata[0].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vdata[0].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
	vdata[0].size = 0;
	r = gnutls_x509_trust_list_verify_crt2(list, crts, (unsigned int)ncrt,
	    vdata, 1, 0, &status, NULL);
	if (r < 0) {
		tls_why(why, whylen, "certificate verification failed: %s",
		    gnutls_strerror(r));
		err = MD_ERR_TLS;
		goto out;
	}
	if (status != 0) {
		if (gnutls_certificate_verification_status_print(status,
		    GNUTLS_CRT_X509, &txt, 0) == 0)
			tls_why(why, whylen, "untrusted server certificate: %s",
			    (const char *)txt.data);
		else
			tls_why(why, whylen, "untrusted server certificate");
		gnutls_free(txt.data);
		err = MD_ERR_TLS;
		goto out;
	}
	/* Checked apart from the chain so that the reason names the host. */
	if (!gnutls_x509_crt_check_hostname2(crts[0], host, 0)) {
		tls_why(why, whylen, "the server certificate is not valid for "
		    "host %s", host);
		err = MD_ERR_TLS;
		goto out;
	}
	err = MD_OK;
out:
	if (list)
		gnutls_x509_trust_list_deinit(list, 1);
	for (i = 0; i < ncrt; i++)
		gnutls_x509_crt_deinit(crts[i]);
	return err;
}
