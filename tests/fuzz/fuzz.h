/*
 * fuzz.h - shared by the fuzz targets: FUZZ_CHECK, and (without libFuzzer,
 * when FUZZ_REPLAY_MAIN is defined) a main() that replays each file, or
 * each regular file in each directory, given on the command line once
 * through LLVMFuzzerTestOneInput.
 */
#ifndef EMBER_FUZZ_H
#define EMBER_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Unlike assert(), survives -DNDEBUG. */
#define FUZZ_CHECK(cond)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n",       \
			        __FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif

#if defined(FUZZ_REPLAY_MAIN) && !defined(EMBER_LIBFUZZER)
#include <dirent.h>
#include <sys/stat.h>

static int fuzz_replay_file(const char *path)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t n;
	if (!f) {
		fprintf(stderr, "%s: cannot open '%s'\n", FUZZ_NAME, path);
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

/* Replays each file, or each regular file in each directory, once. */
int main(int argc, char **argv)
{
	int bad = 0, runs = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: no such file '%s'\n", FUZZ_NAME, argv[i]);
			bad = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad |= fuzz_replay_file(argv[i]);
			runs++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				bad |= fuzz_replay_file(path);
				runs++;
			}
		}
		if (d)
			closedir(d);
	}
	printf("%s: replayed %d inputs\n", FUZZ_NAME, runs);
	return bad;
}
#endif
