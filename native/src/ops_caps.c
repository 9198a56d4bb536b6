/* Capabilities. The CAPS op drops the bounding set, sets effective, permitted
 * and inheritable with capset(), then replaces the ambient set. It remembers
 * the sets so that a later SETUID (which clears effective and ambient) can
 * restore them; SETUID sets KEEPCAPS so permitted survives. A CAPS op after
 * SETUID first raises effective to permitted to regain CAP_SETPCAP for the
 * bounding drops. Either order ends with the sets the plan asked for. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ops.h"

int zoo_cap_last(void)
{
	char buf[16];
	ssize_t n;
	int fd, c;

	fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof buf - 1);
		if (close(fd) == 0 && n > 0) {
			buf[n] = '\0';
			c = atoi(buf);
			if (c > 0 && c < 64)
				return c;
		}
	}
	/* No /proc: ask the bounding set which capabilities exist. */
	for (c = 0; c < 63; c++)
		if (prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) < 0)
			break;
	return c;
}

static uint64_t known_caps(const struct zoo_child_ctx *ctx)
{
	return ctx->cap_last >= 63 ? ~0ULL : (1ULL << (ctx->cap_last + 1)) - 1;
}

static int cap_get(uint64_t *eff, uint64_t *prm, uint64_t *inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	/* Zeroed: valgrind marks only d[0] as written by capget. */
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = { { 0, 0, 0 }, { 0, 0, 0 } };

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	*inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int cap_set(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {
		{ .effective = (uint32_t)eff, .permitted = (uint32_t)prm, .inheritable = (uint32_t)inh },
		{ .effective = (uint32_t)(eff >> 32),
		  .permitted = (uint32_t)(prm >> 32),
		  .inheritable = (uint32_t)(inh >> 32) },
	};

	return (int)syscall(SYS_capset, &h, d);
}

static int set_ambient(struct zoo_child_ctx *ctx)
{
	ctx->object = "ambient capabilities";
	/* PRIVILEGE: the ambient set is what a non-root container process keeps
	 * across execve; start from empty so only the plan's bits are in it. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -1;
	for (int c = 0; c <= ctx->cap_last; c++)
		if ((ctx->cap_ambient >> c & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return -1;
	return 0;
}

int zoo_caps_restore(struct zoo_child_ctx *ctx)
{
	ctx->object = "capabilities";
	/* PRIVILEGE: back to the CAPS op's sets after a uid switch. */
	if (cap_set(ctx->cap_effective, ctx->cap_permitted, ctx->cap_inheritable) < 0)
		return -1;
	return set_ambient(ctx);
}

int op_caps(struct zoo_child_ctx *ctx, const struct zoo_op *op)
{
	uint64_t known = known_caps(ctx);
	uint64_t eff, prm, inh;

	ctx->object = "capabilities";
	if (cap_get(&eff, &prm, &inh) < 0)
		return -1;
	/* PRIVILEGE: effective up to permitted, only for the bounding drops below
	 * (they need CAP_SETPCAP, which a setuid may have cleared from effective). */
	if (eff != prm && cap_set(prm, prm, inh) < 0)
		return -1;

	ctx->object = "capability bounding set";
	for (int c = 0; c <= ctx->cap_last; c++) {
		if (op->u.caps.bounding >> c & 1)
			continue;
		int in = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (in < 0)
			return -1;
		/* PRIVILEGE: no process of the container, not even after a setuid-root
		 * or file-capability execve, can gain capability c again. */
		if (in && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return -1;
	}

	ctx->cap_effective = op->u.caps.effective & known;
	ctx->cap_permitted = op->u.caps.permitted & known;
	ctx->cap_inheritable = op->u.caps.inheritable & known;
	ctx->cap_ambient = op->u.caps.ambient & known;
	ctx->caps_set = true;
	ctx->object = "capabilities";
	/* PRIVILEGE: the container's effective, permitted and inheritable sets;
	 * anything not in permitted is gone for this process for good. */
	if (cap_set(ctx->cap_effective, ctx->cap_permitted, ctx->cap_inheritable) < 0)
		return -1;
	if (set_ambient(ctx) < 0)
		return -1;
	/* Gaining or losing capabilities is a credential change. */
	return zoo_child_arm_pdeathsig(ctx);
}
