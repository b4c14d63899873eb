/* The Docker Engine API over a daemon's unix socket: libcurl transport. */
#include "labo/docker/docker.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "labo/util/util.h"

/* A unix socket either accepts at once or refuses at once; the limit only
 * matters for a daemon wedged before accept(). */
#define CONNECT_TIMEOUT_MS 2000L
/* /_ping is what callers poll while a daemon starts: a slow answer is as
 * good as none, they will ask again. */
#define PING_TIMEOUT_MS 3000L
/* Lookups (inspect, node list, join token) answer in milliseconds. */
#define GET_TIMEOUT_MS 20000L
/* Swarm init/join, container start (overlay sandbox set-up) and a 45 MB
 * image import take about a second each, several under load. */
#define LONG_TIMEOUT_MS 60000L
/* What is kept of a progress stream's raw bytes, for a non-2xx reply's
 * message: the stream itself is parsed as it arrives. */
#define STREAM_KEEP (64 * 1024)

#include "api-internal.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

/* curl_easy_init() would run the global set-up lazily, and racily if two
 * threads opened daemons at once. */
static void
curl_init (void)
{
  curl_init_result = curl_global_init (CURL_GLOBAL_DEFAULT);
}

int
labo_docker_curl_init (const char *host, labo_error_t *err)
{
  pthread_once (&curl_once, curl_init);
  if (curl_init_result != CURLE_OK)
    return labo_error_make (err, 0, "%s: initialising libcurl: %s", host,
                            curl_easy_strerror (curl_init_result));
  return 0;
}

int
labo_docker_open (struct labo_docker *d, const char *socket, const char *host,
                  labo_error_t *err)
{
  memset (d, 0, sizeof (*d));
  if (labo_docker_curl_init (host, err) < 0)
    return -1;
  d->curl = curl_easy_init ();
  if (d->curl == NULL)
    return labo_error_make (err, 0, "%s: initialising libcurl failed", host);
  d->socket = xstrdup (socket);
  d->host = xstrdup (host);
  return 0;
}

void
labo_docker_set_tls (struct labo_docker *d, const char *ca, const char *cert, const char *key)
{
  char *https;

  /* the route says the scheme, so that labo_docker_setup (shared with
   * the event loop's calls) needs nothing more */
  if (strncmp (d->socket, "tcp://", 6) == 0)
    {
      https = xasprintf ("https://%s", d->socket + 6);
      free (d->socket);
      d->socket = https;
    }
  d->tls_ca = ca ? xstrdup (ca) : NULL;
  d->tls_cert = cert ? xstrdup (cert) : NULL;
  d->tls_key = key ? xstrdup (key) : NULL;
}

void
labo_docker_close (struct labo_docker *d)
{
  if (d->curl != NULL)
    curl_easy_cleanup (d->curl);
  free (d->socket);
  free (d->host);
  free (d->tls_ca);
  free (d->tls_cert);
  free (d->tls_key);
  memset (d, 0, sizeof (*d));
}

size_t
labo_docker_write_cb (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct reply *r = userdata;
  size_t n = size * nmemb, keep = n;

  if (r->stream != NULL)
    {
      labo_ndjson_feed (r->stream, ptr, n);
      if (r->len >= STREAM_KEEP)
        return n;
      if (keep > STREAM_KEEP - r->len)
        keep = STREAM_KEEP - r->len;
    }
  if (r->len + keep + 1 > r->cap)
    {
      r->cap = (r->len + keep + 1) * 2;
      r->data = xrealloc (r->data, r->cap);
    }
  memcpy (r->data + r->len, ptr, keep);
  r->len += keep;
  r->data[r->len] = '\0';
  return n;
}

static size_t
read_cb (char *buf, size_t size, size_t nitems, void *userdata)
{
  FILE *f = userdata;
  size_t n = fread (buf, 1, size * nitems, f);

  if (n == 0 && ferror (f))
    return CURL_READFUNC_ABORT;
  return n;
}

/* curl's own words, made specific where it would only say "Couldn't
 * connect" (ENOENT: no daemon yet; ECONNREFUSED: a stale socket). */
char *
labo_docker_transport_message (void *curl, const char *host, const char *socket, const char *op,
                               int code, const char *errbuf)
{
  CURLcode rc = (CURLcode) code;
  long os_errno = 0;

  if (rc == CURLE_COULDNT_CONNECT
      && curl_easy_getinfo ((CURL *) curl, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK
      && os_errno != 0)
    return xasprintf ("%s: %s: %s: %s (socket %s)", host, op, curl_easy_strerror (rc),
                      strerror ((int) os_errno), socket);
  return xasprintf ("%s: %s: %s (socket %s)", host, op,
                    errbuf && errbuf[0] ? errbuf : curl_easy_strerror (rc), socket);
}

static int
transport_error (struct labo_docker *d, const char *op, CURLcode rc, const char *errbuf,
                 labo_error_t *err)
{
  cleanup_free char *msg = labo_docker_transport_message (d->curl, d->host, d->socket, op, rc,
                                                          errbuf);
  return labo_error_make (err, 0, "%s", msg);
}

struct curl_slist *
labo_docker_setup (void *curl, const char *socket, const struct request *rq, struct reply *r,
                   char *errbuf)
{
  CURL *c = curl;
  struct curl_slist *headers = NULL;
  cleanup_free char *url = NULL;

  /* A daemon is a unix socket (the lab's own daemons) or, for a real
   * Swarm's manager (labo deploy), "tcp://HOST:PORT": the same requests,
   * only the route differs. */
  if (strncmp (socket, "tcp://", 6) == 0 || strncmp (socket, "https://", 8) == 0)
    url = xasprintf ("%s://%s%s%s", socket[0] == 't' ? "http" : "https", strstr (socket, "//") + 2,
                     strncmp (rq->path, "/_", 2) == 0 ? "" : LABO_DOCKER_API, rq->path);
  else
    {
      url = xasprintf ("http://localhost%s%s",
                       strncmp (rq->path, "/_", 2) == 0 ? "" : LABO_DOCKER_API, rq->path);
      curl_easy_setopt (c, CURLOPT_UNIX_SOCKET_PATH, socket);
    }
  curl_easy_setopt (c, CURLOPT_URL, url);
  /* The socket or the address is the whole route: an http_proxy in the
   * environment must not catch it. */
  curl_easy_setopt (c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
  curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
  curl_easy_setopt (c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, labo_docker_write_cb);
  curl_easy_setopt (c, CURLOPT_WRITEDATA, r);

  if (rq->upload != NULL)
    {
      curl_easy_setopt (c, CURLOPT_POST, 1L);
      curl_easy_setopt (c, CURLOPT_READFUNCTION, read_cb);
      curl_easy_setopt (c, CURLOPT_READDATA, rq->upload);
      curl_easy_setopt (c, CURLOPT_POSTFIELDSIZE_LARGE, rq->upload_len);
    }
  else if (rq->body != NULL || strcmp (rq->method, "POST") == 0)
    {
      /* An empty POST still states its length (0), or Go's server waits
       * for a body that never comes. */
      curl_easy_setopt (c, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
      curl_easy_setopt (c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) rq->body_len);
    }
  else
    curl_easy_setopt (c, CURLOPT_HTTPGET, 1L);
  if (strcmp (rq->method, "GET") != 0 && strcmp (rq->method, "POST") != 0)
    curl_easy_setopt (c, CURLOPT_CUSTOMREQUEST, rq->method);

  if (rq->body != NULL || rq->upload != NULL || strcmp (rq->method, "POST") == 0)
    {
      /* curl's default form type on a POST would make the daemon refuse
       * JSON (400) or swallow a tar; without a body, no type at all. */
      cleanup_free char *ct = xasprintf ("Content-Type:%s%s", rq->content_type ? " " : "",
                                         rq->content_type ? rq->content_type : "");
      headers = curl_slist_append (headers, ct);
      /* No "Expect: 100-continue" pause before a large body. */
      headers = curl_slist_append (headers, "Expect:");
      curl_easy_setopt (c, CURLOPT_HTTPHEADER, headers);
    }
  return headers;
}

/* Performs one exchange on the daemon's connection (kept alive between
 * calls). Fails only when there is no HTTP reply; *status and *r tell the
 * rest. */
static int
perform (struct labo_docker *d, const struct request *rq, struct reply *r, long *status,
         labo_error_t *err)
{
  CURL *c = d->curl;
  char errbuf[CURL_ERROR_SIZE] = "";
  struct curl_slist *headers;
  CURLcode rc;

  /* A reset drops the previous call's options (upload, method, headers)
   * but keeps the connection cache, so the connection is reused. */
  curl_easy_reset (c);
  headers = labo_docker_setup (c, d->socket, rq, r, errbuf);
  if (d->tls_ca)
    curl_easy_setopt (c, CURLOPT_CAINFO, d->tls_ca);
  if (d->tls_cert)
    curl_easy_setopt (c, CURLOPT_SSLCERT, d->tls_cert);
  if (d->tls_key)
    curl_easy_setopt (c, CURLOPT_SSLKEY, d->tls_key);
  rc = curl_easy_perform (c);
  curl_slist_free_all (headers);
  /* errbuf lives on this stack frame: curl must not keep it. */
  curl_easy_setopt (c, CURLOPT_ERRORBUFFER, NULL);
  if (rc != CURLE_OK)
    return transport_error (d, rq->op, rc, errbuf, err);
  *status = 0;
  curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, status);
  return 0;
}

static int
http_error (struct labo_docker *d, const char *op, long status, const struct reply *r,
            labo_error_t *err)
{
  cleanup_free char *msg = labo_docker_error_message (r->data, r->len);

  return labo_error_make (err, 0, "%s: %s: %s (HTTP %ld)", d->host, op,
                          msg[0] ? msg : "empty reply", status);
}

static bool
is_2xx (long status)
{
  return status >= 200 && status < 300;
}

/* A JSON call. A status equal to `also_ok` (e.g. 404 for "absent") is not
 * an error either: the caller reads *status. */
static int
call (struct labo_docker *d, const char *op, const char *method, const char *path, json_t *body,
      long timeout_ms, long also_ok, long *status, json_t **reply, labo_error_t *err)
{
  cleanup_free char *text = NULL;
  struct reply r = { 0 };
  struct request rq = { .op = op, .method = method, .path = path, .timeout_ms = timeout_ms };
  long st = 0;
  int ret;

  if (reply != NULL)
    *reply = NULL;
  if (body != NULL)
    {
      text = json_dumps (body, JSON_COMPACT);
      if (text == NULL)
        return labo_error_make (err, 0, "%s: %s: the request body cannot be serialised",
                                d->host, op);
      rq.body = text;
      rq.body_len = strlen (text);
      rq.content_type = "application/json";
    }
  ret = perform (d, &rq, &r, &st, err);
  if (ret == 0 && !is_2xx (st) && st != also_ok)
    ret = http_error (d, op, st, &r, err);
  if (ret == 0 && reply != NULL && r.len > 0)
    /* Not every reply is an object: swarm init answers a bare string. */
    *reply = json_loadb (r.data, r.len, JSON_DECODE_ANY, NULL);
  if (status != NULL)
    *status = st;
  free (r.data);
  return ret;
}

int
labo_docker_request (struct labo_docker *d, const char *op, const char *method, const char *path,
                     json_t *body, long also_ok, long *status, json_t **reply, labo_error_t *err)
{
  return call (d, op, method, path, body, LONG_TIMEOUT_MS, also_ok, status, reply, err);
}

int
labo_docker_ping (struct labo_docker *d, labo_error_t *err)
{
  static const char op[] = "pinging the Docker daemon";
  struct request rq = { .op = op, .method = "GET", .path = "/_ping",
                        .timeout_ms = PING_TIMEOUT_MS };
  struct reply r = { 0 };
  long status = 0;
  int ret;

  ret = perform (d, &rq, &r, &status, err);
  if (ret == 0 && !is_2xx (status))
    ret = http_error (d, op, status, &r, err);
  else if (ret == 0 && (r.len != 2 || memcmp (r.data, "OK", 2) != 0))
    ret = labo_error_make (err, 0, "%s: %s: unexpected reply \"%.64s\" (socket %s)", d->host, op,
                           r.data ? r.data : "", d->socket);
  free (r.data);
  return ret;
}

int
labo_docker_swarm_init (struct labo_docker *d, uint32_t advertise,
                        const struct labo_swarm *swarm, labo_error_t *err)
{
  json_t *body = labo_docker_swarm_init_body (advertise, swarm);
  int ret = call (d, "initialising the swarm", "POST", "/swarm/init", body, LONG_TIMEOUT_MS, 0,
                  NULL, NULL, err);
  json_decref (body);
  return ret;
}

int
labo_docker_swarm_worker_token (struct labo_docker *d, char **token, labo_error_t *err)
{
  static const char op[] = "reading the swarm's join token";
  json_t *reply = NULL;
  const char *t;

  *token = NULL;
  if (call (d, op, "GET", "/swarm", NULL, GET_TIMEOUT_MS, 0, NULL, &reply, err) < 0)
    return -1;
  t = json_string_value (json_object_get (json_object_get (reply, "JoinTokens"), "Worker"));
  if (t == NULL || t[0] == '\0')
    {
      json_decref (reply);
      return labo_error_make (err, 0, "%s: %s: no JoinTokens.Worker in the reply", d->host, op);
    }
  *token = xstrdup (t);
  json_decref (reply);
  return 0;
}

int
labo_docker_swarm_join (struct labo_docker *d, uint32_t advertise, uint32_t manager,
                        const char *token, labo_error_t *err)
{
  char buf[16];
  cleanup_free char *op = xasprintf ("joining the swarm at %s", labo_ipv4_format (manager, buf));
  json_t *body = labo_docker_swarm_join_body (advertise, manager, token);
  int ret = call (d, op, "POST", "/swarm/join", body, LONG_TIMEOUT_MS, 0, NULL, NULL, err);
  json_decref (body);
  return ret;
}

static json_t *
string_at (json_t *obj, const char *a, const char *b)
{
  json_t *v = json_object_get (json_object_get (obj, a), b);
  return json_is_string (v) ? json_incref (v) : json_null ();
}

int
labo_docker_gossip_peers (struct labo_docker *d, uint32_t **addrs, size_t *n, labo_error_t *err)
{
  json_t *reply = NULL;
  int r;

  *addrs = NULL;
  *n = 0;
  if (call (d, "reading the daemon's gossip peers", "GET", LABO_DOCKER_GOSSIP_PATH, NULL,
            GET_TIMEOUT_MS, 0, NULL, &reply, err)
      < 0)
    return -1;
  r = labo_docker_network_peers_json (reply, addrs, n);
  json_decref (reply);
  if (r < 0)
    return labo_error_make (err, 0, "%s: reading the daemon's gossip peers: the reply is not "
                                    "a network's inspection", d->host);
  return 0;
}

int
labo_docker_swarm_nodes (struct labo_docker *d, json_t **nodes, labo_error_t *err)
{
  json_t *reply = NULL, *n, *out;
  size_t i;

  *nodes = NULL;
  if (call (d, "listing the swarm's nodes", "GET", "/nodes", NULL, GET_TIMEOUT_MS, 0, NULL, &reply,
            err)
      < 0)
    return -1;
  if (!json_is_array (reply))
    {
      json_decref (reply);
      return labo_error_make (err, 0, "%s: listing the swarm's nodes: the reply is not an array",
                              d->host);
    }
  out = json_array ();
  json_array_foreach (reply, i, n)
    {
      /* ManagerStatus exists on managers only. */
      json_t *leader = json_object_get (json_object_get (n, "ManagerStatus"), "Leader");
      json_array_append_new (
          out, json_pack ("{s:o, s:o, s:o, s:o, s:b, s:o}", "name",
                          string_at (n, "Description", "Hostname"), "role",
                          string_at (n, "Spec", "Role"), "state", string_at (n, "Status", "State"),
                          "availability", string_at (n, "Spec", "Availability"), "leader",
                          json_is_true (leader), "addr", string_at (n, "Status", "Addr")));
    }
  json_decref (reply);
  *nodes = out;
  return 0;
}

int
labo_docker_network_create (struct labo_docker *d, const struct labo_overlay *overlay,
                            const char *lab, labo_error_t *err)
{
  cleanup_free char *op = xasprintf ("creating network %s", overlay->name);
  json_t *body = labo_docker_network_body (overlay, lab);
  int ret = call (d, op, "POST", "/networks/create", body, LONG_TIMEOUT_MS, 0, NULL, NULL, err);
  json_decref (body);
  return ret;
}

int
labo_docker_image_exists (struct labo_docker *d, const char *ref, bool *exists,
                          labo_error_t *err)
{
  cleanup_free char *op = xasprintf ("looking up image %s", ref);
  /* A reference's '/' and ':' are the daemon's route pattern's own
   * ({name:.*}/json): they go in the path as they are. */
  cleanup_free char *path = xasprintf ("/images/%s/json", ref);
  long status = 0;

  *exists = false;
  if (call (d, op, "GET", path, NULL, GET_TIMEOUT_MS, 404, &status, NULL, err) < 0)
    return -1;
  *exists = status != 404;
  return 0;
}

/* POSTs the file f (rq's upload length set) and reads the daemon's
 * progress stream: an error status, or an error the stream carries (the
 * daemon has already said 200 when a layer fails to apply). */
static int
upload (struct labo_docker *d, struct request *rq, FILE *f, struct labo_ndjson *stream,
        labo_error_t *err)
{
  struct reply r = { 0 };
  long status = 0;
  int ret;

  rq->upload = f;
  r.stream = stream;
  ret = perform (d, rq, &r, &status, err);
  labo_ndjson_finish (stream);
  if (ret == 0 && !is_2xx (status))
    ret = http_error (d, rq->op, status, &r, err);
  else if (ret == 0 && stream->error != NULL)
    ret = labo_error_make (err, 0, "%s: %s: %s", d->host, rq->op, stream->error);
  free (r.data);
  return ret;
}

int
labo_docker_image_import (struct labo_docker *d, const char *tar_path, const char *repo,
                          const char *tag, const char *const *changes, labo_error_t *err)
{
  cleanup_free char *op = xasprintf ("importing %s as image %s:%s", tar_path, repo,
                                     tag ? tag : "latest");
  cleanup_free char *query = labo_docker_import_query (repo, tag, changes);
  cleanup_free char *path = xasprintf ("/images/create?%s", query);
  cleanup_file FILE *f = NULL;
  struct labo_ndjson stream = { 0 };
  struct request rq = { .op = op, .method = "POST", .path = path,
                        .content_type = "application/x-tar", .timeout_ms = LONG_TIMEOUT_MS,
                        .stream = &stream };
  struct stat st;
  int ret;

  f = fopen (tar_path, "rbe");
  if (f == NULL)
    return labo_error_errno (err, "%s: %s: opening %s", d->host, op, tar_path);
  if (fstat (fileno (f), &st) < 0)
    return labo_error_errno (err, "%s: %s: reading %s", d->host, op, tar_path);
  rq.upload_len = (curl_off_t) st.st_size;
  ret = upload (d, &rq, f, &stream, err);
  labo_ndjson_free (&stream);
  return ret;
}

int
labo_docker_image_load (struct labo_docker *d, int fd, const char *what, char **ref,
                        labo_error_t *err)
{
  cleanup_free char *op = xasprintf ("loading image archive %s", what);
  cleanup_file FILE *f = NULL;
  struct labo_ndjson stream = { 0 };
  struct request rq = { .op = op, .method = "POST", .path = "/images/load?quiet=1",
                        .content_type = "application/x-tar", .timeout_ms = LONG_TIMEOUT_MS,
                        .stream = &stream };
  struct stat st;
  int ret, own;

  *ref = NULL;
  own = fcntl (fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0)
    return labo_error_errno (err, "%s: %s", d->host, op);
  f = fdopen (own, "rb");
  if (f == NULL)
    {
      close (own);
      return labo_error_errno (err, "%s: %s", d->host, op);
    }
  if (fstat (fileno (f), &st) < 0)
    return labo_error_errno (err, "%s: %s: reading it", d->host, op);
  rq.upload_len = (curl_off_t) (st.st_size - ftello (f));
  ret = upload (d, &rq, f, &stream, err);
  if (ret == 0 && stream.n_loaded != 1)
    ret = labo_error_make (err, 0, "%s: %s: %s", d->host, op,
                           stream.n_loaded == 0
                               ? "the daemon named no image it loaded (is it a `docker save` "
                                 "archive?)"
                               : "it holds more than one image: a node's archive holds the "
                                 "one image it runs (docker save IMAGE, one IMAGE)");
  else if (ret == 0)
    *ref = steal_ptr (&stream.loaded);
  labo_ndjson_free (&stream);
  return ret;
}

int
labo_docker_image_tag (struct labo_docker *d, const char *ref, const char *repo,
                       const char *tag, labo_error_t *err)
{
  cleanup_free char *op = xasprintf ("tagging image %s as %s:%s", ref, repo, tag);
  char *er = curl_easy_escape (d->curl, repo, 0), *et = curl_easy_escape (d->curl, tag, 0);
  cleanup_free char *path = NULL;

  if (er == NULL || et == NULL)
    {
      fputs ("labo: out of memory\n", stderr);
      abort ();
    }
  path = xasprintf ("/images/%s/tag?repo=%s&tag=%s", ref, er, et);
  curl_free (er);
  curl_free (et);
  return call (d, op, "POST", path, NULL, GET_TIMEOUT_MS, 0, NULL, NULL, err);
}

/* Container names are hostnames, but a path must not depend on that. */
static char *
escaped (struct labo_docker *d, const char *s)
{
  char *e = curl_easy_escape (d->curl, s, 0);
  char *r;

  if (e == NULL)
    {
      fputs ("labo: out of memory\n", stderr);
      abort ();
    }
  r = xstrdup (e);
  curl_free (e);
  return r;
}

int
labo_docker_container_create (struct labo_docker *d, const char *name, json_t *spec, char **id,
                              labo_error_t *err)
{
  cleanup_free char *op = xasprintf ("creating container %s", name);
  cleanup_free char *ename = escaped (d, name);
  cleanup_free char *path = xasprintf ("/containers/create?name=%s", ename);
  json_t *reply = NULL;
  const char *cid;

  if (id != NULL)
    *id = NULL;
  if (call (d, op, "POST", path, spec, LONG_TIMEOUT_MS, 0, NULL, &reply, err) < 0)
    return -1;
  cid = json_string_value (json_object_get (reply, "Id"));
  if (cid == NULL)
    {
      json_decref (reply);
      return labo_error_make (err, 0, "%s: %s: no Id in the reply", d->host, op);
    }
  if (id != NULL)
    *id = xstrdup (cid);
  json_decref (reply);
  return 0;
}

int
labo_docker_container_start (struct labo_docker *d, const char *name, labo_error_t *err)
{
  cleanup_free char *op = xasprintf ("starting container %s", name);
  cleanup_free char *ename = escaped (d, name);
  cleanup_free char *path = xasprintf ("/containers/%s/start", ename);

  /* 304 is "already started": what was asked for holds. */
  return call (d, op, "POST", path, NULL, LONG_TIMEOUT_MS, 304, NULL, NULL, err);
}

int
labo_docker_container_pause (struct labo_docker *d, const char *name, bool pause,
                             labo_error_t *err)
{
  cleanup_free char *op = xasprintf ("%s container %s", pause ? "pausing" : "unpausing", name);
  cleanup_free char *ename = escaped (d, name);
  cleanup_free char *path = xasprintf ("/containers/%s/%s", ename, pause ? "pause" : "unpause");

  /* Docker answers once runc has the container's freezer at FROZEN (or
   * THAWED); 409 (already so, or not running) is the caller's to avoid */
  return call (d, op, "POST", path, NULL, LONG_TIMEOUT_MS, 0, NULL, NULL, err);
}

int
labo_docker_container_remove (struct labo_docker *d, const char *name, labo_error_t *err)
{
  cleanup_free char *op = xasprintf ("removing container %s", name);
  cleanup_free char *ename = escaped (d, name);
  /* force: a running one is killed first; v: its anonymous volumes go
   * with it, or what was written there would outlive it */
  cleanup_free char *path = xasprintf ("/containers/%s?force=1&v=1", ename);

  /* 404: no such container, which is what was asked for */
  return call (d, op, "DELETE", path, NULL, LONG_TIMEOUT_MS, 404, NULL, NULL, err);
}

/* GET path: *found false on a 404, else its JSON in *info (if asked). */
static int
inspect (struct labo_docker *d, const char *op, const char *path, json_t **info, bool *found,
         labo_error_t *err)
{
  json_t *reply = NULL;
  long status = 0;

  if (info != NULL)
    *info = NULL;
  *found = false;
  if (call (d, op, "GET", path, NULL, GET_TIMEOUT_MS, 404, &status, &reply, err) < 0)
    return -1;
  *found = status != 404;
  if (*found && info != NULL)
    *info = reply;
  else
    json_decref (reply);
  return 0;
}

int
labo_docker_network_inspect (struct labo_docker *d, const char *name, json_t **info, bool *found,
                             labo_error_t *err)
{
  cleanup_free char *op = xasprintf ("inspecting network %s", name);
  cleanup_free char *ename = escaped (d, name);
  cleanup_free char *path = xasprintf ("/networks/%s", ename);
  return inspect (d, op, path, info, found, err);
}

int
labo_docker_container_inspect (struct labo_docker *d, const char *name, json_t **info,
                               bool *found, labo_error_t *err)
{
  cleanup_free char *op = xasprintf ("inspecting container %s", name);
  cleanup_free char *ename = escaped (d, name);
  cleanup_free char *path = xasprintf ("/containers/%s/json", ename);
  return inspect (d, op, path, info, found, err);
}

int
labo_docker_network_gossip (struct labo_docker *d, const char *name, uint32_t **addrs, size_t *n,
                            bool *found, labo_error_t *err)
{
  cleanup_free char *op = xasprintf ("reading the gossip of network %s", name);
  cleanup_free char *ename = escaped (d, name);
  cleanup_free char *path = xasprintf ("/networks/%s?verbose=true", ename);
  json_t *reply = NULL;
  int r = 0;

  *addrs = NULL;
  *n = 0;
  if (inspect (d, op, path, &reply, found, err) < 0)
    return -1;
  if (*found)
    r = labo_docker_network_peers_json (reply, addrs, n);
  json_decref (reply);
  if (r < 0)
    return labo_error_make (err, 0, "%s: %s: the reply is not a network's inspection", d->host,
                            op);
  return 0;
}
