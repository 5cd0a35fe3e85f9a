// wake_preempt: does a thread woken by a futex preempt its waker on the waker's CPU? The measurement behind
// kernel.delay_dequeue's test (models/kernel/sched_test.cpp, "kernel: DELAY_DEQUEUE: ...").
//
// Two threads pinned to CPU 1. Each round A sleeps 2 ms (CPU 1 idles), wakes, runs A_US, wakes B with
// FUTEX_WAKE and sleeps 1 ms; B, woken, runs B_US and waits on the futex again. A round counts when B ran
// before A was back from its FUTEX_WAKE. Under EEVDF without DELAY_DEQUEUE (6.6-6.11) a B that slept alone
// has no lag and never preempts an A within its slice; from 6.12 A, sleeping behind a B that has not run yet,
// stays queued (delayed), and a B that then runs briefly and sleeps beside it keeps a positive lag.
//   gcc -O2 -pthread validation/tools/wake_preempt.c -o /tmp/wake_preempt && /tmp/wake_preempt A_US B_US
// The project's VM (Linux 6.18.44-fc, 2026-12-08), 200 rounds each: A 0 / B 0: 154 (B runs ~2 us); B 5 us:
// 79; 10: 45; 20: 24; 30: 13; 50: 8; 100: 4; A 500 / B 0: 186; A 1000 / B 100: 6; A 1500 / B 100: 198
// (A past its 1.4 ms slice); A 2000 / B 100: 175.
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_int word;
static volatile uint64_t b_ran_at;
static uint64_t b_spin;

static uint64_t now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void spin(uint64_t ns) {
  const uint64_t s = now();
  while (now() - s < ns) {
  }
}

static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void* b_main(void* arg) {
  (void)arg;
  pin(1);
  for (;;) {
    while (atomic_load(&word) == 0) syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    b_ran_at = now();
    spin(b_spin);
    atomic_store(&word, 0);
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s A_US B_US\n", argv[0]);
    return 2;
  }
  const uint64_t a_spin = strtoull(argv[1], NULL, 10) * 1000;
  b_spin = strtoull(argv[2], NULL, 10) * 1000;
  pthread_t b;
  pthread_create(&b, NULL, b_main, NULL);
  pin(1);
  usleep(10000);
  const int rounds = 200;
  int first = 0;
  for (int i = 0; i < rounds; ++i) {
    const struct timespec two_ms = {0, 2000000}, one_ms = {0, 1000000};
    nanosleep(&two_ms, NULL);
    spin(a_spin);
    atomic_store(&word, 1);
    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    const uint64_t back = now();
    nanosleep(&one_ms, NULL);
    first += b_ran_at < back;
  }
  printf("A ran %llu us, B runs %llu us: B ran before A was back from the wake-up in %d of %d rounds\n",
         (unsigned long long)(a_spin / 1000), (unsigned long long)(b_spin / 1000), first, rounds);
  return 0;
}
