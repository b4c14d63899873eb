/* Offload features of an interface, by the names `ethtool -k` shows
 * ("tx-udp_tnl-segmentation"), through the SIOCETHTOOL ioctl: the
 * feature names' bit positions come from the kernel (ETH_SS_FEATURES), so
 * nothing here depends on one kernel's numbering. */
#ifndef LABO_ETHTOOL_H
#define LABO_ETHTOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "labo/util/error.h"

/* Asks for the named features of ifname, in the network namespace of
 * netns_fd (-1: the current one), on or off. Names the kernel does not
 * know are skipped; so are features the device cannot change (the kernel
 * keeps them as they are). Returns 0, or -1. */
int labo_ethtool_features_set (int netns_fd, const char *ns_name, const char *ifname,
                               const char *const *names, size_t n, bool on, labo_error_t *err);

#endif
