/* bmscd ctl: the admin listener's client, shared by ctl.c and stream_ctl.c. */
#ifndef BMSCD_CTL_H
#define BMSCD_CTL_H

#include <stdbool.h>
#include <stddef.h>

#define BMSCD_CTL_EXIT_USAGE 2

/* One request to the admin listener (GET, or POST with an empty body): the
 * answer's body on stdout for a 200, otherwise "HTTP <status>: body" on
 * stderr. 0 for a 200, 1 otherwise. */
int bmscd_ctl_call(const char *url, bool post);

/* Append "?name=value" or "&name=value" (value URL-escaped) to url; nothing
 * when value is NULL. -1 when it does not fit or out of memory. */
int bmscd_ctl_add_query(char *url, size_t cap, const char *name, const char *value);

#endif
