/* The ZooKeeper kind: four-letter words (ruok: alive? srvr: its mode;
 * mntr, of a leader: its synced followers), the image labo/zookeeper and
 * its container spec (zk/node.c). See include/labo/kind/kind.h. */
#include "kind-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labo/util/util.h"
#include "labo/zk/zk.h"
#include "labo/zk/zkproc.h"

static uint16_t
zk_port (const struct labo_node *node)
{
  return (uint16_t) (node->client_port > 0 ? node->client_port : 2181);
}

static const char *
zk_ask (const struct labo_node *node, size_t k, enum labo_mode was, char *buf, size_t size)
{
  static const char *const words[] = { "ruok", "srvr", "mntr" };
  (void) node;
  /* mntr only tells a leader's synced followers: asked of the node the
   * last round found leading */
  if (k >= 3 || (k == 2 && was != LABO_MODE_LEADER))
    return NULL;
  snprintf (buf, size, "%s", words[k]);
  return buf;
}

static void
zk_judge (const struct labo_node *node, const char *const reply[LABO_KIND_MAX_ASKS],
          const char *const error[LABO_KIND_MAX_ASKS], struct labo_probe_result *out)
{
  const char *ruok = reply[0];
  struct labo_zk_srvr st;

  (void) node;
  if (ruok && strstr (ruok, "not in the whitelist") != NULL)
    {
      /* It answers, so it lives; but its zoo.cfg (an attendee's, typed by
       * hand) allows none of the four-letter words labo asks. */
      out->alive = true;
      out->unprobeable = true;
      out->mode = LABO_MODE_NOT_SERVING;
      return;
    }
  if (ruok == NULL || strncmp (ruok, "imok", 4) != 0)
    {
      if (ruok)
        snprintf (out->why, sizeof (out->why), "ruok answered \"%.32s\"", ruok);
      else
        snprintf (out->why, sizeof (out->why), "%s", error[0] ? error[0] : "no answer");
      return;
    }
  out->alive = true;
  /* alive, its mode not told (srvr failed): it serves nothing labo saw */
  out->mode = LABO_MODE_NOT_SERVING;
  if (reply[1] && labo_zk_parse_srvr (reply[1], &st) == 0)
    {
      out->mode = st.mode;
      out->zxid = st.zxid;
      out->node_count = st.node_count;
      out->outstanding = st.outstanding;
      snprintf (out->version, sizeof (out->version), "%s", st.version);
    }
  if (reply[2])
    {
      cleanup_free char *sf = labo_zk_mntr_get (reply[2], "zk_synced_followers");
      out->synced = sf ? atol (sf) : -1;
    }
}

/* The zookeeper user's numbers in an exported node: the entrypoint adds
 * the user with them, and the node's volume (root's when Docker makes it)
 * is given to it. A real server has no user of labo's to borrow numbers
 * from; these are the client port's, outside Debian's system and user
 * ranges' usual first numbers. */
#define STACK_ZK_ID 2181

static void
zk_stack_service (const struct labo_lab *lab, const struct labo_node *node, json_t *svc,
                  json_t *notes)
{
  char **env = labo_zk_env (lab, node);
  char *extra[] = { xasprintf ("LABO_ZK_UID=%d", STACK_ZK_ID),
                    xasprintf ("LABO_ZK_GID=%d", STACK_ZK_ID), NULL };
  char *probe = xasprintf ("echo ruok | nc -w 2 127.0.0.1 %d | grep -q imok", zk_port (node));

  labo_stack_env (svc, env);
  labo_stack_env (svc, extra);
  labo_zk_env_free (env);
  free (extra[0]);
  free (extra[1]);
  /* the node's data outlives its task, as its data directory outlives its
   * container in the lab: a volume on the host it is placed on */
  json_object_set_new (svc, "volumes",
                       json_pack ("[o]", json_sprintf ("%s-data:" LABO_NODE_DATA_DIR,
                                                       node->name)));
  /* alive as the supervisor's probe says it (ruok answered imok), with
   * busybox's nc, which the image has; not "serving": a node waiting for
   * its quorum is not to be killed for it */
  json_object_set_new (svc, "healthcheck", json_pack ("{s:[s,s]}", "test", "CMD-SHELL", probe));
  free (probe);
  if (labo_node_by_hand (lab, node))
    json_array_append_new (notes, json_sprintf ("node %s: started by hand in the lab (the "
                                                "tutorial's section 4); the stack starts it "
                                                "configured, at once",
                                                node->name));
}

const struct labo_kind labo_kind_zookeeper = {
  .service = LABO_SERVICE_ZOOKEEPER,
  .name = "zookeeper",
  .recipe = "zookeeper",
  .elects = true,
  .sshd = true,
  .port = zk_port,
  .ask = zk_ask,
  .judge = zk_judge,
  .container_spec = labo_node_container_spec,
  .process_start = labo_zkproc_start,
  .stack_service = zk_stack_service,
};
