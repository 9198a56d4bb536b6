/* The DBUS host op's client side of the D-Bus wire protocol (the D-Bus
 * specification, "Message Protocol" and "Authentication Protocol"): EXTERNAL
 * auth on a unix socket, then recorded method calls, each waited for.
 *
 * What the bus sends is read with every length checked against what was
 * received: a message is framed by its fixed header, capped at
 * RR_DBUS_MAX_MESSAGE, and its header fields are walked by their
 * signatures (either byte order), so an unknown field is passed over, not
 * misread. Only REPLY_SERIAL, ERROR_NAME and SIGNATURE are looked at. */
#define _GNU_SOURCE
#include "dbus.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define HEADER 16 /* endianness, type, flags, version, body length, serial, header fields' length */
#define MSG_METHOD_CALL 1
#define MSG_METHOD_RETURN 2
#define MSG_ERROR 3
#define FLAG_NO_REPLY_EXPECTED 1
#define FIELD_ERROR_NAME 4
#define FIELD_REPLY_SERIAL 5
#define FIELD_SIGNATURE 8
#define MAX_DEPTH 64    /* the spec allows 32 arrays and 32 structs deep */
#define LINE_MAX_LEN 512 /* an auth reply is "OK <32 hex digits>\r\n" */
#define TEXT_MAX 200    /* of the bus's error text in our one line */

static uint32_t load32(const uint8_t *p, bool big)
{
	return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		   : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* The length of the message whose HEADER bytes are at p, or 0 if they are
 * not a header of one we would take. */
static size_t frame_len(const uint8_t *p)
{
	bool big = p[0] == 'B';
	uint64_t fields, body, total;

	if ((p[0] != 'l' && p[0] != 'B') || p[3] != 1)
		return 0;
	body = load32(p + 4, big);
	fields = load32(p + 12, big);
	/* The body starts 8-aligned after the header fields' array. */
	total = HEADER + ((fields + 7) & ~(uint64_t)7) + body;
	return total > RR_DBUS_MAX_MESSAGE ? 0 : (size_t)total;
}

int rr_dbus_check_calls(const uint8_t *msgs, size_t len, const char **bad)
{
	size_t off = 0;

	if (len == 0) {
		*bad = "no D-Bus message";
		return -1;
	}
	while (off < len) {
		const uint8_t *p = msgs + off;
		size_t n;

		if (len - off < HEADER || !(n = frame_len(p)) || n > len - off) {
			*bad = "a D-Bus message that is not a whole one";
			return -1;
		}
		/* Each is waited for: one without a reply would wait out the timeout. */
		if (p[1] != MSG_METHOD_CALL || (p[2] & FLAG_NO_REPLY_EXPECTED) || load32(p + 8, p[0] == 'B') == 0) {
			*bad = "a D-Bus message that is not a call awaiting its reply";
			return -1;
		}
		off += n;
	}
	return 0;
}

int rr_dbus_little_endian_at(const uint8_t *msgs, size_t len, size_t off)
{
	for (size_t at = 0, n; at < len; at += n) {
		if (!(n = frame_len(msgs + at)))
			return 0;
		if (off < at + n)
			return msgs[at] == 'l';
	}
	return 0;
}

/* ---- the connection: a deadline for the whole op, a buffer of what came in ---- */

struct conn {
	int fd;
	struct timespec deadline; /* CLOCK_MONOTONIC */
	uint8_t *buf;
	size_t have, cap;
	char *detail;
	size_t n;
};

static long remaining_ms(const struct conn *c)
{
	struct timespec now;
	long ms;

	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return 0;
	ms = (long)(c->deadline.tv_sec - now.tv_sec) * 1000 + (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

/* Until the socket is ready for `events`; ETIMEDOUT once the op's time is up. */
static int await_fd(const struct conn *c, short events)
{
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = events };
		long ms = remaining_ms(c);
		int r;

		if (ms == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&p, 1, (int)ms);
		/* A hangup or error too: the read or write that follows says which. */
		if (r > 0)
			return 0;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

static int send_all(const struct conn *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		/* MSG_NOSIGNAL: a bus that went away fails the op; it must not kill us with SIGPIPE. */
		ssize_t k = send(c->fd, p, len, MSG_NOSIGNAL);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			if ((errno != EAGAIN && errno != EWOULDBLOCK) || await_fd(c, POLLOUT) < 0)
				return -1;
			continue;
		}
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/* Reads until the buffer holds at least `want` bytes (callers keep want
 * within RR_DBUS_MAX_MESSAGE). */
static int fill(struct conn *c, size_t want)
{
	if (want > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		uint8_t *b;

		while (cap < want)
			cap *= 2;
		if (!(b = realloc(c->buf, cap)))
			return -1;
		c->buf = b;
		c->cap = cap;
	}
	while (c->have < want) {
		ssize_t k = read(c->fd, c->buf + c->have, c->cap - c->have);

		if (k > 0) {
			c->have += (size_t)k;
			continue;
		}
		if (k == 0) {
			(void)snprintf(c->detail, c->n, "the bus closed the connection");
			errno = ECONNRESET;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || await_fd(c, POLLIN) < 0)
			return -1;
	}
	return 0;
}

static void consume(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->have - n);
	c->have -= n;
}

/* The bus's text goes into our one line: printable ASCII only, bounded by n. */
static void printable(char *out, size_t n, const uint8_t *s, size_t len)
{
	size_t k = 0;

	for (size_t i = 0; i < len && k + 1 < n; i++)
		out[k++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	out[k] = '\0';
}

static int connect_to(struct conn *c, const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t n = strlen(path);

	/* A path and its NUL must fit; an empty one would name an abstract socket. */
	if (n == 0 || n >= sizeof a.sun_path) {
		errno = n ? ENAMETOOLONG : EINVAL;
		return -1;
	}
	memcpy(a.sun_path, path, n + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -1;
	while (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0) {
		struct timespec t = { 0, 5000000 };

		/* EAGAIN: the bus's backlog is full; it is busy, not gone. */
		if (errno != EAGAIN)
			return -1;
		if (remaining_ms(c) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		(void)nanosleep(&t, NULL);
	}
	return 0;
}

/* One line of the auth exchange, without its "\r\n". */
static int read_line(struct conn *c, char *line, size_t n)
{
	for (;;) {
		const uint8_t *end = c->have ? memmem(c->buf, c->have, "\r\n", 2) : NULL;

		if (end) {
			size_t k = (size_t)(end - c->buf);

			printable(line, n, c->buf, k);
			consume(c, k + 2);
			return 0;
		}
		if (c->have >= LINE_MAX_LEN) {
			(void)snprintf(c->detail, c->n, "an authentication reply without its end");
			errno = EPROTO;
			return -1;
		}
		if (fill(c, c->have + 1) < 0)
			return -1;
	}
}

/* EXTERNAL as our euid: the bus takes our credentials from the socket and
 * compares them with the uid we name (its decimal digits, hex-encoded). */
static int authenticate(struct conn *c)
{
	char req[64], uid[16], line[TEXT_MAX + 1];
	size_t len;

	(void)snprintf(uid, sizeof uid, "%u", (unsigned)geteuid());
	/* The NUL byte opens the exchange (where SCM_CREDS would ride on BSD). */
	req[0] = '\0';
	len = 1 + (size_t)snprintf(req + 1, sizeof req - 1, "AUTH EXTERNAL ");
	for (const char *p = uid; *p; p++)
		len += (size_t)snprintf(req + len, sizeof req - len, "%02x", (unsigned)(unsigned char)*p);
	memcpy(req + len, "\r\n", 2);
	len += 2;
	if (send_all(c, req, len) < 0 || read_line(c, line, sizeof line) < 0)
		return -1;
	if (strncmp(line, "OK ", 3) != 0) {
		(void)snprintf(c->detail, c->n, "authentication refused: %s", line);
		errno = EACCES;
		return -1;
	}
	return send_all(c, "BEGIN\r\n", 7);
}

/* ---- reading a message's header fields ---- */

struct rd {
	const uint8_t *m; /* the message: alignment is from its first byte */
	size_t end, off;
	bool big;
};

static int rd_align(struct rd *r, size_t a)
{
	size_t o = (r->off + a - 1) & ~(a - 1);

	if (o > r->end)
		return -1;
	r->off = o;
	return 0;
}

static int rd_take(struct rd *r, size_t align, size_t n, const uint8_t **p)
{
	if (rd_align(r, align) < 0 || r->end - r->off < n)
		return -1;
	if (p)
		*p = r->m + r->off;
	r->off += n;
	return 0;
}

static int rd_u32(struct rd *r, uint32_t *v)
{
	const uint8_t *p;

	if (rd_take(r, 4, 4, &p) < 0)
		return -1;
	*v = load32(p, r->big);
	return 0;
}

/* STRING or OBJECT_PATH: u32 length, the bytes, a NUL. */
static int rd_str(struct rd *r, const uint8_t **s, uint32_t *n)
{
	if (rd_u32(r, n) < 0 || r->end - r->off <= (size_t)*n || r->m[r->off + *n] != '\0')
		return -1;
	*s = r->m + r->off;
	r->off += (size_t)*n + 1;
	return 0;
}

/* SIGNATURE: u8 length, the bytes, a NUL. */
static int rd_sig(struct rd *r, const char **s, size_t *n)
{
	const uint8_t *p;

	if (rd_take(r, 1, 1, &p) < 0)
		return -1;
	*n = *p;
	if (r->end - r->off <= *n || r->m[r->off + *n] != '\0')
		return -1;
	*s = (const char *)r->m + r->off;
	r->off += *n + 1;
	return 0;
}

static bool is_basic(char t)
{
	return t && strchr("ybnqiuxtdhsog", t);
}

static size_t type_align(char t)
{
	switch (t) {
	case 'y':
	case 'g':
	case 'v':
		return 1;
	case 'n':
	case 'q':
		return 2;
	case 'x':
	case 't':
	case 'd':
	case '(':
	case '{':
		return 8;
	}
	return 4; /* b i u h s o a */
}

/* Where the single complete type starting at sig[i] ends, or 0 if none starts there. */
static size_t type_end(const char *sig, size_t n, size_t i, int depth)
{
	size_t j;

	if (i >= n || depth > MAX_DEPTH)
		return 0;
	if (is_basic(sig[i]) || sig[i] == 'v')
		return i + 1;
	if (sig[i] == 'a')
		return type_end(sig, n, i + 1, depth + 1);
	if (sig[i] == '(') {
		if (i + 1 < n && sig[i + 1] == ')')
			return 0;
		for (j = i + 1; j < n && sig[j] != ')';)
			if (!(j = type_end(sig, n, j, depth + 1)))
				return 0;
		return j < n ? j + 1 : 0;
	}
	if (sig[i] == '{') {
		if (i + 1 >= n || !is_basic(sig[i + 1]))
			return 0;
		j = type_end(sig, n, i + 2, depth + 1);
		return j && j < n && sig[j] == '}' ? j + 1 : 0;
	}
	return 0;
}

/* Past one value of the single complete type at sig[i] (type_end said it is one). */
static int skip(struct rd *r, const char *sig, size_t n, size_t i, int depth)
{
	const uint8_t *s;
	const char *vsig;
	size_t vn, j;
	uint32_t len;

	if (depth > MAX_DEPTH)
		return -1;
	switch (sig[i]) {
	case 'y':
		return rd_take(r, 1, 1, NULL);
	case 'n':
	case 'q':
		return rd_take(r, 2, 2, NULL);
	case 'b':
	case 'i':
	case 'u':
	case 'h':
		return rd_take(r, 4, 4, NULL);
	case 'x':
	case 't':
	case 'd':
		return rd_take(r, 8, 8, NULL);
	case 's':
	case 'o':
		return rd_str(r, &s, &len);
	case 'g':
		return rd_sig(r, &vsig, &vn);
	case 'v':
		if (rd_sig(r, &vsig, &vn) < 0 || vn == 0 || type_end(vsig, vn, 0, depth + 1) != vn)
			return -1;
		return skip(r, vsig, vn, 0, depth + 1);
	case 'a':
		/* The length counts the elements from the first one's alignment on. */
		if (rd_u32(r, &len) < 0 || rd_align(r, type_align(sig[i + 1])) < 0 || r->end - r->off < len)
			return -1;
		r->off += len;
		return 0;
	case '(':
	case '{':
		if (rd_align(r, 8) < 0)
			return -1;
		for (j = i + 1; sig[j] != ')' && sig[j] != '}';) {
			if (skip(r, sig, n, j, depth + 1) < 0 || !(j = type_end(sig, n, j, depth + 1)))
				return -1;
		}
		return 0;
	}
	return -1;
}

struct reply {
	uint8_t type;
	bool has_serial;
	uint32_t reply_serial;
	const uint8_t *err_name;
	uint32_t err_len;
	const char *sig; /* the body's */
	size_t sig_len;
	size_t body; /* its offset */
};

/* The header fields of the whole message m (frame_len said `total`). */
static int parse_header(const uint8_t *m, size_t total, struct reply *out)
{
	bool big = m[0] == 'B';
	struct rd r = { m, HEADER + (size_t)load32(m + 12, big), HEADER, big };

	memset(out, 0, sizeof *out);
	out->type = m[1];
	out->body = (r.end + 7) & ~(size_t)7;
	if (out->body > total)
		return -1;
	while (r.off < r.end) {
		const uint8_t *code;
		const char *sig;
		size_t n;

		/* Each field is a struct (BYTE code, VARIANT value). */
		if (rd_take(&r, 8, 1, &code) < 0 || rd_sig(&r, &sig, &n) < 0 || n == 0 || type_end(sig, n, 0, 0) != n)
			return -1;
		if (*code == FIELD_REPLY_SERIAL && n == 1 && sig[0] == 'u') {
			if (rd_u32(&r, &out->reply_serial) < 0)
				return -1;
			out->has_serial = true;
		} else if (*code == FIELD_ERROR_NAME && n == 1 && sig[0] == 's') {
			if (rd_str(&r, &out->err_name, &out->err_len) < 0)
				return -1;
		} else if (*code == FIELD_SIGNATURE && n == 1 && sig[0] == 'g') {
			if (rd_sig(&r, &out->sig, &out->sig_len) < 0)
				return -1;
		} else if (skip(&r, sig, n, 0, 0) < 0) {
			return -1;
		}
	}
	return 0;
}

/* "<error name>: <first string argument>", the argument if the body starts with one. */
static void error_detail(struct conn *c, const uint8_t *m, size_t total, const struct reply *rp)
{
	char name[256] = "an error without a name", text[TEXT_MAX + 1] = "";

	if (rp->err_name)
		printable(name, sizeof name, rp->err_name, rp->err_len);
	if (rp->sig_len > 0 && rp->sig[0] == 's') {
		struct rd r = { m, total, rp->body, m[0] == 'B' };
		const uint8_t *s;
		uint32_t n;

		if (rd_str(&r, &s, &n) == 0)
			printable(text, sizeof text, s, n);
	}
	if (text[0])
		(void)snprintf(c->detail, c->n, "%s: %s", name, text);
	else
		(void)snprintf(c->detail, c->n, "%s", name);
}

/* Reads until the reply to `serial`: a signal (NameAcquired) or a reply to
 * anything else is passed over. */
static int await_reply(struct conn *c, uint32_t serial)
{
	for (;;) {
		struct reply rp;
		size_t total;

		if (fill(c, HEADER) < 0)
			return -1;
		if (!(total = frame_len(c->buf)))
			break;
		if (fill(c, total) < 0)
			return -1;
		if (parse_header(c->buf, total, &rp) < 0)
			break;
		if ((rp.type == MSG_METHOD_RETURN || rp.type == MSG_ERROR) && rp.has_serial && rp.reply_serial == serial) {
			if (rp.type == MSG_ERROR) {
				error_detail(c, c->buf, total, &rp);
				errno = EREMOTEIO;
				return -1;
			}
			consume(c, total);
			return 0;
		}
		consume(c, total);
	}
	(void)snprintf(c->detail, c->n, "a malformed message from the bus");
	errno = EPROTO;
	return -1;
}

int rr_dbus_calls(const char *path, const uint8_t *msgs, size_t len, char *detail, size_t n)
{
	struct conn c = { .fd = -1, .detail = detail, .n = n };
	const char *bad;
	size_t off = 0;
	int rc = -1, err;

	detail[0] = '\0';
	/* Again on the filled-in copy: a site is not supposed to touch a header, but nothing says so. */
	if (rr_dbus_check_calls(msgs, len, &bad) < 0) {
		(void)snprintf(detail, n, "%s", bad);
		errno = EINVAL;
		return -1;
	}
	if (clock_gettime(CLOCK_MONOTONIC, &c.deadline) < 0)
		return -1;
	c.deadline.tv_sec += RR_DBUS_TIMEOUT_MS / 1000;
	if (connect_to(&c, path) == 0 && authenticate(&c) == 0) {
		while (off < len) {
			size_t k = frame_len(msgs + off);

			if (send_all(&c, msgs + off, k) < 0 || await_reply(&c, load32(msgs + off + 8, msgs[off] == 'B')) < 0)
				break;
			off += k;
		}
		rc = off == len ? 0 : -1;
	}
	err = errno;
	if (c.fd >= 0)
		(void)close(c.fd);
	free(c.buf);
	errno = err;
	return rc;
}
