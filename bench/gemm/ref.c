// ref.c measures OpenBLAS's cblas_sgemm called straight from C, the figure
// Mariana's Go path (blas/openblas) is held to. It times the shapes of
// blas/benchmarks (keep the two lists in step), with OpenBLAS's own pool
// set to 1 and then 2 threads, and prints one line per shape and thread
// count:
//
//	<shape> <threads> <GFLOP/s> <GFLOP/cpu-s>
//
// GFLOP/s counts wall-clock time; GFLOP/cpu-s counts the CPU time of the
// calling thread, as blas/benchmarks does, which with one thread is the
// product's own and stays meaningful on a machine whose cores other programs
// share. With two threads it misses the second and means nothing.
//
// Each figure is the best of several windows, each the mean over as many
// products as fit in it, the way gemm.sh reads `go test -bench -count`.
//
// Usage: ref [window seconds, default 0.05] [windows, default 20] [shape]
//
// With a shape name, only that shape is measured.
//
// Build: gcc -O2 -o ref ref.c -lopenblas
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct shape {
	const char *name;
	enum CBLAS_TRANSPOSE ta, tb;
	int m, n, k;
};

static const struct shape shapes[] = {
	{"square128", CblasNoTrans, CblasNoTrans, 128, 128, 128},
	{"square256", CblasNoTrans, CblasNoTrans, 256, 256, 256},
	{"square512", CblasNoTrans, CblasNoTrans, 512, 512, 512},
	{"square1024", CblasNoTrans, CblasNoTrans, 1024, 1024, 1024},
	{"square2048", CblasNoTrans, CblasNoTrans, 2048, 2048, 2048},
	{"fc1.fwd", CblasNoTrans, CblasTrans, 128, 1024, 784},
	{"fc2.fwd", CblasNoTrans, CblasTrans, 128, 1024, 1024},
	{"fc3.fwd", CblasNoTrans, CblasTrans, 128, 10, 1024},
	{"fc1.dW", CblasTrans, CblasNoTrans, 1024, 784, 128},
	{"fc2.dW", CblasTrans, CblasNoTrans, 1024, 1024, 128},
	{"fc3.dW", CblasTrans, CblasNoTrans, 10, 1024, 128},
	{"fc1.dX", CblasNoTrans, CblasNoTrans, 128, 784, 1024},
	{"fc2.dX", CblasNoTrans, CblasNoTrans, 128, 1024, 1024},
	{"fc3.dX", CblasNoTrans, CblasNoTrans, 128, 1024, 10},
};

static double seconds(clockid_t clock) {
	struct timespec t;
	clock_gettime(clock, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

// operand returns rows*cols values filled as blas/benchmarks fills its
// operands: small, varied and normal. They start on a page boundary, as Go
// places slices of 8 KiB and more: where operands sit relative to each other
// in the caches moves small products by ten percent or more, and the
// comparison is about the call path, not about the allocators.
static float *operand(long rows, long cols) {
	size_t size = sizeof(float) * (size_t)(rows * cols);
	float *v = aligned_alloc(4096, (size + 4095) / 4096 * 4096);
	if (v == NULL) {
		fprintf(stderr, "ref: out of memory for a %ldx%ld operand\n", rows, cols);
		exit(1);
	}
	for (long i = 0; i < rows * cols; i++) {
		v[i] = (float)(i % 13 - 6) * 0.125f;
	}
	return v;
}

// measure times windows windows of product s and sets *wall and *cpu to
// the best rates in GFLOP/s and GFLOP/cpu-s.
static void measure(const struct shape *s, double window, int windows, double *wall,
	double *cpu) {
	// Row-major storage: A is m×k (k×m when transposed), lda its columns.
	int ar = s->ta == CblasNoTrans ? s->m : s->k, ac = s->ta == CblasNoTrans ? s->k : s->m;
	int br = s->tb == CblasNoTrans ? s->k : s->n, bc = s->tb == CblasNoTrans ? s->n : s->k;
	float *a = operand(ar, ac), *b = operand(br, bc), *c = operand(s->m, s->n);
	double flops = 2.0 * s->m * s->n * s->k;
	*wall = *cpu = 0;

	cblas_sgemm(CblasRowMajor, s->ta, s->tb, s->m, s->n, s->k, 1, a, ac, b, bc, 0, c, s->n);
	for (int w = 0; w < windows; w++) {
		long reps = 0;
		double start = seconds(CLOCK_MONOTONIC), cpuStart = seconds(CLOCK_THREAD_CPUTIME_ID);
		double elapsed;
		do {
			cblas_sgemm(CblasRowMajor, s->ta, s->tb, s->m, s->n, s->k, 1, a, ac, b, bc, 0, c,
				s->n);
			reps++;
			elapsed = seconds(CLOCK_MONOTONIC) - start;
		} while (elapsed < window);
		double used = seconds(CLOCK_THREAD_CPUTIME_ID) - cpuStart;
		double rate = flops * (double)reps / elapsed / 1e9;
		double cpuRate = used > 0 ? flops * (double)reps / used / 1e9 : 0;
		*wall = rate > *wall ? rate : *wall;
		*cpu = cpuRate > *cpu ? cpuRate : *cpu;
	}
	free(a);
	free(b);
	free(c);
}

int main(int argc, char **argv) {
	double window = argc > 1 ? atof(argv[1]) : 0.05;
	int windows = argc > 2 ? atoi(argv[2]) : 20;
	const char *only = argc > 3 ? argv[3] : NULL;
	if (window <= 0 || windows <= 0) {
		fprintf(stderr, "usage: ref [window seconds > 0] [windows > 0] [shape]\n");
		return 2;
	}

	printf("# OpenBLAS %s, core %s\n", openblas_get_config(), openblas_get_corename());
	for (int threads = 1; threads <= 2; threads++) {
		openblas_set_num_threads(threads);
		for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
			if (only != NULL && strcmp(only, shapes[i].name) != 0) {
				continue;
			}
			double wall, cpu;
			measure(&shapes[i], window, windows, &wall, &cpu);
			printf("%s %d %.2f %.2f\n", shapes[i].name, threads, wall, cpu);
			fflush(stdout);
		}
	}
	return 0;
}
