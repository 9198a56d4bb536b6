/* The shim after clone: the TS side of setup (CHILD_PID, SETUP_DONE/ABORT),
 * GO, relaying the child's CREATED/STARTED/ERROR, then the monitor proper:
 * forwarding signals and reporting the exit status. One poll() loop over the
 * TS socket, the child socket and a signalfd; nothing runs in a handler. */
#define _GNU_SOURCE
#include "monitor.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync.h"
#include "util.h"

enum { CONTINUE = -1 };

static void reap(struct zoo_shim *s)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG);

		/* 0: nothing more now; -1/ECHILD: nobody left. As a subreaper the
		 * shim also collects orphans of the container. */
		if (p <= 0)
			return;
		if (p == s->child) {
			s->child_done = true;
			s->child_status = st;
		}
		(void)zoo_health_reaped(&s->health, p);
	}
}

static void kill_and_reap(struct zoo_shim *s)
{
	if (s->child_done)
		return;
	/* ESRCH cannot happen for an unreaped child; nothing to do if it does. */
	(void)kill(s->child, SIGKILL);
	for (;;) {
		int st;
		pid_t p = waitpid(s->child, &st, 0);

		if (p == s->child || (p < 0 && errno != EINTR))
			break;
	}
	s->child_done = true;
}

static void forward(struct zoo_shim *s, int sig)
{
	if (s->child_done || sig <= 0 || sig >= NSIG)
		return;
	/* A child exiting right now makes this ESRCH; the exit is reported anyway. */
	(void)kill(s->child, sig);
}

/* A child message; returns CONTINUE or the shim's exit code. */
static int on_child_msg(struct zoo_shim *s, const struct zoo_msg *m)
{
	switch (m->type) {
	case ZOO_MSG_CREATED:
		(void)zoo_send_i32(s->ts, ZOO_MSG_CREATED, s->child);
		return CONTINUE;
	case ZOO_CHILD_MSG_EXECING:
		s->execing = true;
		return CONTINUE;
	case ZOO_MSG_ERROR:
		if (m->len >= 16) {
			if (zoo_send_msg(s->ts, m) < 0)
				zoo_log("zoo-shim: container setup failed at stage %u, op %d: %s",
					zoo_get_u32(m->payload), (int32_t)zoo_get_u32(m->payload + 4),
					strerror((int)zoo_get_u32(m->payload + 8)));
			kill_and_reap(s);
			return 1;
		}
		break;
	}
	zoo_report(s->ts, ZOO_STAGE_SYNC, -1, EPROTO, "message from the container process");
	kill_and_reap(s);
	return 1;
}

/* Reads the child socket; flags may be MSG_DONTWAIT to drain it. */
static int on_child_sock(struct zoo_shim *s, int flags)
{
	for (;;) {
		struct zoo_msg m;
		int r = zoo_recv(s->child_sock, &m, flags), rc;

		if (r < 0 && errno == EAGAIN)
			return CONTINUE;
		if (r < 0) {
			zoo_report(s->ts, ZOO_STAGE_SYNC, -1, errno, "container process socket");
			kill_and_reap(s);
			return 1;
		}
		if (r == 0) {
			/* The CLOEXEC socket closed: execve succeeded if the child had got
			 * that far, otherwise it died and its exit status tells why. */
			(void)close(s->child_sock);
			s->child_sock = -1;
			if (s->execing) {
				(void)zoo_send_i32(s->ts, ZOO_MSG_STARTED, s->child);
				/* Another monitor (podman's conmon, a child subreaper) waits
				 * for the process: it becomes that one's child once we are
				 * gone, as a runc container's does when runc exits. Before
				 * its SIGCHLD is read here, so its status is not taken. */
				if (s->options & ZOO_OPT_EXIT_ON_START)
					return 0;
			}
			return CONTINUE;
		}
		rc = on_child_msg(s, &m);
		if (rc != CONTINUE || !(flags & MSG_DONTWAIT))
			return rc;
	}
}

/* A TS message; returns CONTINUE, or the exit code. before_go: SETUP_DONE is due. */
static int on_ts_msg(struct zoo_shim *s, const struct zoo_msg *m, bool before_go, bool *setup_done)
{
	int32_t sig;

	switch (m->type) {
	case ZOO_MSG_SETUP_DONE:
		if (!before_go || (m->len && zoo_orphan_set(&s->orphan, m->payload, m->len) < 0))
			break;
		*setup_done = true;
		return CONTINUE;
	case ZOO_MSG_HELPER:
		if (zoo_msg_i32(m, &sig) < 0 || zoo_orphan_add_helper(&s->orphan, sig) < 0)
			break;
		return CONTINUE;
	case ZOO_MSG_CLEANUP:
		/* TS names what it created as soon as it exists, so that dying in
		 * the middle of setup leaves nothing behind either. */
		if (zoo_orphan_set(&s->orphan, m->payload, m->len) < 0)
			break;
		return CONTINUE;
	case ZOO_MSG_SIGNAL:
		if (zoo_msg_i32(m, &sig) == 0) {
			forward(s, sig);
			return CONTINUE;
		}
		break;
	case ZOO_MSG_ABORT:
		kill_and_reap(s);
		return 1;
	}
	/* Before GO a confused TS must not start a container; after GO the
	 * container is running and a bad message is not worth killing it. */
	if (!before_go)
		return CONTINUE;
	zoo_report(s->ts, ZOO_STAGE_SYNC, -1, EPROTO, "message from zoo");
	kill_and_reap(s);
	return 1;
}

static int on_ts(struct zoo_shim *s, bool before_go, bool *setup_done)
{
	struct zoo_msg m;
	int r = zoo_recv(s->ts, &m, 0);

	if (r > 0)
		return on_ts_msg(s, &m, before_go, setup_done);
	if (r < 0 && errno == EPROTO && !before_go)
		return CONTINUE;
	/* TS is gone (or unreadable). Before GO nobody would ever send
	 * SETUP_DONE; after GO the container runs on and we keep monitoring. */
	s->ts_open = false;
	if (!before_go) {
		/* A foreground container belongs to the zoo process that started it:
		 * with it gone, nobody will wait for it or clean up after it. */
		if (s->options & ZOO_OPT_FOREGROUND) {
			kill_and_reap(s);
			s->orphaned = true;
		}
		return CONTINUE;
	}
	if (r < 0)
		zoo_report(s->ts, ZOO_STAGE_SYNC, -1, errno, "zoo sync socket");
	/* TS died during setup: the container never ran and never will. */
	kill_and_reap(s);
	zoo_orphan_cleanup(&s->orphan);
	return 1;
}

static int on_signals(struct zoo_shim *s)
{
	for (;;) {
		struct signalfd_siginfo si;
		ssize_t n = read(s->sigfd, &si, sizeof si);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return CONTINUE;
		if (n != (ssize_t)sizeof si) {
			zoo_report(s->ts, ZOO_STAGE_SYNC, -1, n < 0 ? errno : EIO, "signalfd");
			kill_and_reap(s);
			return 1;
		}
		if (si.ssi_signo == SIGCHLD) {
			reap(s);
			continue;
		}
		/* The terminal signals its whole foreground process group: if the
		 * container is in ours it already has this one. */
		if (si.ssi_code == SI_KERNEL && !s->child_done && getpgid(s->child) == s->pgrp)
			continue;
		forward(s, (int)si.ssi_signo);
	}
}

static int poll_once(struct zoo_shim *s, bool before_go, bool *setup_done)
{
	struct pollfd p[5 + ZOO_ATTACH_POLLFDS] = {
		{ .fd = s->child_sock, .events = POLLIN },
		{ .fd = s->ts_open ? s->ts : -1, .events = POLLIN },
		{ .fd = s->sigfd, .events = POLLIN },
		{ .fd = s->log.path ? s->log.out.fd : -1, .events = POLLIN },
		{ .fd = s->log.path ? s->log.err.fd : -1, .events = POLLIN },
	};
	int rc;

	zoo_attach_pollfds(&s->attach, p + 5);
	/* Health checks start once the container runs, and not after it ended. */
	if (s->execing && !s->child_done)
		zoo_health_tick(&s->health, &s->orig_mask);
	if (poll(p, ZOO_ARRAY_LEN(p), s->execing && !s->child_done ? zoo_health_timeout(&s->health) : -1) < 0) {
		if (errno == EINTR)
			return CONTINUE;
		zoo_report(s->ts, ZOO_STAGE_SYNC, -1, errno, "poll");
		kill_and_reap(s);
		return 1;
	}
	/* The child socket first: STARTED must go out before EXIT. */
	if (p[0].revents && (rc = on_child_sock(s, 0)) != CONTINUE)
		return rc;
	if (p[1].revents && (rc = on_ts(s, before_go, setup_done)) != CONTINUE)
		return rc;
	if (p[2].revents && (rc = on_signals(s)) != CONTINUE)
		return rc;
	if (p[3].revents)
		zoo_log_read(&s->log, &s->log.out);
	if (p[4].revents)
		zoo_log_read(&s->log, &s->log.err);
	zoo_attach_events(&s->attach, p + 5, &s->log);
	return CONTINUE;
}

/* The container ran and is gone: the rest of its output, its status on
 * disk, then the exit command in our place (it keeps our pid, so whatever
 * follows the monitor's life, such as a lock, follows the cleanup too). */
static void finish(struct zoo_shim *s)
{
	zoo_attach_close(&s->attach, &s->log);
	if (s->log.path)
		zoo_log_close(&s->log);
	if (s->finish.exit_file && zoo_write_exit_file(s->finish.exit_file, s->child_status) < 0)
		zoo_log("zoo-shim: writing %s: %s", s->finish.exit_file, strerror(errno));
	if (s->finish.exit_cmd && s->execing)
		zoo_exec_exit_command(s->finish.exit_cmd, &s->orig_mask);
}

/* TS messages already queued, read without waiting (only CLEANUP matters here). */
static void drain_cleanup(struct zoo_shim *s)
{
	struct zoo_msg m;

	while (zoo_recv(s->ts, &m, MSG_DONTWAIT) > 0)
		if (m.type == ZOO_MSG_CLEANUP && zoo_orphan_set(&s->orphan, m.payload, m.len) < 0)
			break;
}

int zoo_monitor(struct zoo_shim *s)
{
	bool setup_done = !(s->options & ZOO_OPT_WAIT_SETUP);
	int rc;

	uint8_t pids[8];

	zoo_put_u32(pids, (uint32_t)s->child);
	zoo_put_u32(pids + 4, (uint32_t)getpid());
	if (zoo_send(s->ts, ZOO_MSG_CHILD_PID, pids, sizeof pids) < 0) {
		zoo_report(s->ts, ZOO_STAGE_SYNC, -1, errno, "CHILD_PID to zoo");
		kill_and_reap(s);
		/* zoo died before it heard from us. It queued, before starting us,
		 * the list of what it had made for this container (its cgroups, the
		 * root mount point): that is still readable, and nobody else will
		 * remove those. */
		drain_cleanup(s);
		zoo_orphan_cleanup(&s->orphan);
		return 1;
	}
	/* TS writes the id maps, moves cgroups and sets up the network now. */
	while (!setup_done) {
		if ((rc = poll_once(s, true, &setup_done)) != CONTINUE)
			return rc;
		if (s->child_done) {
			/* An ERROR from the child would have been relayed already. */
			zoo_report(s->ts, ZOO_STAGE_SYNC, -1, ECHILD, "container process exited before GO");
			return 1;
		}
	}
	if (zoo_send(s->child_sock, ZOO_CHILD_MSG_GO, NULL, 0) < 0) {
		zoo_report(s->ts, ZOO_STAGE_SYNC, -1, errno, "GO to the container process");
		kill_and_reap(s);
		return 1;
	}
	for (;;) {
		if ((rc = poll_once(s, false, &setup_done)) != CONTINUE)
			return rc;
		if (!s->child_done)
			continue;
		/* Whatever the child said before it died comes before EXIT. */
		if (s->child_sock >= 0 && (rc = on_child_sock(s, MSG_DONTWAIT)) != CONTINUE)
			return rc;
		(void)zoo_send_i32(s->ts, ZOO_MSG_EXIT, s->child_status);
		if (s->orphaned)
			zoo_orphan_cleanup(&s->orphan);
		finish(s);
		return 0;
	}
}
