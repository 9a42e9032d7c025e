/* mbmssec trace: read the daemons' JSON-lines traces (common/trace.h,
 * docs/trace.md), merge them by time, and print the sequence as text or draw
 * it as an SVG sequence diagram in the manner of the figures of TS 33.246:
 * one lifeline per actor (UEs left, BM-SC in the middle, BSF right), one
 * arrow per event. */
#include "cli.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define LINE_MAX_BYTES (64 * 1024)

static const char trace_help[] =
	"usage: mbmssec trace FILE... [--svg OUT.svg [--title TEXT]] [--text]\n"
	"\n"
	"Merge the event traces written by bsfd, bmscd and mbms-ue with --trace FILE\n"
	"(one JSON object per line, docs/trace.md) by time and show what happened:\n"
	"  --svg OUT      draw the sequence diagram as SVG 1.1 (\"-\": standard output):\n"
	"                 lifelines UE | BM-SC | BSF, one arrow per event labelled with\n"
	"                 the message, its status and the key IDs; failures in red\n"
	"  --title TEXT   the diagram's title\n"
	"  --text         print the sequence as text (the default without --svg)\n"
	"FILE may be \"-\" for standard input. Lines that are not a trace event are\n"
	"skipped with a warning on stderr and counted.\n";

struct event {
	int64_t t_ms;  /* ms since the epoch, UTC */
	size_t seq;    /* reading order: keeps equal times stable */
	char *from, *to, *proto, *msg;
	bool has_code;
	long code;
	char *status;  /* status as text, or NULL */
	char *key_domain, *msk_id, *btid, *note;
	bool has_mtk_id;
	long mtk_id;
	size_t from_lane, to_lane;
};

struct trace {
	struct event *ev;
	size_t n, cap;
	size_t malformed;
	char **lanes; /* lifeline names, in drawing order */
	size_t nlanes;
};

static char *dup_str(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d) {
		fputs("mbmssec trace: out of memory\n", stderr);
		exit(1);
	}
	return d;
}

/* "2026-01-01T12:34:56.789Z" (fraction optional, 1..9 digits) -> ms. */
static bool parse_time(const char *s, int64_t *ms)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	int used = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 ||
	    used != 19)
		return false;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return false;
	const char *p = s + 19;
	int frac = 0, digits = 0;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				frac = frac * 10 + (*p - '0');
		if (digits == 0 || digits > 9)
			return false;
		for (int d = digits; d < 3; d++)
			frac *= 10;
	}
	if (strcmp(p, "Z") != 0)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*ms = (int64_t)t * 1000 + frac;
	return true;
}

/* A string member: absent is fine (NULL) unless required; any other
 * type is not. */
static bool get_str(const cJSON *o, const char *name, bool required, const char **out,
		    const char **why)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
	*out = NULL;
	if (!it) {
		if (required)
			*why = name;
		return !required;
	}
	if (!cJSON_IsString(it) || !it->valuestring || (required && !*it->valuestring)) {
		*why = name;
		return false;
	}
	*out = it->valuestring;
	return true;
}

static bool get_int(const cJSON *o, const char *name, long max, bool *has, long *out,
		    const char **why)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
	*has = false;
	if (!it)
		return true;
	double v = it->valuedouble;
	if (!cJSON_IsNumber(it) || v < 0 || v > (double)max || v != (double)(long)v) {
		*why = name;
		return false;
	}
	*has = true;
	*out = (long)v;
	return true;
}

/* One line -> one event; false with *why naming the first bad field. */
static bool parse_event(const char *line, size_t len, struct event *e, const char **why)
{
	const char *end = NULL;
	cJSON *o = cJSON_ParseWithLengthOpts(line, len, &end, false);
	bool ok = false;
	memset(e, 0, sizeof(*e));
	if (!o || !cJSON_IsObject(o)) {
		*why = "not a JSON object";
		goto out;
	}
	for (; end && end < line + len; end++)
		if (*end != ' ' && *end != '\t' && *end != '\r') {
			*why = "text after the JSON object";
			goto out;
		}
	const char *t, *from, *to, *proto, *msg, *kd, *msk, *btid, *note, *status = NULL;
	if (!get_str(o, "t", true, &t, why) || !get_str(o, "from", true, &from, why) ||
	    !get_str(o, "to", true, &to, why) || !get_str(o, "msg", true, &msg, why) ||
	    !get_str(o, "proto", false, &proto, why) ||
	    !get_str(o, "key_domain", false, &kd, why) ||
	    !get_str(o, "msk_id", false, &msk, why) || !get_str(o, "btid", false, &btid, why) ||
	    !get_str(o, "note", false, &note, why) ||
	    !get_int(o, "mtk_id", 65535, &e->has_mtk_id, &e->mtk_id, why))
		goto out;
	if (!parse_time(t, &e->t_ms)) {
		*why = "t (not UTC ISO 8601, e.g. 2026-01-01T12:00:00.000Z)";
		goto out;
	}
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status");
	if (st && cJSON_IsString(st)) {
		status = st->valuestring;
	} else if (st && !get_int(o, "status", 999, &e->has_code, &e->code, why)) {
		goto out;
	}
	e->from = dup_str(from);
	e->to = dup_str(to);
	e->proto = dup_str(proto);
	e->msg = dup_str(msg);
	e->status = status ? dup_str(status) : NULL;
	e->key_domain = kd ? dup_str(kd) : NULL;
	e->msk_id = msk ? dup_str(msk) : NULL;
	e->btid = btid ? dup_str(btid) : NULL;
	e->note = note ? dup_str(note) : NULL;
	ok = true;
out:
	cJSON_Delete(o);
	return ok;
}

static void event_free(struct event *e)
{
	free(e->from);
	free(e->to);
	free(e->proto);
	free(e->msg);
	free(e->status);
	free(e->key_domain);
	free(e->msk_id);
	free(e->btid);
	free(e->note);
}

/* Read one file; 0, or -1 when it cannot be read at all. */
static int read_file(struct trace *tr, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		fprintf(stderr, "mbmssec trace: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned long lineno = 0;
	while ((got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		size_t len = (size_t)got;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		size_t lead = strspn(line, " \t");
		if (lead >= len)
			continue; /* blank line */
		const char *why = NULL;
		struct event e;
		if (len > LINE_MAX_BYTES)
			why = "line too long";
		else if (memchr(line, '\0', len))
			why = "NUL byte in the line";
		if (why || !parse_event(line, len, &e, &why)) {
			fprintf(stderr, "mbmssec trace: %s:%lu: skipped, not a trace event (%s)\n",
				path, lineno, why ? why : "?");
			tr->malformed++;
			continue;
		}
		if (tr->n == tr->cap) {
			size_t nc = tr->cap ? 2 * tr->cap : 64;
			struct event *ne = realloc(tr->ev, nc * sizeof(*ne));
			if (!ne) {
				fputs("mbmssec trace: out of memory\n", stderr);
				exit(1);
			}
			tr->ev = ne;
			tr->cap = nc;
		}
		e.seq = tr->n;
		tr->ev[tr->n++] = e;
	}
	bool err = ferror(f);
	free(line);
	if (f != stdin)
		fclose(f);
	if (err) {
		fprintf(stderr, "mbmssec trace: %s: read error\n", path);
		return -1;
	}
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct event *x = a, *y = b;
	if (x->t_ms != y->t_ms)
		return x->t_ms < y->t_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- lifelines: UEs | BM-SCs | anything else | BSF ---- */
static bool has_role(const char *name, const char *role)
{
	size_t n = strlen(role);
	return strncmp(name, role, n) == 0 && (name[n] == '\0' || name[n] == ' ');
}

static int lane_group(const char *name)
{
	if (has_role(name, "UE"))
		return 0;
	if (has_role(name, "BM-SC") || has_role(name, "NAF"))
		return 1;
	if (has_role(name, "BSF"))
		return 3;
	return 2;
}

static size_t lane_of(const struct trace *tr, const char *name)
{
	for (size_t i = 0; i < tr->nlanes; i++)
		if (strcmp(tr->lanes[i], name) == 0)
			return i;
	return 0;
}

static void make_lanes(struct trace *tr)
{
	/* every name once, in order of first appearance, then stably by group */
	char **names = calloc(2 * tr->n + 1, sizeof(*names));
	size_t n = 0;
	if (!names) {
		fputs("mbmssec trace: out of memory\n", stderr);
		exit(1);
	}
	for (size_t i = 0; i < tr->n; i++) {
		const char *pair[2] = {tr->ev[i].from, tr->ev[i].to};
		for (int k = 0; k < 2; k++) {
			bool seen = false;
			for (size_t j = 0; j < n && !seen; j++)
				seen = strcmp(names[j], pair[k]) == 0;
			if (!seen)
				names[n++] = (char *)pair[k];
		}
	}
	tr->lanes = calloc(n + 1, sizeof(*tr->lanes));
	if (!tr->lanes) {
		fputs("mbmssec trace: out of memory\n", stderr);
		exit(1);
	}
	for (int g = 0; g < 4; g++)
		for (size_t j = 0; j < n; j++)
			if (lane_group(names[j]) == g)
				tr->lanes[tr->nlanes++] = names[j];
	free(names);
	for (size_t i = 0; i < tr->n; i++) {
		tr->ev[i].from_lane = lane_of(tr, tr->ev[i].from);
		tr->ev[i].to_lane = lane_of(tr, tr->ev[i].to);
	}
}

/* ---- what an event looks like ---- */
/* Red: an HTTP status of 400 or more, except 401, which in Digest (Ub, the
 * BM-SC's HTTP) is a challenge, a step of the procedure; or a status text
 * saying the message was dropped, rejected, lost, timed out or failed. */
static bool is_failure(const struct event *e)
{
	if (e->has_code)
		return e->code >= 400 && e->code != 401;
	if (!e->status)
		return false;
	static const char *const bad[] = {"dropped", "rejected", "error", "fail", "timeout",
					  "gave up", "lost"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strncasecmp(e->status, bad[i], strlen(bad[i])) == 0)
			return true;
	return false;
}

enum proto_kind { P_HTTP, P_MIKEY, P_GBA, P_OTHER };

static enum proto_kind proto_kind(const char *p)
{
	if (strcasecmp(p, "Ub") == 0 || strcasecmp(p, "Zn") == 0)
		return P_GBA;
	bool mikey = false;
	for (const char *q = p; *q && !mikey; q++)
		mikey = strncasecmp(q, "MIKEY", 5) == 0;
	if (mikey || strncasecmp(p, "UDP", 3) == 0)
		return P_MIKEY;
	if (strncasecmp(p, "HTTP", 4) == 0)
		return P_HTTP;
	return P_OTHER;
}

static const char *const proto_colour[] = {"#1f5fa8", "#2a8a3e", "#b06d00", "#555555"};
static const char *const proto_legend[] = {"HTTP", "UDP/MIKEY", "Ub / Zn (GBA)", "other"};
#define FAIL_COLOUR "#d62728"

/* "msg [status]"; no "[401]" after a msg that starts with "401". */
static void label_of(const struct event *e, char *out, size_t cap)
{
	char st[64] = "";
	if (e->has_code) {
		char num[16];
		int n = snprintf(num, sizeof(num), "%ld", e->code);
		if (strncmp(e->msg, num, (size_t)n) != 0 || (e->msg[n] != ' ' && e->msg[n]))
			snprintf(st, sizeof(st), " [%s]", num);
	} else if (e->status) {
		snprintf(st, sizeof(st), " [%.60s]", e->status);
	}
	snprintf(out, cap, "%s%s", e->msg, st);
}

/* The smaller second line: key IDs, B-TID, note. */
static void ids_of(const struct event *e, char *out, size_t cap)
{
	size_t len = 0;
	out[0] = '\0';
#define ADD(...)                                                                          \
	do {                                                                              \
		if (len < cap) {                                                          \
			int w_ = snprintf(out + len, cap - len, __VA_ARGS__);             \
			len += w_ > 0 ? (size_t)w_ : 0;                                   \
		}                                                                         \
	} while (0)
	if (e->key_domain)
		ADD("%sKD %s", len ? " \xc2\xb7 " : "", e->key_domain);
	if (e->msk_id)
		ADD("%sMSK %s", len ? " \xc2\xb7 " : "", e->msk_id);
	if (e->has_mtk_id)
		ADD("%sMTK %ld", len ? " \xc2\xb7 " : "", e->mtk_id);
	if (e->btid)
		ADD("%sB-TID %s", len ? " \xc2\xb7 " : "", e->btid);
	if (e->note)
		ADD("%s%s", len ? " \xe2\x80\x94 " : "", e->note);
#undef ADD
}

/* ---- text ---- */
static void print_text(const struct trace *tr)
{
	int64_t t0 = tr->n ? tr->ev[0].t_ms : 0;
	for (size_t i = 0; i < tr->n; i++) {
		const struct event *e = &tr->ev[i];
		char label[1024], ids[2048];
		label_of(e, label, sizeof(label));
		ids_of(e, ids, sizeof(ids));
		printf("%c %+8" PRId64 " ms  %s -> %s  (%s)  %s%s%s\n", is_failure(e) ? '!' : ' ',
		       e->t_ms - t0, e->from, e->from_lane == e->to_lane ? "(self)" : e->to,
		       *e->proto ? e->proto : "?", label, *ids ? "  | " : "", ids);
	}
}

/* ---- SVG ---- */

/* Length of the valid UTF-8 sequence at s, 0 if invalid. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned c = s[0], cp, min;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, min = 0x80, cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, min = 0x800, cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, min = 0x10000, cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
	    cp == 0xffff)
		return 0;
	return len;
}

/* Text for XML character data and attribute values: & < > " ' as entities,
 * control characters as '?', invalid UTF-8 as U+FFFD; at most max_chars
 * characters, the last one "…" when cut (max_chars 0: no limit). */
static void xml_text(FILE *f, const char *s, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t total = 0;
	for (const unsigned char *q = p; *q;) {
		size_t k = utf8_seq(q);
		q += k ? k : 1;
		total++;
	}
	size_t keep = max_chars && total > max_chars ? (max_chars > 1 ? max_chars - 1 : 0) : total;
	for (size_t chars = 0; *p && chars < keep; chars++) {
		size_t k = utf8_seq(p);
		if (!k) {
			fputs("\xef\xbf\xbd", f);
			p++;
			continue;
		}
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fputc('?', f);
			else
				fwrite(p, 1, k, f);
		}
		p += k;
	}
	if (keep < total)
		fputs("\xe2\x80\xa6", f);
}

#define LEFT 96         /* the time column */
#define LANE 240        /* lifeline spacing */
#define BOX_W 204
#define TOP_BOX 60
#define BOX_H 42
#define ROW0 (TOP_BOX + BOX_H + 16)
#define ROW_H 44
#define LEGEND_ITEM 150
#define FONT "font-family:DejaVu Sans,Arial,Helvetica,sans-serif"
#define CHAR_W_12 7.4   /* generous average advance at 12 px, for cutting labels */
#define CHAR_W_10 6.2

static int lane_x(size_t lane) { return LEFT + LANE / 2 + (int)lane * LANE; }

/* How many characters fit when centred at cx (or starting at cx when
 * start) inside the picture, at char_w per character. */
static size_t fit_chars(int cx, bool start, int width, double char_w)
{
	int room = start ? width - 8 - cx : 2 * (cx < width - cx ? cx - 8 : width - cx - 8);
	if (room < 40)
		room = 40;
	return (size_t)(room / char_w);
}

static void svg_event(FILE *f, const struct trace *tr, size_t i, int width)
{
	const struct event *e = &tr->ev[i];
	int top = ROW0 + (int)i * ROW_H, y = top + 22;
	bool fail = is_failure(e);
	const char *colour = fail ? FAIL_COLOUR : proto_colour[proto_kind(e->proto)];
	int x1 = lane_x(e->from_lane), x2 = lane_x(e->to_lane);
	char label[1024], ids[2048];
	label_of(e, label, sizeof(label));
	ids_of(e, ids, sizeof(ids));

	fprintf(f, "<g class=\"msg\" id=\"ev%zu\">\n<title>", i + 1);
	xml_text(f, e->from, 0);
	fputs(" \xe2\x86\x92 ", f);
	xml_text(f, e->to, 0);
	fputs(" (", f);
	xml_text(f, *e->proto ? e->proto : "?", 0);
	fputs("): ", f);
	xml_text(f, label, 0);
	if (*ids) {
		fputs(" | ", f);
		xml_text(f, ids, 0);
	}
	fputs("</title>\n", f);
	const char *stroke_w = fail ? "2" : "1.4";
	int tx, ty_label = top + 16, ty_ids = top + 36;
	bool start;
	if (x1 == x2) { /* a self-message: a loop to the right */
		fprintf(f,
			"<path class=\"arrow\" d=\"M %d %d h 28 v 16 h -20\" "
			"style=\"fill:none;stroke:%s;stroke-width:%s\"/>\n",
			x1, y - 8, colour, stroke_w);
		fprintf(f, "<polygon points=\"%d,%d %d,%d %d,%d\" style=\"fill:%s\"/>\n", x1, y + 8,
			x1 + 9, y + 4, x1 + 9, y + 12, colour);
		tx = x1 + 34;
		ty_label = y + 1;
		ty_ids = y + 15;
		start = true;
	} else {
		int d = x2 > x1 ? 1 : -1;
		fprintf(f,
			"<line class=\"arrow\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"style=\"stroke:%s;stroke-width:%s\"/>\n",
			x1, y, x2 - d * 8, y, colour, stroke_w);
		fprintf(f, "<polygon points=\"%d,%d %d,%d %d,%d\" style=\"fill:%s\"/>\n", x2, y,
			x2 - d * 10, y - 4, x2 - d * 10, y + 4, colour);
		tx = (x1 + x2) / 2;
		start = false;
	}
	const char *anchor = start ? "start" : "middle";
	fprintf(f, "<text x=\"%d\" y=\"%d\" style=\"%s;font-size:12px;text-anchor:%s;fill:%s\">",
		tx, ty_label, FONT, anchor, fail ? FAIL_COLOUR : "#111111");
	xml_text(f, label, fit_chars(tx, start, width, CHAR_W_12));
	fputs("</text>\n", f);
	if (*ids) {
		fprintf(f,
			"<text x=\"%d\" y=\"%d\" style=\"%s;font-size:10px;text-anchor:%s;"
			"fill:#444444\">",
			tx, ty_ids, FONT, anchor);
		xml_text(f, ids, fit_chars(tx, start, width, CHAR_W_10));
		fputs("</text>\n", f);
	}
	fputs("</g>\n", f);
}

static int write_svg(const struct trace *tr, const char *path, const char *title,
		     size_t nfiles)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!f) {
		fprintf(stderr, "mbmssec trace: %s: %s\n", path, strerror(errno));
		return 1;
	}
	size_t lanes = tr->nlanes ? tr->nlanes : 1;
	int width = LEFT + (int)lanes * LANE + 24;
	if (width < 2 * LEGEND_ITEM + 40)
		width = 2 * LEGEND_ITEM + 40;
	int rows_end = ROW0 + (int)tr->n * ROW_H;
	int per_row = (width - 40) / LEGEND_ITEM;
	int legend_rows = (5 + per_row - 1) / per_row;
	int legend_y = rows_end + 34;
	int height = legend_y + legend_rows * 20 + 12;

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\">\n",
		width, height, width, height);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" style=\"fill:#ffffff\"/>\n",
		width, height);
	fprintf(f,
		"<text x=\"16\" y=\"26\" style=\"%s;font-size:16px;font-weight:bold;"
		"fill:#111111\">",
		FONT);
	xml_text(f, title ? title : "MBMS security: message sequence", 120);
	fputs("</text>\n", f);
	char when[40] = "-";
	if (tr->n) {
		time_t s = (time_t)(tr->ev[0].t_ms / 1000);
		struct tm tm;
		if (gmtime_r(&s, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	}
	fprintf(f,
		"<text x=\"16\" y=\"44\" style=\"%s;font-size:11px;fill:#555555\">%zu events from "
		"%zu trace file(s), starting %s",
		FONT, tr->n, nfiles, when);
	if (tr->malformed)
		fprintf(f, "; %zu malformed line(s) skipped", tr->malformed);
	fputs("</text>\n", f);

	/* row shading and the time column */
	fprintf(f, "<text x=\"%d\" y=\"%d\" style=\"%s;font-size:10px;text-anchor:end;"
		   "fill:#555555\">time</text>\n",
		LEFT - 12, ROW0 - 4, FONT);
	int64_t t0 = tr->n ? tr->ev[0].t_ms : 0;
	for (size_t i = 0; i < tr->n; i++) {
		int top = ROW0 + (int)i * ROW_H;
		if (i % 2)
			fprintf(f,
				"<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" "
				"style=\"fill:#f2f4f7\"/>\n",
				top, width, ROW_H);
		fprintf(f,
			"<text x=\"%d\" y=\"%d\" style=\"%s;font-size:11px;text-anchor:end;"
			"fill:#333333\">+%" PRId64 " ms</text>\n",
			LEFT - 12, top + 26, FONT, tr->ev[i].t_ms - t0);
	}

	/* lifelines: a box with the role and the instance, a dashed line down */
	for (size_t l = 0; l < tr->nlanes; l++) {
		int x = lane_x(l);
		const char *name = tr->lanes[l];
		const char *sp = strchr(name, ' ');
		size_t role_len = sp ? (size_t)(sp - name) : strlen(name);
		char role[64];
		snprintf(role, sizeof(role), "%.*s", (int)(role_len < 63 ? role_len : 63), name);
		fprintf(f, "<g class=\"lifeline\">\n<title>");
		xml_text(f, name, 0);
		fprintf(f, "</title>\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			   "style=\"stroke:#888888;stroke-width:1;stroke-dasharray:5,4\"/>\n",
			x, TOP_BOX + BOX_H, x, rows_end + 8);
		fprintf(f,
			"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"4\" "
			"style=\"fill:#eef2f8;stroke:#333333;stroke-width:1.2\"/>\n",
			x - BOX_W / 2, TOP_BOX, BOX_W, BOX_H);
		fprintf(f,
			"<text x=\"%d\" y=\"%d\" style=\"%s;font-size:13px;font-weight:bold;"
			"text-anchor:middle;fill:#111111\">",
			x, sp ? TOP_BOX + 18 : TOP_BOX + 26, FONT);
		xml_text(f, role, 30);
		fputs("</text>\n", f);
		if (sp) {
			fprintf(f,
				"<text x=\"%d\" y=\"%d\" style=\"%s;font-size:10px;"
				"text-anchor:middle;fill:#333333\">",
				x, TOP_BOX + 34, FONT);
			xml_text(f, sp + 1, (size_t)((BOX_W - 8) / CHAR_W_10));
			fputs("</text>\n", f);
		}
		fputs("</g>\n", f);
	}
	if (!tr->n)
		fprintf(f,
			"<text x=\"%d\" y=\"%d\" style=\"%s;font-size:12px;fill:#555555\">"
			"(no events)</text>\n",
			LEFT, ROW0 + 16, FONT);
	for (size_t i = 0; i < tr->n; i++)
		svg_event(f, tr, i, width);

	/* legend */
	for (int k = 0; k < 5; k++) {
		int x = 16 + (k % per_row) * LEGEND_ITEM, y = legend_y + (k / per_row) * 20;
		const char *colour = k < 4 ? proto_colour[k] : FAIL_COLOUR;
		const char *text = k < 4 ? proto_legend[k] : "failure, drop, rejection";
		fprintf(f,
			"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" style=\"stroke:%s;"
			"stroke-width:%s\"/>\n",
			x, y - 4, x + 24, y - 4, colour, k < 4 ? "1.4" : "2");
		fprintf(f,
			"<text x=\"%d\" y=\"%d\" style=\"%s;font-size:11px;fill:#333333\">%s"
			"</text>\n",
			x + 30, y, FONT, text);
	}
	fputs("</svg>\n", f);
	bool bad = ferror(f) != 0;
	if (f != stdout)
		bad |= fclose(f) != 0;
	else
		bad |= fflush(f) != 0;
	if (bad) {
		fprintf(stderr, "mbmssec trace: %s: write error\n", path);
		return 1;
	}
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	struct cli_opt opts[] = {{"svg", true, NULL}, {"title", true, NULL}, {"text", false, NULL}};
	const size_t nopts = sizeof(opts) / sizeof(opts[0]);
	const char **files = calloc((size_t)argc + 1, sizeof(*files));
	size_t nfiles = 0;
	bool help = false;
	if (!files)
		return 1;
	if (cli_parse("trace", argc, argv, opts, nopts, files, (size_t)argc, &nfiles, &help)) {
		free(files);
		return CLI_EXIT_USAGE;
	}
	if (help) {
		fputs(trace_help, stdout);
		free(files);
		return 0;
	}
	const char *svg = cli_get(opts, nopts, "svg"), *title = cli_get(opts, nopts, "title");
	bool text = cli_get(opts, nopts, "text") != NULL || !svg;
	int ret = 0;
	if (!nfiles)
		ret = cli_usage_error("trace", "no trace FILE given (see --help)");
	else if (svg && !*svg)
		ret = cli_usage_error("trace", "--svg needs a file name");
	else if (title && !svg)
		ret = cli_usage_error("trace", "--title goes with --svg");
	else if (svg && text && strcmp(svg, "-") == 0)
		ret = cli_usage_error("trace", "--svg - and --text would share standard output");
	if (ret) {
		free(files);
		return ret;
	}

	struct trace tr;
	memset(&tr, 0, sizeof(tr));
	for (size_t i = 0; i < nfiles && ret == 0; i++)
		if (read_file(&tr, files[i]))
			ret = 1;
	if (ret == 0) {
		if (tr.n)
			qsort(tr.ev, tr.n, sizeof(*tr.ev), by_time);
		make_lanes(&tr);
		if (tr.malformed)
			fprintf(stderr, "mbmssec trace: %zu malformed line(s) skipped\n",
				tr.malformed);
		if (!tr.n)
			fprintf(stderr, "mbmssec trace: no events\n");
		if (text)
			print_text(&tr);
		if (svg) {
			ret = write_svg(&tr, svg, title, nfiles);
			if (ret == 0 && strcmp(svg, "-") != 0)
				fprintf(stderr, "mbmssec trace: %s: %zu events, %zu lifelines\n",
					svg, tr.n, tr.nlanes);
		}
	}
	for (size_t i = 0; i < tr.n; i++)
		event_free(&tr.ev[i]);
	free(tr.ev);
	free(tr.lanes);
	free(files);
	return ret;
}
