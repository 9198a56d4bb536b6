#define _GNU_SOURCE
#include "common.h"

#include <stdarg.h>
#include <stdio.h>

bool rr_tracing;
const char *rr_door = "zoo-runtime";

void rr_trace(const char *fmt, ...)
{
	va_list ap;

	if (!rr_tracing)
		return;
	va_start(ap, fmt);
	zoo_vlog(fmt, ap);
	va_end(ap);
}

int rr_why(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -1;
}
