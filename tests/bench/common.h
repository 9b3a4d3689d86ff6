/* SPDX-License-Identifier: Apache-2.0 */
/* common.h - what several benchmarks share: a monotonic clock and
 * the typical visit record they save. */
#ifndef CS_BENCH_COMMON_H
#define CS_BENCH_COMMON_H

#include <stddef.h>

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/* A typical five-section visit record (three sections drafted by AI, two
 * by the worker) of id "PREFIX-I", its AI sections marked with the id so
 * that each record's prints differ a little. */
void bench_visit_form(char *buf, size_t n, const char *prefix, long i);

#endif
