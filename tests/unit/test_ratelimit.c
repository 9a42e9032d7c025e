/* The UDP flood guard's building blocks (common/ratelimit.c,
 * docs/security.md): the per-source allowance of bad input -- tokens taken
 * on admission, given back for accepted datagrams, refilled over time --
 * and the log budget. Table-driven; the table has rows that must be
 * refused, so the harness is seen to fail. */
#include "testutil.h"

#include "ratelimit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static struct sockaddr_in addr(const char *ip, uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

#define SA(a) ((const struct sockaddr *)&(a)), sizeof(a)

/* One source, burst 4, 2 per second: a script of steps. */
struct step {
	uint64_t t_ms;
	char what; /* 'b' bad datagram, 'g' good datagram */
	bool admitted;
};

static void test_allowance_table(void **state)
{
	(void)state;
	static const struct step script[] = {
		{0, 'b', true},    {0, 'b', true},    {0, 'g', true}, /* valid: token back */
		{0, 'b', true},    {0, 'b', true},                    /* burst of 4 used up */
		{0, 'b', false},   {0, 'g', false},                   /* even valid ones wait */
		{499, 'b', false},                                    /* 0.998 tokens: not yet */
		{500, 'b', true},                                     /* 2/s refilled one */
		{500, 'b', false}, {1500, 'b', true}, {1500, 'b', true},
		{1500, 'b', false}, {60000, 'g', true}, {60000, 'b', true}, /* refilled to 4 */
	};
	struct mbmsd_ratelimit rl;
	assert_int_equal(mbmsd_rl_init(&rl, 16, 4, 2), 0);
	struct sockaddr_in a = addr("127.0.0.1", 40000);
	uint64_t limited = 0;
	for (size_t i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		bool ok = mbmsd_rl_allow(&rl, SA(a), script[i].t_ms);
		if (ok != script[i].admitted)
			fail_msg("step %zu (t=%llu %c): admitted %d, want %d", i,
				 (unsigned long long)script[i].t_ms, script[i].what, ok,
				 script[i].admitted);
		if (!ok) {
			limited++;
			continue;
		}
		if (script[i].what == 'g')
			mbmsd_rl_good(&rl, SA(a), script[i].t_ms);
		else
			mbmsd_rl_bad(&rl, SA(a), script[i].t_ms);
	}
	assert_int_equal(rl.limited, limited);
	assert_int_equal(rl.received, sizeof(script) / sizeof(script[0]));
	mbmsd_rl_free(&rl);
}

/* A batch admitted before any verdict (recvmmsg): the allowance holds. */
static void test_batch_before_verdicts(void **state)
{
	(void)state;
	struct mbmsd_ratelimit rl;
	assert_int_equal(mbmsd_rl_init(&rl, 0, MBMSD_RL_BURST, MBMSD_RL_RATE), 0);
	struct sockaddr_in a = addr("127.0.0.1", 40001);
	unsigned admitted = 0;
	for (int i = 0; i < 1024; i++)
		admitted += mbmsd_rl_allow(&rl, SA(a), 1000);
	assert_int_equal(admitted, MBMSD_RL_BURST);
	for (unsigned i = 0; i < admitted; i++)
		mbmsd_rl_bad(&rl, SA(a), 1000);
	assert_false(mbmsd_rl_allow(&rl, SA(a), 1000));
	mbmsd_rl_free(&rl);
}

/* Many valid datagrams of one source never use the allowance up; another
 * source (or another port of the same address) is not affected by a
 * flooder; IPv6 works; garbage addresses share one slot, no crash. */
static void test_sources(void **state)
{
	(void)state;
	struct mbmsd_ratelimit rl;
	assert_int_equal(mbmsd_rl_init(&rl, 0, 8, 1), 0);
	struct sockaddr_in ue = addr("127.0.0.1", 40002), flooder = addr("127.0.0.1", 40003);
	for (int i = 0; i < 10000; i++) {
		assert_true(mbmsd_rl_allow(&rl, SA(ue), 5000));
		mbmsd_rl_good(&rl, SA(ue), 5000);
	}
	unsigned through = 0;
	for (int i = 0; i < 10000; i++)
		if (mbmsd_rl_allow(&rl, SA(flooder), 5000)) {
			through++;
			mbmsd_rl_bad(&rl, SA(flooder), 5000);
		}
	assert_int_equal(through, 8);
	assert_true(mbmsd_rl_allow(&rl, SA(ue), 5000));
	struct sockaddr_in6 a6;
	memset(&a6, 0, sizeof(a6));
	a6.sin6_family = AF_INET6;
	a6.sin6_port = htons(9);
	inet_pton(AF_INET6, "::1", &a6.sin6_addr);
	assert_true(mbmsd_rl_allow(&rl, SA(a6), 5000));
	struct sockaddr junk = {.sa_family = 99};
	assert_true(mbmsd_rl_allow(&rl, &junk, 2, 5000));
	assert_true(mbmsd_rl_allow(&rl, NULL, 0, 5000));
	mbmsd_rl_free(&rl);
}

/* The clock stepping back refills nothing and breaks nothing. */
static void test_clock_step_back(void **state)
{
	(void)state;
	struct mbmsd_ratelimit rl;
	assert_int_equal(mbmsd_rl_init(&rl, 4, 1, 1), 0);
	struct sockaddr_in a = addr("10.0.0.1", 1);
	assert_true(mbmsd_rl_allow(&rl, SA(a), 100000));
	mbmsd_rl_bad(&rl, SA(a), 100000);
	assert_false(mbmsd_rl_allow(&rl, SA(a), 50000));
	assert_false(mbmsd_rl_allow(&rl, SA(a), 100500));
	assert_true(mbmsd_rl_allow(&rl, SA(a), 101000));
	mbmsd_rl_free(&rl);
}

static void test_log_budget(void **state)
{
	(void)state;
	struct mbmsd_log_budget b;
	uint64_t flushed;
	mbmsd_log_budget_init(&b, 10000, 3);
	int logged = 0;
	for (int i = 0; i < 100; i++)
		logged += mbmsd_log_budget_take(&b, 1000 + (uint64_t)i, &flushed);
	assert_int_equal(logged, 3);
	assert_int_equal(b.suppressed, 97);
	assert_true(mbmsd_log_budget_take(&b, 11000, &flushed)); /* a new window */
	assert_int_equal(flushed, 97);
	assert_int_equal(b.suppressed_total, 97);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowance_table),
		cmocka_unit_test(test_batch_before_verdicts),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_clock_step_back),
		cmocka_unit_test(test_log_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
