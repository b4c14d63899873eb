/* A lab's certificate authority for the Docker API over TLS: see
 * include/labo/docker/pki.h. */
#include "labo/docker/pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labo/util/ipv4.h"
#include "labo/util/util.h"

#define VALID_DAYS 365

static void
pkey_freep (EVP_PKEY **k)
{
  EVP_PKEY_free (*k);
}
static void
x509_freep (X509 **x)
{
  X509_free (*x);
}
#define cleanup_pkey __attribute__ ((cleanup (pkey_freep)))
#define cleanup_x509 __attribute__ ((cleanup (x509_freep)))

/* libcrypto's own reason, after what labo was doing. */
static int
ssl_error (labo_error_t *err, const char *what)
{
  char buf[256] = "unknown error";
  unsigned long e = ERR_get_error ();
  if (e)
    ERR_error_string_n (e, buf, sizeof (buf));
  ERR_clear_error ();
  return labo_error_make (err, 0, "%s: %s", what, buf);
}

static int
add_ext (X509 *cert, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  int ok;

  X509V3_set_ctx (&ctx, issuer, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
  if (ext == NULL)
    return -1;
  ok = X509_add_ext (cert, ext, -1);
  X509_EXTENSION_free (ext);
  return ok ? 0 : -1;
}

/* A certificate for key, named cn, signed by issuer_key (issuer NULL:
 * self-signed, the CA), with the extensions given as (nid, value) pairs. */
static X509 *
make_cert (EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
           const int *nids, const char *const *values, size_t n_ext)
{
  X509 *cert = X509_new ();
  unsigned char serial[16];
  BIGNUM *bn = NULL;
  bool ok = cert != NULL;

  /* a random positive serial: no two certificates of a CA alike */
  ok = ok && RAND_bytes (serial, sizeof (serial)) == 1;
  serial[0] &= 0x7f;
  ok = ok && (bn = BN_bin2bn (serial, sizeof (serial), NULL)) != NULL
       && BN_to_ASN1_INTEGER (bn, X509_get_serialNumber (cert)) != NULL;
  BN_free (bn);
  ok = ok && X509_set_version (cert, 2) == 1
       && X509_gmtime_adj (X509_getm_notBefore (cert), -3600) != NULL
       && X509_gmtime_adj (X509_getm_notAfter (cert), 86400L * VALID_DAYS) != NULL
       && X509_set_pubkey (cert, key) == 1
       && X509_NAME_add_entry_by_txt (X509_get_subject_name (cert), "CN", MBSTRING_UTF8,
                                      (const unsigned char *) cn, -1, -1, 0) == 1
       && X509_set_issuer_name (cert, X509_get_subject_name (issuer ? issuer : cert)) == 1;
  for (size_t i = 0; ok && i < n_ext; i++)
    ok = add_ext (cert, issuer ? issuer : cert, nids[i], values[i]) == 0;
  ok = ok && X509_sign (cert, issuer_key, EVP_sha256 ()) > 0;
  if (!ok)
    {
      X509_free (cert);
      return NULL;
    }
  return cert;
}

/* Writes a PEM file that must not exist yet (O_EXCL, O_NOFOLLOW). */
static int
write_pem (const char *dir, const char *file, mode_t mode, X509 *cert, EVP_PKEY *key,
           labo_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", dir, file);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  BIO *bio;
  bool ok;

  if (fd < 0)
    return labo_error_errno (err, "creating %s", path);
  bio = BIO_new_fd (fd, BIO_CLOSE);
  if (bio == NULL)
    {
      close (fd);
      return ssl_error (err, path);
    }
  ok = cert ? PEM_write_bio_X509 (bio, cert) == 1
            : PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL) == 1;
  ok = BIO_flush (bio) == 1 && ok;
  BIO_free_all (bio);
  if (!ok)
    return ssl_error (err, path);
  return 0;
}

static int
make_dir (const char *dir, labo_error_t *err)
{
  if (labo_mkdir_p (dir, 0700) < 0)
    return labo_error_errno (err, "creating %s", dir);
  return 0;
}

int
labo_pki_issue (const char *lab, const char *client_dir, const struct labo_pki_server *servers,
                size_t n, labo_error_t *err)
{
  static const int ca_nids[] = { NID_basic_constraints, NID_key_usage,
                                 NID_subject_key_identifier };
  static const char *const ca_vals[] = { "critical,CA:TRUE,pathlen:0",
                                         "critical,keyCertSign,cRLSign", "hash" };
  static const int leaf_nids[] = { NID_basic_constraints, NID_key_usage, NID_ext_key_usage,
                                   NID_authority_key_identifier, NID_subject_alt_name };
  cleanup_pkey EVP_PKEY *ca_key = EVP_EC_gen ("P-256");
  cleanup_x509 X509 *ca = NULL;
  cleanup_free char *ca_cn = xasprintf ("labo %s CA", lab);

  if (ca_key == NULL)
    return ssl_error (err, "making the lab's CA key");
  ca = make_cert (ca_key, ca_cn, NULL, ca_key, ca_nids, ca_vals, 3);
  if (ca == NULL)
    return ssl_error (err, "making the lab's CA certificate");

  if (make_dir (client_dir, err) < 0 || write_pem (client_dir, "ca.pem", 0644, ca, NULL, err) < 0)
    return -1;
  {
    const char *vals[] = { "critical,CA:FALSE", "critical,digitalSignature", "clientAuth",
                           "keyid", "DNS:labo-client" };
    cleanup_pkey EVP_PKEY *key = EVP_EC_gen ("P-256");
    cleanup_x509 X509 *cert = key ? make_cert (key, "labo-client", ca, ca_key, leaf_nids, vals, 5)
                                  : NULL;
    if (cert == NULL)
      return ssl_error (err, "making the lab's client certificate");
    if (write_pem (client_dir, "cert.pem", 0644, cert, NULL, err) < 0
        || write_pem (client_dir, "key.pem", 0600, NULL, key, err) < 0)
      return -1;
  }
  for (size_t i = 0; i < n; i++)
    {
      char a[16];
      cleanup_free char *san = xasprintf ("DNS:%s,IP:%s", servers[i].name,
                                          labo_ipv4_format (servers[i].address, a));
      const char *vals[] = { "critical,CA:FALSE", "critical,digitalSignature,keyEncipherment",
                             "serverAuth", "keyid", san };
      cleanup_pkey EVP_PKEY *key = EVP_EC_gen ("P-256");
      cleanup_x509 X509 *cert
          = key ? make_cert (key, servers[i].name, ca, ca_key, leaf_nids, vals, 5) : NULL;
      if (cert == NULL)
        return ssl_error (err, "making a server certificate");
      if (make_dir (servers[i].dir, err) < 0
          || write_pem (servers[i].dir, "ca.pem", 0644, ca, NULL, err) < 0
          || write_pem (servers[i].dir, "server-cert.pem", 0644, cert, NULL, err) < 0
          || write_pem (servers[i].dir, "server-key.pem", 0600, NULL, key, err) < 0)
        return labo_error_wrap (err, "the certificate of %s", servers[i].name);
    }
  return 0;
}
