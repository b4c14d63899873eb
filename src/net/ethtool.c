/* Offload features through SIOCETHTOOL: see include/labo/net/ethtool.h. */
#include "labo/net/ethtool.h"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "labo/net/netns.h"
#include "labo/util/util.h"

static int
ethtool (int fd, const char *ifname, void *data)
{
  struct ifreq ifr;
  memset (&ifr, 0, sizeof (ifr));
  snprintf (ifr.ifr_name, sizeof (ifr.ifr_name), "%s", ifname);
  ifr.ifr_data = data;
  return ioctl (fd, SIOCETHTOOL, &ifr);
}

int
labo_ethtool_features_set (int netns_fd, const char *ns_name, const char *ifname,
                           const char *const *names, size_t n, bool on, labo_error_t *err)
{
  cleanup_close int fd = labo_netns_socket (netns_fd, ns_name, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC,
                                            0, err);
  struct
  {
    struct ethtool_sset_info hdr;
    uint32_t count;
  } info = { { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_FEATURES }, 0 };
  cleanup_free struct ethtool_gstrings *strings = NULL;
  cleanup_free struct ethtool_sfeatures *set = NULL;
  uint32_t count, blocks;
  bool any = false;

  if (fd < 0)
    return -1;
  if (ethtool (fd, ifname, &info) < 0)
    return labo_error_errno (err, "reading the feature names of %s in %s", ifname, ns_name);
  count = info.count;
  strings = xcalloc (1, sizeof (*strings) + (size_t) count * ETH_GSTRING_LEN);
  strings->cmd = ETHTOOL_GSTRINGS;
  strings->string_set = ETH_SS_FEATURES;
  strings->len = count;
  if (ethtool (fd, ifname, strings) < 0)
    return labo_error_errno (err, "reading the feature names of %s in %s", ifname, ns_name);
  blocks = (count + 31) / 32;
  set = xcalloc (1, sizeof (*set) + blocks * sizeof (set->features[0]));
  set->cmd = ETHTOOL_SFEATURES;
  set->size = blocks;
  for (uint32_t i = 0; i < count; i++)
    {
      const char *s = (const char *) strings->data + (size_t) i * ETH_GSTRING_LEN;
      for (size_t k = 0; k < n; k++)
        if (strncmp (s, names[k], ETH_GSTRING_LEN) == 0)
          {
            set->features[i / 32].valid |= 1u << (i % 32);
            if (on)
              set->features[i / 32].requested |= 1u << (i % 32);
            any = true;
          }
    }
  /* a positive answer says some were not changed as asked: those the
   * device has fixed, which is not ours to force */
  if (any && ethtool (fd, ifname, set) < 0)
    return labo_error_errno (err, "turning offloads of %s in %s %s", ifname, ns_name,
                             on ? "on" : "off");
  return 0;
}
