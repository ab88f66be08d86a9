// ref.c measures OpenBLAS's cblas_sgemm called straight from C, the figure
// Mariana's Go path (blas/openblas) is held to. It times the shapes of
// blas/bench_test.go, keep the two lists in step, with OpenBLAS's own pool
// set to 1 and then 2 threads, and prints one line per shape and thread
// count:
//
//	<shape> <threads> <GFLOP/s>
//
// Each figure is the best of several windows, each the mean over as many
// products as fit in it, the way `go test -bench -count` is read by
// gemm.sh. Usage: ref [window seconds, default 0.3] [windows, default 3].
//
// Build: gcc -O2 -o ref ref.c -lopenblas
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
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

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

// operand returns rows*cols values filled as blas/bench_test.go fills its
// operands: small, varied and normal.
static float *operand(long rows, long cols) {
	float *v = malloc(sizeof(float) * (size_t)(rows * cols));
	if (v == NULL) {
		fprintf(stderr, "ref: out of memory for a %ldx%ld operand\n", rows, cols);
		exit(1);
	}
	for (long i = 0; i < rows * cols; i++) {
		v[i] = (float)(i % 13 - 6) * 0.125f;
	}
	return v;
}

// measure returns the best GFLOP/s of windows timing windows of product s.
static double measure(const struct shape *s, double window, int windows) {
	// Row-major storage: A is m×k (k×m when transposed), lda its columns.
	int ar = s->ta == CblasNoTrans ? s->m : s->k, ac = s->ta == CblasNoTrans ? s->k : s->m;
	int br = s->tb == CblasNoTrans ? s->k : s->n, bc = s->tb == CblasNoTrans ? s->n : s->k;
	float *a = operand(ar, ac), *b = operand(br, bc), *c = operand(s->m, s->n);
	double flops = 2.0 * s->m * s->n * s->k, best = 0;

	cblas_sgemm(CblasRowMajor, s->ta, s->tb, s->m, s->n, s->k, 1, a, ac, b, bc, 0, c, s->n);
	for (int w = 0; w < windows; w++) {
		long reps = 0;
		double start = now(), elapsed;
		do {
			cblas_sgemm(CblasRowMajor, s->ta, s->tb, s->m, s->n, s->k, 1, a, ac, b, bc, 0, c,
				s->n);
			reps++;
			elapsed = now() - start;
		} while (elapsed < window);
		double rate = flops * (double)reps / elapsed / 1e9;
		if (rate > best) {
			best = rate;
		}
	}
	free(a);
	free(b);
	free(c);
	return best;
}

int main(int argc, char **argv) {
	double window = argc > 1 ? atof(argv[1]) : 0.3;
	int windows = argc > 2 ? atoi(argv[2]) : 3;
	if (window <= 0 || windows <= 0) {
		fprintf(stderr, "usage: ref [window seconds > 0] [windows > 0]\n");
		return 2;
	}

	printf("# OpenBLAS %s, core %s\n", openblas_get_config(), openblas_get_corename());
	for (int threads = 1; threads <= 2; threads++) {
		openblas_set_num_threads(threads);
		for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
			printf("%s %d %.2f\n", shapes[i].name, threads,
				measure(&shapes[i], window, windows));
			fflush(stdout);
		}
	}
	return 0;
}
