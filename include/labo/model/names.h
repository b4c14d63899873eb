/* The rules for names that become paths and kernel names: a lab's name is
 * a directory (/run/labo/<lab>, /var/lib/labo/<lab>) and part of its
 * namespaces' names (labo.<lab>.<host>), so it is checked, with the lab
 * file's own rule, wherever it comes from: the lab file, the command line,
 * the environment, or a state file read back. Pure. */
#ifndef LABO_NAMES_H
#define LABO_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "labo/util/error.h"

/* Lowercase letters, digits and '-', starting with a letter or digit,
 * without "--", not ending with '-'; and at most LABO_NAME_MAX bytes. The
 * lab file's reader reports the two apart. */
bool labo_lab_name_chars_ok (const char *s);
bool labo_lab_name_valid (const char *s);
/* The same, as an error for a name given on the command line, in the
 * environment or found in a state file: "invalid lab name '...': ..."
 * (the name shown escaped and cut, whatever bytes it holds). */
int labo_lab_name_check (const char *s, labo_error_t *err);

/* One DNS label: letters, digits and '-', not at either end, at most
 * LABO_HOSTNAME_MAX bytes. */
bool labo_hostname_valid (const char *s);
/* An interface name labo makes: letters, digits, '_', '.', '-', starting
 * with a letter or digit, at most IFNAMSIZ-1 bytes. */
bool labo_ifname_valid (const char *s);
/* The name of one of lab's network namespaces: "labo.<lab>" (its switch)
 * or "labo.<lab>.<host>". */
bool labo_lab_netns_valid (const char *lab, const char *netns);

/* A name as it can be shown in a message: bytes outside printable ASCII
 * escaped (\n, \xNN), and cut at `max` bytes with "...". Caller frees. */
char *labo_name_display (const char *s, size_t max);

#endif
