/* A lab's own certificate authority, for the Docker APIs that `api_tcp:
 * true` serves over TLS with client verification (dockerd --tlsverify).
 *
 * At `up`, one CA (ECDSA P-256, SHA-256) signs a server certificate per
 * host (its name and lab address in subjectAltName, serverAuth) and one
 * client certificate (clientAuth). The CA's private key is never written
 * anywhere: once these are signed nobody can mint another, so the client
 * key (root's only, 0600 in a 0700 directory) is the only way in. Files
 * are made with O_EXCL | O_NOFOLLOW: an existing file is an error, never
 * overwritten through a link. Uses OpenSSL's libcrypto (Debian's
 * libssl-dev): certificates are no place for hand-written ASN.1. */
#ifndef LABO_PKI_H
#define LABO_PKI_H

#include <stddef.h>
#include <stdint.h>

#include "labo/util/error.h"

struct labo_pki_server
{
  const char *dir;  /* gets ca.pem, server-cert.pem, server-key.pem (made 0700 if missing) */
  const char *name; /* the host's name (DNS subjectAltName and CN) */
  uint32_t address; /* its lab address (IP subjectAltName), host byte order */
};

/* Issues the lab's certificates: client_dir gets ca.pem, cert.pem and
 * key.pem (Docker's DOCKER_CERT_PATH layout), each server its own.
 * `lab` names the CA. Valid from an hour ago (clocks differ) for a year. */
int labo_pki_issue (const char *lab, const char *client_dir, const struct labo_pki_server *servers,
                    size_t n, labo_error_t *err);

#endif
