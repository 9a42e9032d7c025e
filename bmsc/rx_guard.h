/* bmscd: the guard in front of the MIKEY socket (docs/security.md): a
 * per-source allowance of refused datagrams (common/ratelimit.h), so a
 * flood of hostile or replayed verification messages costs a bounded
 * amount of CPU and log and creates no state. Counters for `status`. */
#ifndef BMSCD_RX_GUARD_H
#define BMSCD_RX_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Event loop only: before / after mbms_bmsc_udp_input. */
bool bmscd_rx_admit(const struct sockaddr_storage *ss, socklen_t sl, uint64_t now_ms);
void bmscd_rx_done(const struct sockaddr_storage *ss, socklen_t sl, int rc, uint64_t now_ms);

/* Any thread: the counters as a JSON member `"udp_guard":{...}` appended
 * to the object in buf (which ends with '}' at buf[len-1]); returns the new
 * length, or len unchanged when cap is too small. */
size_t bmscd_rx_status_append(char *buf, size_t len, size_t cap);

#endif
