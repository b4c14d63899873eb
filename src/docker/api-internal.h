/* Shared by the Engine API's blocking calls (api.c) and its calls inside
 * the supervisor's event loop (multi.c): one way to describe a request
 * and to set a curl handle up for it. Not part of the library's interface. */
#ifndef LABO_DOCKER_API_INTERNAL_H
#define LABO_DOCKER_API_INTERNAL_H

#include <curl/curl.h>
#include <stdio.h>

#include "labo/docker/docker.h"

/* A reply being received. */
struct reply
{
  char *data; /* NUL-terminated */
  size_t len, cap;
  struct labo_ndjson *stream; /* also fed, when set */
};

/* An HTTP exchange, before the body is judged. */
struct request
{
  const char *op;
  const char *method;
  const char *path;         /* under /v1.41, or absolute when it starts with "/_" */
  const char *content_type; /* of the body; NULL without one */
  const char *body;         /* in memory... */
  size_t body_len;
  FILE *upload;             /* ...or streamed from a file */
  curl_off_t upload_len;
  long timeout_ms;          /* 0: none (a stream) */
  struct labo_ndjson *stream;
};

/* Makes libcurl's global set-up happen once, whichever thread asks first. */
int labo_docker_curl_init (const char *host, labo_error_t *err);

/* Sets the (fresh or reset) easy handle `curl` up for rq on `socket`,
 * receiving into r, with curl's messages in errbuf (CURL_ERROR_SIZE bytes,
 * which must outlive the transfer). Returns the header list, which the
 * caller frees once the transfer is done. */
struct curl_slist *labo_docker_setup (void *curl, const char *socket, const struct request *rq,
                                      struct reply *r, char *errbuf);
size_t labo_docker_write_cb (char *ptr, size_t size, size_t nmemb, void *userdata);

/* "HOST: OP: what curl says (socket PATH)", made specific where curl
 * would only say "Couldn't connect". Caller frees. */
char *labo_docker_transport_message (void *curl, const char *host, const char *socket,
                                     const char *op, int code, const char *errbuf);

#endif
